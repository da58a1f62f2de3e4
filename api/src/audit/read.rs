//! `GET …/audit-events`: newest first, keyset-paginated on the time-ordered
//! id, narrowed by action, actor and time; `format=csv` exports the newest
//! 10,000 matching events as a file.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use shared::audit::{AuditEvent, AuditPage, AuditQuery};
use shared::page::PageQuery;
use shared::{EventId, OrganizationId, Problem};

use super::entity;
use crate::accounts::entity::user;
use crate::auth::OrgAdmin;
use crate::db::OrganizationScoped;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// At most this many events go into one CSV export.
pub const CSV_MAX_ROWS: u64 = 10_000;

fn bad(field: &'static str, detail: &str) -> AppError {
    AppError::field(field, "invalid_filter", detail)
}

fn time(value: Option<&str>, field: &'static str) -> AppResult<Option<DateTime<Utc>>> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| bad(field, "Give a time as 2026-12-01T00:00:00Z (RFC 3339)."))
        })
        .transpose()
}

/// The organization's events matching the query's filters, newest first.
async fn filtered(state: &AppState, org_id: &OrganizationId, q: &AuditQuery) -> AppResult<Select<entity::Entity>> {
    let mut select = entity::Entity::find_in(org_id.as_str()).order_by_desc(entity::Column::Id);
    if let Some(action) = q.action.as_deref().filter(|a| !a.is_empty()) {
        if action.len() > 64 || !action.bytes().all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_') {
            return Err(bad("action", "An action is a code such as member.removed, or a prefix such as member."));
        }
        select = match action.strip_suffix('.') {
            // Compared as text, not with LIKE (where `_` is a wildcard).
            Some(_) => {
                let head = sea_orm::sea_query::Func::cust("substr")
                    .arg(Expr::col(entity::Column::Action))
                    .arg(1)
                    .arg(i32::try_from(action.len()).unwrap_or(64));
                select.filter(Expr::expr(head).eq(action))
            }
            None => select.filter(entity::Column::Action.eq(action)),
        };
    }
    if let Some(actor) = q.actor.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        if actor.len() > 254 {
            return Err(bad("actor", "The actor is too long."));
        }
        // An email names the account's id; anything else is the actor as stored.
        let id = match shared::validation::Email::parse(actor) {
            Ok(email) => crate::accounts::members::account_by_email(&state.db, email.as_str())
                .await?
                .map(|u| u.id.into_string())
                .unwrap_or_default(),
            Err(_) => actor.to_owned(),
        };
        select = select.filter(entity::Column::Actor.eq(id));
    }
    let (since, until) = (time(q.since.as_deref(), "since")?, time(q.until.as_deref(), "until")?);
    if let (Some(s), Some(u)) = (since, until)
        && s >= u
    {
        return Err(bad("until", "The end of the range must come after its start."));
    }
    if let Some(s) = since {
        select = select.filter(entity::Column::OccurredAt.gte(s));
    }
    if let Some(u) = until {
        select = select.filter(entity::Column::OccurredAt.lt(u));
    }
    Ok(select)
}

/// The rows as the API shows them: actors' emails and each action in words.
async fn shown(state: &AppState, rows: Vec<entity::Model>) -> AppResult<Vec<AuditEvent>> {
    let mut actor_ids: Vec<String> = rows.iter().map(|r| r.actor.clone()).filter(|a| a.starts_with("usr_")).collect();
    actor_ids.sort();
    actor_ids.dedup();
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
    let plan =
        |id: &str| state.settings.plans.iter().find(|p| p.id == id).map_or_else(|| id.to_owned(), |p| p.name.clone());
    Ok(rows
        .into_iter()
        .map(|r| {
            let details = serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null);
            AuditEvent {
                actor_email: emails.get(&r.actor).cloned(),
                summary: super::words::summary(&r.action, &r.target, &details, &plan),
                details,
                id: r.id,
                action: r.action,
                actor: r.actor,
                target: r.target,
                occurred_at: r.occurred_at,
                ip: r.ip,
                user_agent: r.user_agent,
                request_id: r.request_id,
            }
        })
        .collect())
}

