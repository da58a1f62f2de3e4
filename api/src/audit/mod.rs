//! The audit log: one row per administrative action, written in the same
//! transaction as the action, and read newest first.

pub mod entity;
pub mod read;
pub mod words;

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use tracing_actix_web::RequestId;

use crate::error::{AppError, AppResult};

/// Where a request came from, for the audit log.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl FromRequest for RequestMeta {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(RequestMeta {
            // The peer address, or the operator's proxy header when one is
            // configured: anything else the client sends can be forged.
            ip: crate::guard::client_ip::client_ip(
                req,
                req.app_data::<actix_web::web::Data<crate::state::AppState>>()
                    .and_then(|s| s.settings.client_ip_header.as_deref()),
            )
            .map(|ip| ip.to_string()),
            user_agent: req
                .headers()
                .get(actix_web::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(512).collect()),
            request_id: req.extensions().get::<RequestId>().map(ToString::to_string),
        }))
    }
}

/// Who did it: an Administrator, or the operator's service key.
#[derive(Clone, Copy, Debug)]
pub enum By<'a> {
    User(&'a shared::UserId),
    /// `key_…`
    Key(&'a str),
}

/// Who did it and from where: what every administrative service call records.
pub struct Actor<'a> {
    pub by: By<'a>,
    pub meta: &'a RequestMeta,
}

impl<'a> Actor<'a> {
    /// The id the audit log and the rows it made name (`usr_…` or `key_…`).
    pub fn id(&self) -> &'a str {
        match self.by {
            By::User(u) => u.as_str(),
            By::Key(k) => k,
        }
    }

    /// The Administrator, when a person acts (not a service key).
    pub fn user(&self) -> Option<&'a shared::UserId> {
        match self.by {
            By::User(u) => Some(u),
            By::Key(_) => None,
        }
    }
}

pub struct Event<'a> {
    pub organization_id: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub details: serde_json::Value,
}

pub async fn record(
    db: &impl ConnectionTrait,
    meta: &RequestMeta,
    at: chrono::DateTime<chrono::Utc>,
    e: Event<'_>,
) -> AppResult<()> {
    row(meta, at, e).insert(db).await?;
    Ok(())
}

/// The row `record` inserts, for callers that batch their writes.
pub fn row(meta: &RequestMeta, at: chrono::DateTime<chrono::Utc>, e: Event<'_>) -> entity::ActiveModel {
    entity::ActiveModel {
        id: Set(shared::EventId::generate().to_string()),
        organization_id: Set(e.organization_id.to_owned()),
        actor: Set(e.actor.to_owned()),
        action: Set(e.action.to_owned()),
        target: Set(e.target.to_owned()),
        details: Set(e.details.to_string()),
        ip: Set(meta.ip.clone()),
        user_agent: Set(meta.user_agent.clone()),
        request_id: Set(meta.request_id.clone()),
        occurred_at: Set(at),
    }
}
