//! `GET …/audit-events`: newest first, keyset-paginated on the time-ordered id.

use std::collections::HashMap;

use actix_web::web;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use shared::audit::{AuditEvent, AuditPage};
use shared::page::PageQuery;
use shared::{EventId, OrganizationId, Problem};

use super::entity;
use crate::accounts::entity::user;
use crate::auth::OrgAdmin;
use crate::db::OrganizationScoped;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub async fn page(state: &AppState, org_id: &OrganizationId, query: &PageQuery) -> AppResult<AuditPage> {
    let mut select =
        entity::Entity::find_in(org_id.as_str()).order_by_desc(entity::Column::Id).limit(query.rows_to_read());
    if let Some(cursor) = query.after() {
        let cursor = EventId::parse(cursor)
            .map_err(|_| AppError::bad_request("invalid_cursor", "The cursor is not one this API returned."))?;
        select = select.filter(entity::Column::Id.lt(cursor.as_str()));
    }
    let (rows, next_cursor) = query.finish(select.all(&state.db).await?, |r| r.id.clone());

    let actor_ids: Vec<String> = rows.iter().map(|r| r.actor.clone()).filter(|a| a.starts_with("usr_")).collect();
    let emails: HashMap<String, String> = if actor_ids.is_empty() {
        HashMap::new()
    } else {
        user::Entity::find()
            .filter(user::Column::Id.is_in(actor_ids))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|u| (u.id.into_string(), u.email))
            .collect()
    };
    let data = rows
        .into_iter()
        .map(|r| AuditEvent {
            actor_email: emails.get(&r.actor).cloned(),
            details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
            id: r.id,
            action: r.action,
            actor: r.actor,
            target: r.target,
            occurred_at: r.occurred_at,
            ip: r.ip,
            user_agent: r.user_agent,
            request_id: r.request_id,
        })
        .collect();
    Ok(AuditPage { data, next_cursor })
}

#[utoipa::path(
    get, path = "/api/v1/organizations/{org_id}/audit-events", tag = "audit",
    params(("org_id" = String, Path, description = "Organization id (`org_…`)"), PageQuery),
    responses(
        (status = 200, description = "Administrative actions, newest first", body = AuditPage),
        (status = 400, description = "A cursor this API did not return", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organization, or not its Administrator", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn list(
    state: web::Data<AppState>,
    admin: OrgAdmin,
    query: web::Query<PageQuery>,
) -> AppResult<web::Json<AuditPage>> {
    Ok(web::Json(page(&state, &admin.org_id, &query).await?))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/organizations/{org_id}/audit-events", web::get().to(list));
}
