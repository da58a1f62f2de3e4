//! Idempotent requests (`Idempotency-Key`, per organization): the first
//! request with a key claims it; a retry with the same key and body gets
//! the stored answer again; a retry while the first is still running gets
//! 409 `request_in_progress`; the same key with another body is refused
//! (`idempotency_key_reused`). A request that failed on our side releases
//! its key, so it can be retried.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::entity::idempotency;
use crate::db::OrganizationScoped;
use crate::error::{AppError, AppResult, PROBLEM_JSON};
use crate::state::AppState;

/// An answer as it is stored for replay: status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
}

impl StoredResponse {
    pub fn content_type(&self) -> &'static str {
        if self.status < 400 { "application/json" } else { PROBLEM_JSON }
    }

    /// A refusal, stored as its problem document.
    pub fn from_error(e: &AppError) -> AppResult<Self> {
        let body = serde_json::to_string(&e.problem()).map_err(anyhow::Error::from)?;
        Ok(Self { status: actix_web::ResponseError::status_code(e).as_u16(), body })
    }
}

/// The header's value: 1–255 printable ASCII characters.
pub fn check_key(key: Option<&str>) -> AppResult<String> {
    let key = key.map(str::trim).unwrap_or_default();
    if key.is_empty() {
        return Err(AppError::bad_request(
            "idempotency_key_required",
            "Send an Idempotency-Key header (a random value per purchase attempt) so a retry never charges twice.",
        ));
    }
    if key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::bad_request(
            "invalid_idempotency_key",
            "The Idempotency-Key must be 1–255 printable ASCII characters.",
        ));
    }
    Ok(key.to_owned())
}

/// What claiming a key found.
pub enum Claim {
    /// This request holds the key: do the work, then [`save`] or [`release`].
    Claimed,
    /// The same request was answered before: answer the same again.
    Replay(StoredResponse),
}

/// Claims `key` for a request whose body has `fingerprint`.
pub async fn claim(state: &AppState, org_id: &str, key: &str, fingerprint: &str) -> AppResult<Claim> {
    let inserted = idempotency::ActiveModel {
        organization_id: Set(org_id.to_owned()),
        key: Set(key.to_owned()),
        request_hash: Set(fingerprint.to_owned()),
        response_status: Set(None),
        response_body: Set(None),
        created_at: Set(state.clock.now()),
    }
    .insert(&state.db)
    .await;
    let Err(e) = inserted else { return Ok(Claim::Claimed) };
    if !matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) {
        return Err(e.into());
    }
    let prior = idempotency::Entity::find_by_id((org_id.to_owned(), key.to_owned()))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("idempotency row vanished")))?;
    if prior.request_hash != fingerprint {
        return Err(AppError::field(
            "Idempotency-Key",
            "idempotency_key_reused",
            "This Idempotency-Key was used for a different request; use a new key for a new attempt.",
        ));
    }
    match (prior.response_status, prior.response_body) {
        (Some(status), Some(body)) => {
            Ok(Claim::Replay(StoredResponse { status: u16::try_from(status).unwrap_or(500), body }))
        }
        _ => Err(AppError::conflict(
            "request_in_progress",
            "A request with this Idempotency-Key is still being processed; retry in a moment.",
        )),
    }
}

/// Stores the answer of the request holding `key`, for its retries.
pub async fn save(state: &AppState, org_id: &str, key: &str, answer: &StoredResponse) -> AppResult<()> {
    idempotency::Entity::update_in(org_id)
        .col_expr(idempotency::Column::ResponseStatus, Expr::value(i32::from(answer.status)))
        .col_expr(idempotency::Column::ResponseBody, Expr::value(answer.body.clone()))
        .filter(idempotency::Column::Key.eq(key))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// Frees `key` after a failure on our side, so the same request can be retried.
pub async fn release(state: &AppState, org_id: &str, key: &str) -> AppResult<()> {
    idempotency::Entity::delete_by_id((org_id.to_owned(), key.to_owned())).exec(&state.db).await?;
    Ok(())
}
