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
    /// Custom OIDC or Custom SAML when absent.
    pub provider: Option<SsoProvider>,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub protocol: Option<SsoProtocol>,
    /// OIDC: the issuer URL (its `/.well-known/openid-configuration` is read).
    #[serde(default)]
    pub issuer: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 512))]
    pub client_id: String,
    /// Stored encrypted, never returned. Leave empty to keep the stored one.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 1024))]
    pub client_secret: String,
    /// SAML, one of three ways: the identity provider's metadata XML…
    #[serde(default)]
    pub idp_metadata_xml: String,
    /// …or its metadata URL (fetched once: 5 s, 512 KiB, no redirects)…
    #[serde(default)]
    pub idp_metadata_url: String,
    /// …or its entity ID, single sign-on URL (HTTP-Redirect) and signing certificate (PEM).
    #[serde(default)]
    pub idp_entity_id: String,
    #[serde(default)]
    pub idp_sso_url: String,
    #[serde(default)]
    pub idp_certificate: String,
}

/// Where a SAML configuration comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SamlSource {
    MetadataXml(String),
    MetadataUrl(String),
    Manual { entity_id: String, sso_url: String, certificate: String },
}

/// A checked SAML configuration request (the XML and certificate are read by the server).
#[derive(Debug, Clone)]
pub struct ValidSaml {
    pub provider: SsoProvider,
    pub source: SamlSource,
}

/// Largest metadata XML accepted.
pub const MAX_METADATA_BYTES: usize = 512 * 1024;

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
    parse_https_url(input, "issuer URL")
}

