//! `/api/v1/webhook-endpoints`: the operator's webhook endpoints (service
//! keys only; `read` keys list and read). The only writer of
//! `webhook_endpoints`.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use shared::Problem;
use shared::events::{
    CreateWebhookEndpoint, ReplayRequest, ReplayResponse, UpdateWebhookEndpoint, WebhookAttempt,
    WebhookAttemptsResponse, WebhookEndpoint, WebhookEndpointsResponse, WebhookSecret,
};
use shared::page::PageQuery;

use super::entity::{attempt, delivery, endpoint};
use super::signing;
use crate::auth::service_keys::ServiceCaller;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The previous secret keeps signing this long after a rotation.
pub const ROTATION_OVERLAP_HOURS: i64 = 24;
/// A replay queues at most this many deliveries per call.
pub const REPLAY_MAX: usize = 10_000;

type State = web::Data<AppState>;

fn view(e: endpoint::Model, secret: Option<String>) -> WebhookEndpoint {
    WebhookEndpoint {
        event_types: e.types(),
        id: e.id,
        url: e.url,
        description: e.description,
        enabled: e.enabled,
        disabled_reason: e.disabled_reason,
        secret,
        created_at: e.created_at,
        updated_at: e.updated_at,
    }
}

/// The URL as the sender will see it: its shape, then where it points.
fn checked_url(state: &AppState, url: Option<String>) -> AppResult<Option<String>> {
    let Some(url) = url else { return Ok(None) };
    state.outbound.check(&url, "webhook URL").map_err(|e| AppError::field("url", "invalid_url", &format!("{e}.")))?;
    Ok(Some(url))
}

async fn find(db: &impl ConnectionTrait, id: &str) -> AppResult<endpoint::Model> {
    endpoint::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)
}

fn seal(state: &AppState, secret: &str) -> AppResult<String> {
    state.keys.seal(secret.as_bytes()).map_err(AppError::Internal)
}

#[utoipa::path(
    post, path = "/api/v1/webhook-endpoints", tag = "webhooks", operation_id = "createWebhookEndpoint",
    summary = "Create a webhook endpoint",
    description = "Gatehouse POSTs every new event (or those of `event_types`) to `url`, signed per Standard Webhooks with the `secret` this answer shows once. Deliveries start with the events committed after this call.",
    request_body = CreateWebhookEndpoint,
    responses(
        (status = 201, description = "Created; `secret` (`whsec_…`) is shown this once", body = WebhookEndpoint),
        (status = 401, description = "No service key, or one that is not valid or was revoked", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is refused (`errors[]`): the URL (https, public address), an unknown event type, a long description", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many invalid keys from this address", body = Problem, content_type = "application/problem+json"),
    ),
    security(("service_key" = []))
)]
pub async fn create(
    state: State,
    caller: ServiceCaller,
    req: HttpRequest,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let request: CreateWebhookEndpoint = crate::error::parse_json(&req, &body)?;
    let (url, types, description) = shared::events::validate_create(&request).map_err(AppError::Validation)?;
    let url = checked_url(&state, Some(url))?.unwrap_or_default();
    let secret = signing::new_secret();
    let now = state.clock.now();
    let txn = state.begin_write().await?;
    // From now on: the events committed before it are not its.
    let head = crate::events::head(&*txn).await?;
    let row = endpoint::ActiveModel {
        id: Set(shared::WebhookEndpointId::generate().into_string()),
        url: Set(url),
        description: Set(description),
        event_types: Set(serde_json::to_string(&types).unwrap_or_else(|_| "[]".to_owned())),
        enabled: Set(request.enabled.unwrap_or(true)),
        disabled_reason: Set(None),
        secret: Set(seal(&state, &secret)?),
        previous_secret: Set(None),
        previous_secret_until: Set(None),
        cursor_seq: Set(head.seq),
        cursor_id: Set(head.id),
        failing_since: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*txn)
    .await?;
    txn.commit().await?;
    tracing::info!(endpoint = %row.id, key = %caller.key_id, "webhook endpoint created");
    Ok(HttpResponse::Created().json(view(row, Some(secret))))
}

