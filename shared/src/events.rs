//! Events and webhooks for integrators: the event catalogue, the feed
//! (`GET /api/v1/events`) and the webhook endpoints' requests and answers.

use serde::{Deserialize, Serialize};

use crate::problem::FieldError;
use crate::validation::{FieldErrors, Invalid};

#[cfg(feature = "openapi")]
use utoipa::{IntoParams, ToSchema};

/// Every event type, with what it means. `data` is the object's state after
/// the change.
pub const EVENT_TYPES: &[(&str, &str)] = &[
    ("organization.created", "An organization was created (sign-up, or a service key)"),
    ("domain.added", "An email domain was added"),
    ("domain.verified", "A domain's DNS TXT record was found: the organization owns it"),
    ("domain.verification_failed", "A domain's DNS record was not found within 7 days of adding it"),
    ("domain.unverified", "A verified domain's DNS record has been missing for 72 hours"),
    ("domain.removed", "An email domain was removed (or another organization proved it owns it)"),
    ("purchase.completed", "A checkout was paid: `data` is the purchase"),
    ("feature.status_changed", "Single Sign-On or Directory Sync changed status (`from`, `to`, `reason`)"),
    ("setup_link.created", "A 24-hour setup link was generated"),
    (
        "setup_link.revoked",
        "A setup link was revoked (replaced, its feature turned off, or its maker no longer an Administrator)",
    ),
    ("setup_link.opened", "The IT admin opened a setup link for the first time"),
    (
        "setup_link.completed",
        "The setup was finished through a link (a passed test sign-in, or SCIM credentials generated)",
    ),
    ("sso_connection.configured", "The organization's identity provider connection was saved"),
    ("scim_token.created", "The directory's SCIM bearer token was generated (never the token itself)"),
    ("sso_enforcement.changed", "Require SSO was turned on or off, or the break-glass Administrators changed"),
    ("invite.sent", "Someone was invited to the organization (never the invite's token)"),
    ("invite.resent", "A pending invite was sent again with a new link"),
    ("invite.revoked", "A pending invite was revoked (by an Administrator, or because its sender stopped being one)"),
    ("invite.accepted", "An invite was accepted: `member.created` follows"),
    ("member.created", "Someone became a member (`source`: signup, invite, sso, scim or api)"),
    ("member.updated", "A member's role, plan, name or email changed"),
    ("member.suspended", "A member was suspended (by an Administrator, a service key or the directory)"),
    ("member.reactivated", "A suspended member was reactivated"),
    ("member.removed", "A member was removed from the organization"),
    ("group.created", "The directory created a group"),
    ("group.updated", "The directory renamed a group"),
    ("group.deleted", "The directory deleted a group"),
    ("group.member_added", "The directory added a member to a group"),
    ("group.member_removed", "The directory removed a member from a group"),
    ("webhook_endpoint.disabled", "A webhook endpoint was disabled after failing for days, or answering 410 Gone"),
];

pub fn is_event_type(t: &str) -> bool {
    EVENT_TYPES.iter().any(|(name, _)| *name == t)
}

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The person signed up.
    Signup,
    /// The person accepted an invite.
    Invite,
    /// An identity provider signed the person in (just-in-time).
    Sso,
    /// The organization's directory (SCIM).
    Scim,
    /// A service key.
    Api,
    /// An Administrator in the dashboard.
    Admin,
    /// The customer's IT admin, through a setup link.
    SetupLink,
    /// Gatehouse itself (a DNS re-check, a webhook endpoint disabled).
    System,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Signup => "signup",
            Source::Invite => "invite",
            Source::Sso => "sso",
            Source::Scim => "scim",
            Source::Api => "api",
            Source::Admin => "admin",
            Source::SetupLink => "setup_link",
            Source::System => "system",
        }
    }
}