/// An identity provider URL (`what` names it in messages): absolute
/// `https://`, or `http://` on a loopback host (for local testing); no
/// fragment; no trailing slash. A query is kept only when `what` is not
/// the issuer (SSO URLs may carry a tenant parameter).
pub fn parse_https_url(input: &str, what: &str) -> Result<String, Invalid> {
    let s = input.trim().trim_end_matches('/');
    if s.is_empty() {
        return Err(Invalid::new("required", format!("Enter the {what} from your identity provider.")));
    }
    let (secure, rest) = match (s.strip_prefix("https://"), s.strip_prefix("http://")) {
        (Some(r), _) => (true, r),
        (None, Some(r)) => (false, r),
        _ => return Err(Invalid::new("invalid_url", format!("The {what} must be a URL starting with https://."))),
    };
    // The authority: host and port. No user name or password in it
    // (`http://localhost:1@10.0.0.5/` goes to 10.0.0.5), no backslash.
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().map(|h| format!("[{h}]")).unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default().to_owned(),
    };
    if !secure && !authority.contains(['@', '\\']) && !matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]") {
        return Err(Invalid::new("insecure_url", format!("The {what} must start with https://.")));
    }
    let query_ok = what != "issuer URL" || !s.contains('?');
    if host.is_empty() || authority.contains(['@', '\\']) || s.contains(['#', ' ']) || !query_ok {
        return Err(Invalid::new(
            "invalid_url",
            format!("The {what} must be a URL such as https://login.example.com."),
        ));
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
        } else if client_id.chars().any(char::is_control) {
            errors.push(
                Invalid::new("invalid_characters", "Remove control characters from the client ID.").at("client_id"),
            );
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

impl SsoConnectionRequest {
    /// Checks a SAML request: exactly one of metadata XML, metadata URL, or
    /// entity ID + SSO URL + certificate.
    pub fn validate_saml(&self) -> Result<ValidSaml, FieldErrors> {
        let mut errors = FieldErrors::default();
        let provider = self.provider.unwrap_or(SsoProvider::CustomSaml);
        let xml = self.idp_metadata_xml.trim();
        let url = self.idp_metadata_url.trim();
        let manual =
            [&self.idp_entity_id, &self.idp_sso_url, &self.idp_certificate].iter().any(|f| !f.trim().is_empty());
        let given = [!xml.is_empty(), !url.is_empty(), manual].iter().filter(|g| **g).count();
        if given == 0 {
            errors.push(
                Invalid::new(
                    "required",
                    "Paste the identity provider's metadata XML, enter its metadata URL, or enter its entity ID, SSO URL and certificate.",
                )
                .at("idp_metadata_xml"),
            );
            return Err(errors);
        }
        if given > 1 {
            errors.push(
                Invalid::new(
                    "ambiguous",
                    "Use one of: metadata XML, metadata URL, or entity ID + SSO URL + certificate.",
                )
                .at("idp_metadata_xml"),
            );
            return Err(errors);
        }
        let source = if !xml.is_empty() {
            if xml.len() > MAX_METADATA_BYTES {
                errors
                    .push(Invalid::new("too_long", "The metadata XML is larger than 512 KiB.").at("idp_metadata_xml"));
            }
            SamlSource::MetadataXml(xml.to_owned())
        } else if !url.is_empty() {
            let url = errors.check("idp_metadata_url", parse_https_url(url, "metadata URL"));
            SamlSource::MetadataUrl(url.unwrap_or_default())
        } else {
            let entity_id = self.idp_entity_id.trim();
            if entity_id.is_empty() {
                errors.push(
                    Invalid::new("required", "Enter the identity provider's entity ID (Issuer).").at("idp_entity_id"),
                );
            } else if entity_id.len() > 1024 {
                errors.push(Invalid::new("too_long", "The entity ID is too long.").at("idp_entity_id"));
            } else if entity_id.chars().any(char::is_control) {
                errors.push(
                    Invalid::new("invalid_characters", "Remove control characters from the entity ID.")
                        .at("idp_entity_id"),
                );
            }
            let sso_url = errors.check("idp_sso_url", parse_https_url(&self.idp_sso_url, "SSO URL"));
            let certificate = self.idp_certificate.trim();
            if certificate.is_empty() {
                errors.push(
                    Invalid::new("required", "Paste the identity provider's signing certificate (PEM).")
                        .at("idp_certificate"),
                );
            } else if certificate.len() > 64 * 1024 {
                errors.push(Invalid::new("too_long", "The certificate is too long.").at("idp_certificate"));
            }
            SamlSource::Manual {
                entity_id: entity_id.to_owned(),
                sso_url: sso_url.unwrap_or_default(),
                certificate: certificate.to_owned(),
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ValidSaml { provider, source })
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
    /// SAML: the identity provider's entity ID.
    pub idp_entity_id: Option<String>,
    /// SAML: the identity provider's single sign-on URL.
    pub idp_sso_url: Option<String>,
    /// SAML: the metadata URL the configuration was read from.
    pub idp_metadata_url: Option<String>,
    /// SAML: when the (earliest) signing certificate expires.
    #[serde(default, with = "crate::time::utc_option")]
    pub idp_certificate_expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// `POST /api/v1/auth/sso`: a member's work email.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"email": "peter@initech.com"})))]
pub struct SsoLoginRequest {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true, format = Email, max_length = 254))]
    pub email: String,
    /// An application's authorization request (`/oauth2/authorize?…`) the
    /// sign-in continues with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 4096))]
    pub continue_to: Option<String>,
}

/// Whether `path` is somewhere a sign-in may continue: this server's
/// authorization endpoint, nothing else (no open redirect).
pub fn valid_continue(path: &str) -> bool {
    path.starts_with("/oauth2/authorize?")
        && path.len() <= 4096
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
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
        assert_eq!(parse_issuer("http://idp.example.com").err().map(|e| e.code), Some("insecure_url"));
        // A user name or password in the URL, or a backslash: the host is not what it seems.
        for tricky in [
            "http://localhost:1@10.0.0.5/x",
            "http://localhost@10.0.0.5",
            "https://idp.example.com@evil.example",
            "http://localhost\\@10.0.0.5",
        ] {
            assert_eq!(parse_issuer(tricky).err().map(|e| e.code), Some("invalid_url"), "{tricky}");
        }
        assert!(parse_issuer("http://[::1]:8080/realms/x").is_ok());
        assert!(parse_issuer("http://localhost:8080/realms/x").is_ok());
        assert_eq!(parse_issuer("http://[::2]:8080").err().map(|e| e.code), Some("insecure_url"));
        assert_eq!(parse_issuer("idp.example.com").err().map(|e| e.code), Some("invalid_url"));
        assert_eq!(parse_issuer("https://x.com/?a=b").err().map(|e| e.code), Some("invalid_url"));
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
        let nul = SsoConnectionRequest { client_id: "a\0b".into(), ..keep };
        let refused = nul.validate_oidc(true).err().map(|e| e.into_vec()).unwrap_or_default();
        assert_eq!(refused.first().map(|f| f.code.as_str()), Some("invalid_characters"));
    }

    #[test]
    fn saml_request_takes_exactly_one_source() {
        let codes = |r: &SsoConnectionRequest| -> Vec<(String, String)> {
            r.validate_saml()
                .err()
                .map(|e| e.into_vec().into_iter().map(|f| (f.field, f.code)).collect())
                .unwrap_or_default()
        };
        assert_eq!(codes(&SsoConnectionRequest::default()), [("idp_metadata_xml".to_owned(), "required".to_owned())]);
        let both = SsoConnectionRequest {
            idp_metadata_xml: "<x/>".into(),
            idp_metadata_url: "https://idp.example.com/m".into(),
            ..SsoConnectionRequest::default()
        };
        assert_eq!(codes(&both), [("idp_metadata_xml".to_owned(), "ambiguous".to_owned())]);
        let partial = SsoConnectionRequest { idp_entity_id: "https://idp".into(), ..SsoConnectionRequest::default() };
        assert_eq!(
            codes(&partial),
            [("idp_sso_url".to_owned(), "required".to_owned()), ("idp_certificate".to_owned(), "required".to_owned())]
        );
        let url = SsoConnectionRequest {
            idp_metadata_url:
                "https://login.microsoftonline.com/t/federationmetadata/2007-06/federationmetadata.xml?appid=1".into(),
            ..SsoConnectionRequest::default()
        };
        assert!(
            url.validate_saml()
                .is_ok_and(|v| matches!(v.source, SamlSource::MetadataUrl(u) if u.ends_with("?appid=1")))
        );
        let insecure = SsoConnectionRequest {
            idp_metadata_url: "http://idp.example.com/m".into(),
            ..SsoConnectionRequest::default()
        };
        assert_eq!(codes(&insecure), [("idp_metadata_url".to_owned(), "insecure_url".to_owned())]);
    }
}
