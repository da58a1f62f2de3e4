//! The Single Sign-On / Provision tab: plans, the organization's provisioning
//! state, and the default plan.

use serde::{Deserialize, Serialize};

use crate::domains::Domain;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// A plan of the SaaS's catalog; new members provisioned through SSO or SCIM get the default one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Plan {
    /// `plan_…`, set by the operator.
    pub id: String,
    pub name: String,
    pub description: String,
}

impl Plan {
    /// Operator-chosen plan ids: `plan_` then 1–60 of `a-z 0-9 _ -`.
    pub fn valid_id(id: &str) -> bool {
        id.strip_prefix("plan_").is_some_and(|rest| {
            (1..=60).contains(&rest.len())
                && rest.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        })
    }
}

/// A feature the SaaS sells to an organization. "Feature" is the one word
/// for it in code, API documentation and UI; the status of a purchased
/// feature is its *integration status* (`IntegrationStatus`, the fixed wire
/// name): how far the customer's identity provider is connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "db", derive(sea_orm::DeriveValueType), sea_orm(value_type = "String"))]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// Single Sign-On (SAML or OpenID Connect).
    Sso,
    /// Directory Sync (SCIM 2.0).
    DirectorySync,
}

impl Feature {
    pub const ALL: [Feature; 2] = [Feature::Sso, Feature::DirectorySync];

    /// The wire and stored name (`sso`, `directory_sync`).
    pub fn as_str(self) -> &'static str {
        match self {
            Feature::Sso => "sso",
            Feature::DirectorySync => "directory_sync",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Feature::Sso => "Single Sign-On",
            Feature::DirectorySync => "Directory Sync",
        }
    }
}

crate::names::by_name!(Feature, "feature");

/// A feature is part of a table's key; keys are never numbers.
#[cfg(feature = "db")]
impl sea_orm::TryFromU64 for Feature {
    fn try_from_u64(_: u64) -> Result<Self, sea_orm::DbErr> {
        Err(sea_orm::DbErr::ConvertFromU64("Feature"))
    }
}

/// Where a purchased feature stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "db", derive(sea_orm::DeriveValueType), sea_orm(value_type = "String"))]
#[serde(rename_all = "snake_case")]
pub enum IntegrationStatus {
    NotPurchased,
    Awaiting,
    Active,
    Inactive,
    Error,
}

impl IntegrationStatus {
    /// The wire name (`not_purchased`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            IntegrationStatus::NotPurchased => "not_purchased",
            IntegrationStatus::Awaiting => "awaiting",
            IntegrationStatus::Active => "active",
            IntegrationStatus::Inactive => "inactive",
            IntegrationStatus::Error => "error",
        }
    }

    /// The inverse of [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [Self::NotPurchased, Self::Awaiting, Self::Active, Self::Inactive, Self::Error]
            .into_iter()
            .find(|v| v.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            IntegrationStatus::NotPurchased => "Not purchased",
            IntegrationStatus::Awaiting => "Awaiting",
            IntegrationStatus::Active => "Active",
            IntegrationStatus::Inactive => "Inactive",
            IntegrationStatus::Error => "Error",
        }
    }
}

crate::names::by_name!(IntegrationStatus, "integration status");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Integration {
    pub status: IntegrationStatus,
    /// Why the status is `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, with = "crate::time::utc_option")]
    pub activated_at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default, with = "crate::time::utc_option")]
    pub last_activity_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Integration {
    pub fn not_purchased() -> Self {
        Self { status: IntegrationStatus::NotPurchased, reason: None, activated_at: None, last_activity_at: None }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Features {
    /// True once Single Sign-On is purchased.
    pub sso: bool,
    /// True once Directory Sync (SCIM) is purchased.
    pub directory_sync: bool,
}

/// Everything the Single Sign-On / Provision tab shows, in one call.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ProvisioningResponse {
    pub domains: Vec<Domain>,
    /// Whether only verified domains route sign-ins and provision members
    /// (`false`: the operator turned verification off; the tab warns).
    #[serde(default)]
    pub domain_verification_required: bool,
    pub default_plan_id: Option<String>,
    pub disable_passwords_on_invites: bool,
    pub features: Features,
    pub sso: Integration,
    pub directory_sync: Integration,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(default)]
#[cfg_attr(feature = "openapi", schema(example = json!({"plan_id": "plan_core"})))]
pub struct SetDefaultPlanRequest {
    #[cfg_attr(feature = "openapi", schema(required = true, min_length = 1, example = "plan_core"))]
    pub plan_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DefaultPlanResponse {
    pub default_plan_id: String,
}

/// Turn a purchased feature on or off (revoke / restore).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"enabled": false})))]
pub struct SetEnabledRequest {
    pub enabled: bool,
}

/// "Disable Passwords on Invites": invites sent while it is on need no password.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"disable_passwords_on_invites": true})))]
pub struct InviteSettings {
    pub disable_passwords_on_invites: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_ids() {
        assert!(Plan::valid_id("plan_core"));
        assert!(!Plan::valid_id("plan_"));
        assert!(!Plan::valid_id("core"));
        assert!(!Plan::valid_id("plan_Core"));
    }

    #[test]
    fn statuses_are_snake_case() {
        for s in [IntegrationStatus::NotPurchased, IntegrationStatus::Awaiting, IntegrationStatus::Error] {
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.as_str()));
            assert_eq!(IntegrationStatus::parse(s.as_str()), Some(s));
        }
    }
}