#[utoipa::path(
    get, path = "/api/v1/webhook-endpoints", tag = "webhooks", operation_id = "listWebhookEndpoints",
    summary = "List webhook endpoints",
    description = "Every webhook endpoint, oldest first, a page at a time. Secrets are never shown again.",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of endpoints", body = WebhookEndpointsResponse),
        (status = 400, description = "A cursor this API did not return", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No service key, or one that is not valid or was revoked", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many invalid keys from this address", body = Problem, content_type = "application/problem+json"),
    ),
    security(("service_key" = []))
)]
pub async fn list(
    state: State,
    _caller: ServiceCaller,
    query: web::Query<PageQuery>,
) -> AppResult<web::Json<WebhookEndpointsResponse>> {
    let mut q = endpoint::Entity::find().order_by_asc(endpoint::Column::Id).limit(query.rows_to_read());
    if let Some(after) = query.after() {
        let after = shared::WebhookEndpointId::parse(after).map_err(|_| AppError::invalid_cursor())?;
        q = q.filter(endpoint::Column::Id.gt(after.as_str()));
    }
    let rows = q.all(&state.db).await?;
    let (rows, next_cursor) = query.finish(rows, |e| e.id.clone());
    Ok(web::Json(WebhookEndpointsResponse { data: rows.into_iter().map(|e| view(e, None)).collect(), next_cursor }))
}

#[utoipa::path(
    get, path = "/api/v1/webhook-endpoints/{endpoint_id}", tag = "webhooks", operation_id = "getWebhookEndpoint",
    summary = "Get a webhook endpoint",
    description = "The endpoint, without its secret; `disabled_reason` says why Gatehouse turned it off, if it did.",
    params(("endpoint_id" = String, Path, description = "Endpoint id (`whe_…`)")),
    responses(
        (status = 200, description = "The endpoint", body = WebhookEndpoint),
        (status = 401, description = "No service key, or one that is not valid or was revoked", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many invalid keys from this address", body = Problem, content_type = "application/problem+json"),
    ),
    security(("service_key" = []))
)]
pub async fn get(
    state: State,
    _caller: ServiceCaller,
    path: web::Path<String>,
) -> AppResult<web::Json<WebhookEndpoint>> {
    Ok(web::Json(view(find(&state.db, &path).await?, None)))
}

