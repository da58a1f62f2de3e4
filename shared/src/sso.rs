//! Single Sign-On: the connection an IT admin configures through an SSO
//! setup link, and the member sign-in request.

use serde::{Deserialize, Serialize};

use crate::provisioning::IntegrationStatus;
use crate::validation::{FieldErrors, Invalid};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Identity providers the SSO wizard has instructions for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SsoProvider {
    Okta,
    MicrosoftEntraId,
    GoogleWorkspace,
    OneLogin,
    JumpCloud,
    CustomSaml,
    CustomOidc,
}

impl SsoProvider {
    pub const ALL: [SsoProvider; 7] = [
        SsoProvider::Okta,
        SsoProvider::MicrosoftEntraId,
        SsoProvider::GoogleWorkspace,
        SsoProvider::OneLogin,
        SsoProvider::JumpCloud,
        SsoProvider::CustomSaml,
        SsoProvider::CustomOidc,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SsoProvider::Okta => "okta",
            SsoProvider::MicrosoftEntraId => "microsoft_entra_id",
            SsoProvider::GoogleWorkspace => "google_workspace",
            SsoProvider::OneLogin => "one_login",
            SsoProvider::JumpCloud => "jump_cloud",
            SsoProvider::CustomSaml => "custom_saml",
            SsoProvider::CustomOidc => "custom_oidc",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            SsoProvider::Okta => "Okta",
            SsoProvider::MicrosoftEntraId => "Microsoft Entra ID",
            SsoProvider::GoogleWorkspace => "Google Workspace",
            SsoProvider::OneLogin => "OneLogin",
            SsoProvider::JumpCloud => "JumpCloud",
            SsoProvider::CustomSaml => "Custom SAML 2.0",
            SsoProvider::CustomOidc => "Custom OpenID Connect",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SsoProtocol {
    Oidc,
    Saml,
}

impl SsoProtocol {
    pub fn as_str(self) -> &'static str {
        match self {
            SsoProtocol::Oidc => "oidc",
            SsoProtocol::Saml => "saml",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "oidc" => Some(SsoProtocol::Oidc),
            "saml" => Some(SsoProtocol::Saml),
            _ => None,
        }
    }
}

/// `PUT /api/v1/setup/{token}/sso-connection`: the identity provider's side.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SsoConnectionRequest {
    pub provider: Option<SsoProvider>,
    pub protocol: Option<SsoProtocol>,
    /// OIDC: the issuer URL (its `/.well-known/openid-configuration` is read).
    #[serde(default)]
    pub issuer: String,
    #[serde(default)]
    pub client_id: String,
    /// Stored encrypted, never returned. Leave empty to keep the stored one.
    #[serde(default)]
    pub client_secret: String,
}

/// A checked OIDC configuration request.
#[derive(Debug, Clone)]
pub struct ValidOidc {
    pub provider: SsoProvider,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
}

/// An issuer URL: absolute `https://`, or `http://` on a loopback host (for
/// local testing); no query or fragment; no trailing slash.
pub fn parse_issuer(input: &str) -> Result<String, Invalid> {
    let s = input.trim().trim_end_matches('/');
    if s.is_empty() {
        return Err(Invalid::new("required", "Enter the issuer URL from your identity provider."));
    }
    let rest = if let Some(r) = s.strip_prefix("https://") {
        r
    } else if let Some(r) = s.strip_prefix("http://") {
        let host = r.split(['/', ':']).next().unwrap_or_default();
        if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
            return Err(Invalid::new("insecure_issuer", "The issuer must start with https://."));
        }
        r
    } else {
        return Err(Invalid::new("invalid_issuer", "The issuer must be a URL starting with https://."));
    };
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || s.contains(['?', '#', ' ']) {
        return Err(Invalid::new("invalid_issuer", "The issuer must be a URL such as https://login.example.com."));
    }
    Ok(s.to_owned())
}

impl SsoConnectionRequest {
    /// Checks an OIDC request; `has_secret` says whether one is stored already.
    pub fn validate_oidc(&self, has_secret: bool) -> Result<ValidOidc, FieldErrors> {
        let mut errors = FieldErrors::default();
        let provider = self.provider.unwrap_or(SsoProvider::CustomOidc);
        let issuer = errors.check("issuer", parse_issuer(&self.issuer));
        let client_id = self.client_id.trim();
        if client_id.is_empty() {
            errors.push(Invalid::new("required", "Enter the client ID from your identity provider.").at("client_id"));
        } else if client_id.len() > 512 {
            errors.push(Invalid::new("too_long", "The client ID is too long.").at("client_id"));
        }
        let secret = self.client_secret.trim();
        if secret.is_empty() && !has_secret {
            errors.push(
                Invalid::new("required", "Enter the client secret from your identity provider.").at("client_secret"),
            );
        } else if secret.len() > 1024 {
            errors.push(Invalid::new("too_long", "The client secret is too long.").at("client_secret"));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ValidOidc {
            provider,
            issuer: issuer.unwrap_or_default(),
            client_id: client_id.to_owned(),
            client_secret: (!secret.is_empty()).then(|| secret.to_owned()),
        })
    }
}

/// A connection as the wizard sees it: our side (to paste into the identity
/// provider) and theirs, without the secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SsoConnection {
    /// `con_…`
    pub id: String,
    pub provider: Option<SsoProvider>,
    pub protocol: Option<SsoProtocol>,
    /// The SSO integration's status.
    pub status: IntegrationStatus,
    pub sp_entity_id: String,
    pub acs_url: String,
    pub metadata_url: String,
    /// OIDC redirect URI to register with the identity provider.
    pub redirect_uri: String,
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    /// Whether a client secret is stored (it is never returned).
    pub client_secret_set: bool,
}

/// `POST /api/v1/auth/sso`: a member's work email.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SsoLoginRequest {
    #[serde(default)]
    pub email: String,
}

/// Where to send the browser next (test sign-in, member sign-in).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SsoRedirect {
    pub redirect_url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers() {
        assert_eq!(parse_issuer(" https://idp.example.com/ ").ok().as_deref(), Some("https://idp.example.com"));
        assert_eq!(parse_issuer("http://127.0.0.1:9000").ok().as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(parse_issuer("http://idp.example.com").err().map(|e| e.code), Some("insecure_issuer"));
        assert_eq!(parse_issuer("idp.example.com").err().map(|e| e.code), Some("invalid_issuer"));
        assert_eq!(parse_issuer("https://x.com/?a=b").err().map(|e| e.code), Some("invalid_issuer"));
        assert_eq!(parse_issuer("").err().map(|e| e.code), Some("required"));
    }

    #[test]
    fn oidc_request_needs_every_field_once() {
        let empty = SsoConnectionRequest::default();
        let fields: Vec<String> = empty
            .validate_oidc(false)
            .err()
            .map(|e| e.into_vec().into_iter().map(|f| f.field).collect())
            .unwrap_or_default();
        assert_eq!(fields, ["issuer", "client_id", "client_secret"]);
        let keep = SsoConnectionRequest {
            issuer: "https://idp.example.com".into(),
            client_id: "abc".into(),
            ..SsoConnectionRequest::default()
        };
        assert!(keep.validate_oidc(true).is_ok_and(|v| v.client_secret.is_none()), "the stored secret is kept");
    }
}
