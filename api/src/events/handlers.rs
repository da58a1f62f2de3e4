//! `GET /api/v1/events`: the feed, for service keys.

use actix_web::web;
use shared::Problem;
use shared::events::{EventsQuery, EventsResponse};

use crate::auth::service_keys::ServiceCaller;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

const DEFAULT_LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 200;

#[utoipa::path(
    get, path = "/api/v1/events", tag = "integrators", operation_id = "listEvents",
    summary = "List events",
    description = "Every state change, in commit order: organizations, domains, purchases, feature statuses, setup links, SSO connections, members and groups. Poll with `after` set to the previous page's `next_cursor` (or an event id); a reader that follows `next_cursor` never misses an event, even one whose transaction commits after a later one. Events are kept 30 days (`events_retention_days`). Each carries its object's `version`, which only goes up: drop a delivery older than the one you applied.",
    params(EventsQuery),
    responses(
        (status = 200, description = "Up to `limit` events after `after`, oldest first", body = EventsResponse),
        (status = 400, description = "`after` is neither an event id nor a `next_cursor`, or `organization_id` not an organization id (`invalid_cursor`, `invalid_query`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No service key, or one that is not valid or was revoked", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`cursor_expired`: the `after` event is no longer kept; start again without it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown event type in `types` (`types[i]`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many invalid keys from this address", body = Problem, content_type = "application/problem+json"),
    ),
    security(("service_key" = []))
)]
pub async fn list(
    state: web::Data<AppState>,
    _caller: ServiceCaller,
    query: web::Query<EventsQuery>,
) -> AppResult<web::Json<EventsResponse>> {
    let types: Vec<String> = query
        .types
        .as_deref()
        .map(|t| t.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    let types = shared::events::parse_types("types", &types).map_err(|e| AppError::Validation(vec![e]))?;
    let org = match query.organization_id.as_deref().filter(|o| !o.is_empty()) {
        Some(o) => Some(shared::OrganizationId::parse(o).map_err(|_| {
            AppError::bad_request("invalid_query", "`organization_id` is not an organization id (org_…).")
        })?),
        None => None,
    };
    let cursor = match query.after.as_deref().filter(|a| !a.is_empty()) {
        Some(a) => Some(super::cursor_at(&state.db, "after", a).await?),
        None => None,
    };
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    // Read up to the newest event first: a page that is not full then moves
    // the cursor past every event it looked at (those the filter left out
    // too), and nothing committed in between is passed over.
    let head = super::head(&state.db).await?;
    let filter = super::Filter {
        organization_id: org.as_ref().map(shared::OrganizationId::as_str),
        types: &types,
        until: Some(&head),
    };
    let rows = super::after(&state.db, cursor.as_ref(), &filter, limit).await?;
    let full = rows.len() as u64 == limit;
    let next = match rows.last() {
        Some(last) if full => Some(super::Cursor::of(last)),
        _ if head.id.is_empty() => cursor,
        _ => match cursor {
            Some(c) if (c.seq, c.id.as_str()) > (head.seq, head.id.as_str()) => Some(c),
            _ => Some(head),
        },
    };
    let next_cursor = next.map(|c| c.encode());
    Ok(web::Json(EventsResponse { data: rows.into_iter().map(super::view).collect(), next_cursor }))
}