#[utoipa::path(
    patch, path = "/api/v1/webhook-endpoints/{endpoint_id}", tag = "webhooks", operation_id = "updateWebhookEndpoint",
    summary = "Update a webhook endpoint",
    description = "Changes what is present. Turning an endpoint off cancels its pending deliveries; turning it back on delivers the events committed from then on (replay what it missed with `…/replay`).",
    params(("endpoint_id" = String, Path, description = "Endpoint id (`whe_…`)")),
    request_body = UpdateWebhookEndpoint,
    responses(
        (status = 200, description = "Saved", body = WebhookEndpoint),
        (status = 401, description = "No service key, or one that is not valid or was revoked", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is refused (`errors[]`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many invalid keys from this address", body = Problem, content_type = "application/problem+json"),
    ),
    security(("service_key" = []))
)]
pub async fn update(
    state: State,
    caller: ServiceCaller,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> AppResult<web::Json<WebhookEndpoint>> {
    let request: UpdateWebhookEndpoint = crate::error::parse_json(&req, &body)?;
    let (url, types, description) = shared::events::validate_update(&request).map_err(AppError::Validation)?;
    let url = checked_url(&state, url)?;
    let now = state.clock.now();
    let txn = state.begin_write().await?;
    let current = find(&*txn, &path).await?;
    let was_enabled = current.enabled;
    let mut m = current.into_active_model();
    if let Some(url) = url {
        m.url = Set(url);
    }
    if let Some(types) = types {
        m.event_types = Set(serde_json::to_string(&types).unwrap_or_else(|_| "[]".to_owned()));
    }
    if let Some(d) = description {
        m.description = Set(d);
    }
    match request.enabled {
        Some(true) if !was_enabled => {
            let head = crate::events::head(&*txn).await?;
            m.enabled = Set(true);
            m.disabled_reason = Set(None);
            m.failing_since = Set(None);
            m.cursor_seq = Set(head.seq);
            m.cursor_id = Set(head.id);
        }
        Some(false) if was_enabled => {
            m.enabled = Set(false);
            cancel_pending(&*txn, &path, now).await?;
        }
        _ => {}
    }
    m.updated_at = Set(now);
    let saved = m.update(&*txn).await?;
    txn.commit().await?;
    tracing::info!(endpoint = %saved.id, key = %caller.key_id, "webhook endpoint updated");
    Ok(web::Json(view(saved, None)))
}

/// The endpoint's deliveries still to send are not sent.
pub(super) async fn cancel_pending(db: &impl ConnectionTrait, endpoint_id: &str, now: DateTime<Utc>) -> AppResult<()> {
    delivery::Entity::update_many()
        .col_expr(delivery::Column::State, Expr::value("cancelled"))
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
        .filter(delivery::Column::EndpointId.eq(endpoint_id))
        .filter(delivery::Column::State.eq("pending"))
        .exec(db)
        .await?;
    Ok(())
}

#[utoipa::path(
    delete, path = "/api/v1/webhook-endpoints/{endpoint_id}", tag = "webhooks", operation_id = "deleteWebhookEndpoint",
    summary = "Delete a webhook endpoint",
    description = "Nothing more is sent to it; its deliveries and their log go with it.",
    params(("endpoint_id" = String, Path, description = "Endpoint id (`whe_…`)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No service key, or one that is not valid or was revoked", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many invalid keys from this address", body = Problem, content_type = "application/problem+json"),
    ),
    security(("service_key" = []))
)]
pub async fn delete(state: State, caller: ServiceCaller, path: web::Path<String>) -> AppResult<HttpResponse> {
    let txn = state.begin_write().await?;
    let row = find(&*txn, &path).await?;
    attempt::Entity::delete_many().filter(attempt::Column::EndpointId.eq(row.id.as_str())).exec(&*txn).await?;
    delivery::Entity::delete_many().filter(delivery::Column::EndpointId.eq(row.id.as_str())).exec(&*txn).await?;
    endpoint::Entity::delete_by_id(row.id.as_str()).exec(&*txn).await?;
    txn.commit().await?;
    tracing::info!(endpoint = %row.id, key = %caller.key_id, "webhook endpoint deleted");
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    post, path = "/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret", tag = "webhooks", operation_id = "rotateWebhookSecret",
    summary = "Rotate a webhook endpoint's secret",
    description = "A new secret, shown once. For 24 hours every delivery carries two signatures (the new secret's and the previous one's), so receivers can switch without losing a delivery.",
    params(("endpoint_id" = String, Path, description = "Endpoint id (`whe_…`)")),
    responses(
        (status = 200, description = "The new secret", body = WebhookSecret),
        (status = 401, description = "No service key, or one that is not valid or was revoked", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many invalid keys from this address", body = Problem, content_type = "application/problem+json"),
    ),
    security(("service_key" = []))
)]
pub async fn rotate_secret(
    state: State,
    caller: ServiceCaller,
    path: web::Path<String>,
) -> AppResult<web::Json<WebhookSecret>> {
    let now = state.clock.now();
    let until = now + Duration::hours(ROTATION_OVERLAP_HOURS);
    let secret = signing::new_secret();
    let txn = state.begin_write().await?;
    let current = find(&*txn, &path).await?;
    let previous = current.secret.clone();
    let mut m = current.into_active_model();
    m.secret = Set(seal(&state, &secret)?);
    m.previous_secret = Set(Some(previous));
    m.previous_secret_until = Set(Some(until));
    m.updated_at = Set(now);
    let saved = m.update(&*txn).await?;
    txn.commit().await?;
    tracing::info!(endpoint = %saved.id, key = %caller.key_id, "webhook secret rotated");
    Ok(web::Json(WebhookSecret { secret, previous_secret_expires_at: until }))
}