/// One event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "evt_01938f3e8a0c7d1e9f2a3b4c5d6e7f80", "type": "member.suspended",
    "occurred_at": "2026-12-01T09:30:00Z", "organization_id": "org_0193b3a2c5d07c3e9a8b1c2d3e4f5a6b",
    "object_id": "org_0193b3a2c5d07c3e9a8b1c2d3e4f5a6b/usr_0193b3a2c5d07c3e9a8b1c2d3e4f5a6c",
    "version": 4, "source": "scim",
    "data": {
        "organization_id": "org_0193b3a2c5d07c3e9a8b1c2d3e4f5a6b", "user_id": "usr_0193b3a2c5d07c3e9a8b1c2d3e4f5a6c",
        "email": "ada@acme.com", "name": "Ada Lovelace", "role": "member", "plan_id": "plan_core",
        "suspended": true, "directory_managed": true, "joined_at": "2026-11-02T14:05:00Z"
    }
})))]
pub struct Event {
    /// `evt_…`, time-ordered; also the `webhook-id` of its deliveries.
    #[cfg_attr(feature = "openapi", schema(example = "evt_01938f3e8a0c7d1e9f2a3b4c5d6e7f80"))]
    pub id: String,
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", schema(example = "member.suspended"))]
    pub kind: String,
    #[serde(with = "crate::time::utc")]
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub organization_id: Option<String>,
    /// What changed: the member (`{org_id}/{user_id}`), domain, group, … id.
    pub object_id: String,
    /// Counts the object's changes: a delivery with a lower version than one
    /// already applied is stale.
    pub version: i64,
    pub source: Option<Source>,
    /// The object's state after the change.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
}

/// `GET /api/v1/events`: oldest first; pass `next_cursor` as `after`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct EventsResponse {
    pub data: Vec<Event>,
    /// Where this page ended (past the events the filters left out too):
    /// poll again with it as `after`. It never expires.
    #[cfg_attr(feature = "openapi", schema(example = "c1042.evt_01938f3e8a0c7d1e9f2a3b4c5d6e7f80"))]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams), into_params(parameter_in = Query))]
#[serde(default)]
pub struct EventsQuery {
    /// A `next_cursor`, or an event id: the events after it (absent: from
    /// the oldest kept).
    pub after: Option<String>,
    /// Comma-separated event types (absent: all).
    pub types: Option<String>,
    /// Only this organization's events.
    pub organization_id: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u64>,
}

/// Parses a comma-separated list of event types (empty: all).
pub fn parse_types(field: &str, list: &[String]) -> Result<Vec<String>, FieldError> {
    let mut out = Vec::new();
    for (i, t) in list.iter().enumerate() {
        let t = t.trim();
        if !is_event_type(t) {
            return Err(FieldError::new(
                format!("{field}[{i}]"),
                "unknown_event_type",
                "Not an event type: see the catalogue in the API reference (GET /api/v1/events).",
            ));
        }
        if !out.iter().any(|o| o == t) {
            out.push(t.to_owned());
        }
    }
    Ok(out)
}

/// `POST /api/v1/webhook-endpoints`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"url": "https://app.example.com/webhooks/gatehouse", "event_types": ["member.created", "member.suspended"], "description": "Provisioning sync"})))]
pub struct CreateWebhookEndpoint {
    /// `https://…` (plain `http` and private addresses only where the operator allows them).
    #[cfg_attr(feature = "openapi", schema(example = "https://app.example.com/webhooks/gatehouse"))]
    pub url: String,
    /// The event types to send (absent or empty: all).
    #[serde(default)]
    pub event_types: Option<Vec<String>>,
    #[serde(default)]
    pub description: Option<String>,
    /// Default true.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// `PATCH /api/v1/webhook-endpoints/{endpoint_id}`: what is present changes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"enabled": true})))]
pub struct UpdateWebhookEndpoint {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub event_types: Option<Vec<String>>,
    #[serde(default)]
    pub description: Option<String>,
    /// Turning an endpoint back on delivers from now on (replay what it missed).
    #[serde(default)]
    pub enabled: Option<bool>,
}

pub const MAX_DESCRIPTION: usize = 500;
pub const MAX_URL: usize = 2048;

/// A webhook URL's shape (the server also checks where it points when it sends).
pub fn check_url(url: &str) -> Result<String, Invalid> {
    let url = url.trim();
    let bad = |m: &str| Invalid::new("invalid_url", m);
    if url.is_empty() || url.len() > MAX_URL {
        return Err(bad("Enter the https:// address of your webhook receiver (at most 2048 characters)."));
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| bad("The address must start with https://."))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.contains('@') || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("The address needs a host, and no spaces or user:password@."));
    }
    if url.contains('#') {
        return Err(bad("The address cannot have a #fragment."));
    }
    Ok(url.to_owned())
}

pub fn check_description(d: &str) -> Result<String, Invalid> {
    let d = d.trim();
    if d.chars().count() > MAX_DESCRIPTION || d.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Invalid::new("invalid_description", "At most 500 characters, no control characters."));
    }
    Ok(d.to_owned())
}

