//! The audit log as the API shows it.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AuditEvent {
    /// `evt_…`, time-ordered.
    pub id: String,
    /// e.g. `domain.added`, `checkout.confirmed`.
    pub action: String,
    /// Who acted: a user id (`usr_…`) or a directory/system name.
    pub actor: String,
    /// The actor's email, when the actor is a user that still exists.
    pub actor_email: Option<String>,
    pub target: String,
    #[serde(with = "crate::time::utc")]
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    /// Non-secret details of the action.
    // The SPA does not show them, so it does not parse them (no JSON value
    // parser in its wasm); it sees `null`.
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AuditPage {
    /// Newest first.
    pub data: Vec<AuditEvent>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}