pub async fn page(state: &AppState, org_id: &OrganizationId, q: &AuditQuery) -> AppResult<AuditPage> {
    let paging = PageQuery { cursor: q.cursor.clone(), limit: q.limit };
    let mut select = filtered(state, org_id, q).await?.limit(paging.rows_to_read());
    if let Some(cursor) = paging.after() {
        let cursor = EventId::parse(cursor).map_err(|_| AppError::invalid_cursor())?;
        select = select.filter(entity::Column::Id.lt(cursor.as_str()));
    }
    let (rows, next_cursor) = paging.finish(select.all(&state.db).await?, |r| r.id.clone());
    Ok(AuditPage { data: shown(state, rows).await?, next_cursor })
}

/// One CSV cell: quoted when it must be, and never read as a formula by a
/// spreadsheet (a leading `=`, `+`, `-`, `@`, tab or carriage return gets a `'`).
fn cell(value: &str) -> String {
    let value =
        if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_owned() };
    // `;` and tab separate cells too in some spreadsheets' locales: quoted,
    // whatever follows them stays inside this cell.
    if value.contains([',', '"', '\n', '\r', ';', '\t']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

pub async fn csv(state: &AppState, org_id: &OrganizationId, q: &AuditQuery) -> AppResult<String> {
    let rows = filtered(state, org_id, q).await?.limit(CSV_MAX_ROWS).all(&state.db).await?;
    let mut out =
        String::from("occurred_at,actor,actor_email,action,summary,target,ip,user_agent,request_id,event_id\r\n");
    for e in shown(state, rows).await? {
        let fields = [
            e.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            e.actor,
            e.actor_email.unwrap_or_default(),
            e.action,
            e.summary,
            e.target,
            e.ip.unwrap_or_default(),
            e.user_agent.unwrap_or_default(),
            e.request_id.unwrap_or_default(),
            e.id,
        ];
        out.push_str(&fields.iter().map(|f| cell(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    Ok(out)
}

#[utoipa::path(
    get, path = "/api/v1/organizations/{org_id}/audit-events", tag = "audit", operation_id = "listAuditEvents",
    summary = "List the audit log",
    description = "The organization's audit log, newest first, narrowed by action, actor and time; `format=csv` exports it.",
    params(("org_id" = String, Path, description = "Organization id (`org_…`)"), AuditQuery),
    responses(
        (status = 200, description = "Administrative actions, newest first, each with a sentence; with `format=csv` a `text/csv` file of the newest 10,000 matching events", body = AuditPage,
            content((AuditPage = "application/json"), (String = "text/csv"))),
        (status = 400, description = "A cursor this API did not return", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organization, or not its Administrator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter that cannot be read (`action`, `since`, `until`, `format`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []), ("service_key" = []))
)]
pub async fn list(
    state: web::Data<AppState>,
    admin: OrgAdmin,
    query: web::Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    match query.format.as_deref() {
        None | Some("" | "json") => Ok(HttpResponse::Ok().json(page(&state, &admin.org_id, &query).await?)),
        Some("csv") => {
            let body = csv(&state, &admin.org_id, &query).await?;
            Ok(HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header((
                    actix_web::http::header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"audit-log-{}.csv\"", admin.org_id),
                ))
                .body(body))
        }
        Some(_) => Err(bad("format", "Ask for format=csv, or leave it out for JSON.")),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/organizations/{org_id}/audit-events", web::get().to(list));
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("@x"), "'@x");
        assert_eq!(cell("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(cell("Mozilla;=HYPERLINK(1)"), "\"Mozilla;=HYPERLINK(1)\"");
        assert_eq!(cell("a\t=1"), "\"a\t=1\"");
    }
}