#[utoipa::path(
    get, path = "/api/v1/webhook-endpoints/{endpoint_id}/attempts", tag = "webhooks", operation_id = "listWebhookAttempts",
    summary = "List delivery attempts",
    description = "Every try at delivering an event to this endpoint, newest first: the receiver's status, how long it took, what went wrong, and the start of its answer. Kept 30 days.",
    params(("endpoint_id" = String, Path, description = "Endpoint id (`whe_…`)"), PageQuery),
    responses(
        (status = 200, description = "A page of attempts", body = WebhookAttemptsResponse),
        (status = 400, description = "A cursor this API did not return", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No service key, or one that is not valid or was revoked", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many invalid keys from this address", body = Problem, content_type = "application/problem+json"),
    ),
    security(("service_key" = []))
)]
pub async fn attempts(
    state: State,
    _caller: ServiceCaller,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> AppResult<web::Json<WebhookAttemptsResponse>> {
    let endpoint = find(&state.db, &path).await?;
    let mut q = attempt::Entity::find()
        .filter(attempt::Column::EndpointId.eq(endpoint.id.as_str()))
        .order_by_desc(attempt::Column::Id)
        .limit(query.rows_to_read());
    if let Some(before) = query.after() {
        let before = shared::WebhookAttemptId::parse(before).map_err(|_| AppError::invalid_cursor())?;
        q = q.filter(attempt::Column::Id.lt(before.as_str()));
    }
    let rows = q.all(&state.db).await?;
    let (rows, next_cursor) = query.finish(rows, |a| a.id.clone());
    let data = rows
        .into_iter()
        .map(|a| WebhookAttempt {
            id: a.id,
            event_id: a.event_id,
            attempted_at: a.attempted_at,
            status: a.status.and_then(|s| u16::try_from(s).ok()),
            latency_ms: a.latency_ms,
            error: a.error,
            response_excerpt: a.response_excerpt,
        })
        .collect();
    Ok(web::Json(WebhookAttemptsResponse { data, next_cursor }))
}

#[utoipa::path(
    post, path = "/api/v1/webhook-endpoints/{endpoint_id}/replay", tag = "webhooks", operation_id = "replayWebhookEvents",
    summary = "Replay events to an endpoint",
    description = "Delivers again the events (of the endpoint's types) committed after `after` (absent: every event kept), looking at up to 10,000 per call; `next_cursor` says where to go on from when there are more. Each keeps its event id as `webhook-id`, so receivers that already have it can drop it. An event already waiting for this endpoint is not queued twice, and an endpoint with 10,000 deliveries waiting takes no replay until they are sent (409 `replay_backlog`).",
    params(("endpoint_id" = String, Path, description = "Endpoint id (`whe_…`)")),
    request_body = ReplayRequest,
    responses(
        (status = 202, description = "Queued", body = ReplayResponse),
        (status = 400, description = "`after` is neither an event id nor a `next_cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No service key, or one that is not valid or was revoked", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`endpoint_disabled`: turn the endpoint on first; `replay_backlog`: 10,000 deliveries are waiting already", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`cursor_expired`: the `after` event is no longer kept", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many invalid keys from this address", body = Problem, content_type = "application/problem+json"),
    ),
    security(("service_key" = []))
)]
pub async fn replay(
    state: State,
    caller: ServiceCaller,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let request: ReplayRequest = crate::error::parse_json(&req, &body)?;
    let endpoint = find(&state.db, &path).await?;
    if !endpoint.enabled {
        return Err(AppError::conflict("endpoint_disabled", "This endpoint is turned off; turn it on, then replay."));
    }
    let mut cursor = match request.after.as_deref().filter(|a| !a.is_empty()) {
        Some(a) => Some(crate::events::cursor_at(&state.db, "after", a).await?),
        None => None,
    };
    // What is waiting bounds what a replay adds: a key looping over replays
    // cannot pile up deliveries (each retried for days) without end.
    let waiting = || {
        delivery::Entity::find()
            .filter(delivery::Column::EndpointId.eq(endpoint.id.as_str()))
            .filter(delivery::Column::State.eq("pending"))
    };
    let pending = usize::try_from(waiting().count(&state.db).await?).unwrap_or(usize::MAX);
    if pending >= REPLAY_MAX {
        return Err(AppError::conflict(
            "replay_backlog",
            format!(
                "This endpoint has {pending} deliveries waiting already: replay again once they are sent (GET …/attempts shows how they go)."
            ),
        ));
    }
    let room = REPLAY_MAX - pending;
    let types = endpoint.types();
    let filter = crate::events::Filter { organization_id: None, types: &types, until: None };
    let now = state.clock.now();
    let (mut scanned, mut queued) = (0usize, 0usize);
    let mut more = false;
    while scanned < room {
        let want = (room - scanned).min(1000) as u64;
        let page = crate::events::after(&state.db, cursor.as_ref(), &filter, want).await?;
        let Some(last) = page.last() else { break };
        cursor = Some(crate::events::Cursor::of(last));
        let ids: Vec<String> = page.iter().map(|e| e.id.clone()).collect();
        let txn = state.begin_write().await?;
        // Not twice: an event still waiting for this endpoint stays as it is.
        let already: std::collections::HashSet<String> = waiting()
            .select_only()
            .column(delivery::Column::EventId)
            .filter(delivery::Column::EventId.is_in(ids.iter().map(String::as_str)))
            .into_tuple()
            .all(&*txn)
            .await?
            .into_iter()
            .collect();
        let fresh: Vec<String> = ids.iter().filter(|id| !already.contains(*id)).cloned().collect();
        super::dispatch::queue(&*txn, &endpoint.id, &fresh, now).await?;
        txn.commit().await?;
        scanned += ids.len();
        queued += fresh.len();
        more = ids.len() as u64 == want;
        if !more {
            break;
        }
    }
    let next_cursor = if more && scanned >= room { cursor.map(|c| c.encode()) } else { None };
    tracing::info!(endpoint = %endpoint.id, key = %caller.key_id, queued, "webhook replay queued");
    Ok(HttpResponse::Accepted().json(ReplayResponse { queued: queued as u64, next_cursor }))
}