/// A webhook endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct WebhookEndpoint {
    /// `whe_…`
    pub id: String,
    pub url: String,
    /// Empty: every event type.
    pub event_types: Vec<String>,
    pub description: String,
    pub enabled: bool,
    /// Why it was turned off by Gatehouse (`gone`: the receiver answered
    /// 410; `failing`: every delivery failed for 5 days), if it was.
    pub disabled_reason: Option<String>,
    /// The signing secret (`whsec_…`): only in the answer that created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(with = "crate::time::utc")]
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[serde(with = "crate::time::utc")]
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct WebhookEndpointsResponse {
    pub data: Vec<WebhookEndpoint>,
    pub next_cursor: Option<String>,
}

/// `POST …/rotate-secret`: the new secret (shown once). The previous one
/// keeps signing alongside it for 24 hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct WebhookSecret {
    pub secret: String,
    /// Until when deliveries also carry the previous secret's signature.
    #[serde(with = "crate::time::utc")]
    pub previous_secret_expires_at: chrono::DateTime<chrono::Utc>,
}

/// One try at delivering an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct WebhookAttempt {
    pub id: String,
    pub event_id: String,
    #[serde(with = "crate::time::utc")]
    pub attempted_at: chrono::DateTime<chrono::Utc>,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    pub latency_ms: i64,
    /// Why the try failed, in words (e.g. "the webhook URL did not answer
    /// within 5 seconds", "the receiver answered HTTP 503").
    pub error: Option<String>,
    /// The first characters of the receiver's answer (printable text only).
    pub response_excerpt: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct WebhookAttemptsResponse {
    pub data: Vec<WebhookAttempt>,
    pub next_cursor: Option<String>,
}

/// `POST …/replay`: deliver again the events committed after `after`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"after": "evt_01938f3e8a0c7d1e9f2a3b4c5d6e7f80"})))]
pub struct ReplayRequest {
    /// An event id (absent: every event kept).
    #[serde(default)]
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReplayResponse {
    /// How many deliveries were queued (an event already waiting for the
    /// endpoint is not queued again).
    pub queued: u64,
    /// More events follow (a replay looks at 10,000 at most, fewer while
    /// deliveries are waiting): replay again with this as `after`.
    pub next_cursor: Option<String>,
}

/// `event_types`, checked (its error recorded in `e`).
fn checked_types(e: &mut FieldErrors, list: &[String]) -> Option<Vec<String>> {
    parse_types("event_types", list).map_err(|err| e.push(err)).ok()
}

/// A create's fields, checked: (url, event types, description).
pub fn validate_create(r: &CreateWebhookEndpoint) -> Result<(String, Vec<String>, String), Vec<FieldError>> {
    let mut e = FieldErrors::new();
    let url = e.check("url", check_url(&r.url));
    let types = checked_types(&mut e, r.event_types.as_deref().unwrap_or_default());
    let description = e.check("description", check_description(r.description.as_deref().unwrap_or("")));
    match (url, types, description) {
        (Some(u), Some(t), Some(d)) => Ok((u, t, d)),
        _ => Err(e.into_vec()),
    }
}

/// An update's fields, checked: what is present.
#[allow(clippy::type_complexity)]
pub fn validate_update(
    r: &UpdateWebhookEndpoint,
) -> Result<(Option<String>, Option<Vec<String>>, Option<String>), Vec<FieldError>> {
    let mut e = FieldErrors::new();
    let url = r.url.as_deref().map(|u| e.check("url", check_url(u)));
    let types = r.event_types.as_deref().map(|t| checked_types(&mut e, t));
    let description = r.description.as_deref().map(|d| e.check("description", check_description(d)));
    let errors = e.into_vec();
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok((url.flatten(), types.flatten(), description.flatten()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_fields_are_checked_with_reasons() {
        let ok = CreateWebhookEndpoint {
            url: " https://app.example.com/hooks ".into(),
            event_types: Some(vec!["member.created".into(), "member.created".into()]),
            ..Default::default()
        };
        assert_eq!(
            validate_create(&ok).unwrap(),
            ("https://app.example.com/hooks".into(), vec!["member.created".into()], String::new())
        );
        let bad = CreateWebhookEndpoint {
            url: "ftp://x".into(),
            event_types: Some(vec!["member.created".into(), "member.exploded".into()]),
            description: Some("x".repeat(501)),
            enabled: None,
        };
        let fields: Vec<String> = validate_create(&bad).unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["url", "event_types[1]", "description"]);
        for url in ["https://", "https://u:p@h/", "https://h/#x", "https://h/ x", ""] {
            assert!(check_url(url).is_err(), "{url}");
        }
    }
}
