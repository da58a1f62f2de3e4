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
    /// The action in words, naming what it acted on ("Turned off Single Sign-On").
    #[serde(default)]
    pub summary: String,
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

/// Which events to read: a page (`cursor`, `limit`) or, with `format=csv`,
/// up to 10,000 of the newest as a CSV file; narrowed by `action` (a code,
/// or a prefix ending in `.` such as `member.`), `actor` (a user id, an
/// email, or `directory`, `identity_provider`, `setup_link`), and a time range.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(default)]
pub struct AuditQuery {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u64>,
    pub action: Option<String>,
    pub actor: Option<String>,
    /// Events at or after this time (RFC 3339).
    pub since: Option<String>,
    /// Events before this time (RFC 3339).
    pub until: Option<String>,
    /// `csv` for a file instead of a page.
    pub format: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AuditPage {
    /// Newest first.
    pub data: Vec<AuditEvent>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}
