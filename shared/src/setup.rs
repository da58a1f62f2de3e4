//! Setup links: what an Administrator generates and what the IT admin's
//! browser learns from one.

use serde::{Deserialize, Serialize};

use crate::provisioning::IntegrationStatus;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Which integration a setup link configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SetupKind {
    Sso,
    Scim,
}

impl SetupKind {
    /// The kind of link that sets up `feature`.
    pub fn for_feature(feature: crate::provisioning::Feature) -> Self {
        match feature {
            crate::provisioning::Feature::Sso => SetupKind::Sso,
            crate::provisioning::Feature::DirectorySync => SetupKind::Scim,
        }
    }

    /// The feature this kind of link sets up.
    pub fn feature(self) -> crate::provisioning::Feature {
        match self {
            SetupKind::Sso => crate::provisioning::Feature::Sso,
            SetupKind::Scim => crate::provisioning::Feature::DirectorySync,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SetupKind::Sso => "sso",
            SetupKind::Scim => "scim",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sso" => Some(SetupKind::Sso),
            "scim" => Some(SetupKind::Scim),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SetupKind::Sso => "Single Sign-On",
            SetupKind::Scim => "Directory Sync (SCIM)",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"kind": "sso"})))]
pub struct CreateSetupLinkRequest {
    pub kind: SetupKind,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SetupLinkResponse {
    /// `lnk_…`
    pub id: String,
    pub kind: SetupKind,
    /// `{public_url}/setup/{token}`: share it with the IT admin. Valid 24 hours.
    pub url: String,
    #[serde(with = "crate::time::utc")]
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Where a setup link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SetupLinkStatus {
    /// Generated, not opened yet.
    Sent,
    /// The IT admin opened it.
    Opened,
    /// The setup was finished through it.
    Completed,
    /// Past its 24 hours.
    Expired,
    /// Replaced by a newer link, revoked, or its feature turned off (`revoked_reason`).
    Revoked,
}

impl SetupLinkStatus {
    pub fn label(self) -> &'static str {
        match self {
            SetupLinkStatus::Sent => "Not opened yet",
            SetupLinkStatus::Opened => "Opened",
            SetupLinkStatus::Completed => "Setup finished",
            SetupLinkStatus::Expired => "Expired",
            SetupLinkStatus::Revoked => "Revoked",
        }
    }
}

/// A setup link as the Provision tab lists it. The URL is shown once, when
/// it is generated (only the token's hash is stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SetupLink {
    /// `lnk_…`
    pub id: String,
    pub kind: SetupKind,
    /// Only in the answer that generated it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub status: SetupLinkStatus,
    #[serde(with = "crate::time::utc")]
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[serde(with = "crate::time::utc")]
    pub expires_at: chrono::DateTime<chrono::Utc>,
    #[serde(default, with = "crate::time::utc_option")]
    pub opened_at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default, with = "crate::time::utc_option")]
    pub completed_at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default, with = "crate::time::utc_option")]
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
    /// `replaced`, `revoked` or `feature_off`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_reason: Option<String>,
}

/// The latest link of each kind.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SetupLinksResponse {
    pub data: Vec<SetupLink>,
}

/// What opening a setup link shows (no account needed).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SetupInfo {
    pub kind: SetupKind,
    pub organization_name: String,
    #[serde(with = "crate::time::utc")]
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// The integration's status right now.
    pub status: IntegrationStatus,
    /// SCIM links: when the current bearer token was generated, if one was.
    /// Generating another revokes it.
    #[serde(default, with = "crate::time::utc_option")]
    pub scim_token_created_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The organization's domains and their verification records: the IT
    /// admin often controls DNS too.
    #[serde(default)]
    pub domains: Vec<crate::domains::Domain>,
    /// Whether only verified domains route members (the server's setting).
    #[serde(default)]
    pub domain_verification_required: bool,
}

/// `POST /api/v1/setup/{token}/scim-credentials`: what the IT admin pastes
/// into the directory. The bearer token is shown this once; only its hash is
/// stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ScimCredentials {
    /// `{public_url}/scim/v2`
    pub scim_base_url: String,
    /// `gh_scim_…`: send as `Authorization: Bearer …`.
    pub bearer_token: String,
    #[serde(with = "crate::time::utc")]
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Directory providers the SCIM wizard has instructions for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DirectoryProvider {
    Okta,
    MicrosoftEntraId,
    GoogleWorkspace,
    OneLogin,
    JumpCloud,
    Custom,
}

impl DirectoryProvider {
    pub const ALL: [DirectoryProvider; 6] = [
        DirectoryProvider::Okta,
        DirectoryProvider::MicrosoftEntraId,
        DirectoryProvider::GoogleWorkspace,
        DirectoryProvider::OneLogin,
        DirectoryProvider::JumpCloud,
        DirectoryProvider::Custom,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DirectoryProvider::Okta => "okta",
            DirectoryProvider::MicrosoftEntraId => "microsoft_entra_id",
            DirectoryProvider::GoogleWorkspace => "google_workspace",
            DirectoryProvider::OneLogin => "one_login",
            DirectoryProvider::JumpCloud => "jump_cloud",
            DirectoryProvider::Custom => "custom",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            DirectoryProvider::Okta => "Okta",
            DirectoryProvider::MicrosoftEntraId => "Microsoft Entra ID",
            DirectoryProvider::GoogleWorkspace => "Google Workspace",
            DirectoryProvider::OneLogin => "OneLogin",
            DirectoryProvider::JumpCloud => "JumpCloud",
            DirectoryProvider::Custom => "Custom SCIM 2.0",
        }
    }

    /// Whether the provider can push users to a custom application over SCIM.
    pub fn supports_scim(self) -> bool {
        self != DirectoryProvider::GoogleWorkspace
    }
}
