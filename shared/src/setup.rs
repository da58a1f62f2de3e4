//! Setup links: what an Administrator generates and what the IT admin's
//! browser learns from one.

use chrono::{DateTime, Utc};
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
    pub expires_at: DateTime<Utc>,
}

/// What opening a setup link shows (no account needed).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SetupInfo {
    pub kind: SetupKind,
    pub organization_name: String,
    pub expires_at: DateTime<Utc>,
    /// The integration's status right now.
    pub status: IntegrationStatus,
}
