//! What Users and Groups share: reading one, listing with filters and
//! paging, and projecting the answer. Each table says how it is scoped,
//! narrowed by an indexed equality, rendered, and which multi-valued
//! attribute it keeps in a side table (`groups` of a User, `members` of a
//! Group), loaded only when the answer or the filter needs it.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, QuerySelect, Select};
use serde_json::{Map, Value};

use super::error::{ScimError, ScimResult};
use super::filter::{self, Filter};
use super::schema::Kind;
use super::{Directory, ListParams, ListQuery, Projection, list_response, read_json, respond};
use crate::state::AppState;

pub trait Stored: sea_orm::FromQueryResult + Sized + Send + Sync + 'static {
    type Entity: EntityTrait<Model = Self> + Send + Sync;
    /// Each stored row's side-table values (group ids and names, member ids).
    type Related;
    const KIND: Kind;
    /// The attribute the side table answers for.
    const RELATED: &'static str;
    /// Attributes `narrow` can answer from an index.
    const INDEXED: &'static [&'static str];

    fn id(&self) -> &str;
    /// The stored document.
    fn resource(&self) -> &str;
    /// The organization's rows, in creation order.
    fn in_org(org_id: &str) -> Select<Self::Entity>;
    /// Rows whose `attr` (one of `INDEXED`) equals `value`.
    fn narrow(q: Select<Self::Entity>, attr: &str, value: &str) -> Select<Self::Entity>;
    fn related(
        db: &impl ConnectionTrait,
        ids: &[String],
    ) -> impl Future<Output = ScimResult<HashMap<String, Vec<Self::Related>>>>;
    fn render(&self, dir: &Directory, related: Option<&[Self::Related]>) -> ScimResult<Map<String, Value>>;
}

pub fn stored_doc<R: Stored>(row: &R) -> ScimResult<Map<String, Value>> {
    match serde_json::from_str(row.resource()) {
        Ok(Value::Object(m)) => Ok(m),
        _ => {
            tracing::error!(id = row.id(), "scim: stored document is not an object");
            Err(ScimError::internal())
        }
    }
}

/// The row with this id in the directory's organization, or 404.
pub async fn find<R: Stored>(db: &impl ConnectionTrait, dir: &Directory, id: &str) -> ScimResult<R> {
    let not_found = || ScimError::not_found(R::KIND.name(), &id.replace('\0', "\\u0000"));
    if id.contains('\0') {
        return Err(not_found()); // no id has one (and PostgreSQL could not even compare it)
    }
    R::narrow(R::in_org(&dir.org_id), "id", id).one(db).await?.ok_or_else(not_found)
}

async fn related_if<R: Stored>(
    db: &impl ConnectionTrait,
    wanted: bool,
    rows: &[R],
) -> ScimResult<HashMap<String, Vec<R::Related>>> {
    if !wanted || rows.is_empty() {
        return Ok(HashMap::new());
    }
    R::related(db, &rows.iter().map(|r| r.id().to_owned()).collect::<Vec<_>>()).await
}

pub async fn render_one<R: Stored>(
    db: &impl ConnectionTrait,
    dir: &Directory,
    row: &R,
    p: &Projection,
) -> ScimResult<Value> {
    let related = related_if(db, p.includes(R::RELATED), std::slice::from_ref(row)).await?;
    let mut doc = row.render(dir, related.get(row.id()).map(Vec::as_slice))?;
    p.apply(R::KIND, &mut doc);
    Ok(Value::Object(doc))
}

fn filter_uses(f: &Filter, name: &str) -> bool {
    match f {
        Filter::Compare(p, _, _) | Filter::Present(p) | Filter::ValuePath(p, _) => p.name.eq_ignore_ascii_case(name),
        Filter::And(a, b) | Filter::Or(a, b) => filter_uses(a, name) || filter_uses(b, name),
        Filter::Not(f) => filter_uses(f, name),
    }
}

/// Refuses a filter no index narrows when the directory holds more than
/// `max_scan` resources: it would read and render all of them on every
/// request (RFC 7644 §3.4.2.2 `tooMany`).
async fn bound_scan<R: Stored>(
    db: &impl ConnectionTrait,
    q: &sea_orm::Select<R::Entity>,
    max_scan: u64,
) -> ScimResult<()> {
    if max_scan == 0 {
        return Ok(());
    }
    // At most `max_scan + 1` row ids (sea-orm's `count` would drop the limit
    // and count the whole directory).
    let ids: Vec<String> = q
        .clone()
        .select_only()
        .column_as(sea_orm::sea_query::Expr::cust("id"), "id")
        .limit(max_scan + 1)
        .into_tuple()
        .all(db)
        .await?;
    if ids.len() as u64 > max_scan {
        let hint = R::INDEXED.iter().map(|a| format!("{a} eq \"…\"")).collect::<Vec<_>>().join(", ");
        return Err(ScimError::bad(
            "tooMany",
            format!(
                "This directory has more than {max_scan} resources, and this filter would read every one of them on \
                 each request. Filter on {hint} (alone or joined with 'and'), or page through the list without a filter."
            ),
        ));
    }
    Ok(())
}

async fn list_rows<R: Stored>(
    db: &impl ConnectionTrait,
    dir: &Directory,
    params: ListParams,
    max_scan: u64,
) -> ScimResult<HttpResponse> {
    let mut q = R::in_org(&dir.org_id);
    let skip = params.start_index - 1;
    let (total, page) = match &params.filter {
        None => {
            let total = q.clone().count(db).await?;
            (total, q.offset(skip).limit(params.count).all(db).await?)
        }
        Some(f) => {
            // Narrow by an indexed equality when the filter has one; the
            // whole filter is then applied to each candidate.
            match filter::indexed_equality(R::KIND, f, R::INDEXED) {
                Some((attr, value)) => q = R::narrow(q, attr, value),
                None => bound_scan::<R>(db, &q, max_scan).await?,
            }
            let rows = q.all(db).await?;
            let related = related_if(db, filter_uses(f, R::RELATED), &rows).await?;
            let mut matching = Vec::new();
            for row in rows {
                let doc = Value::Object(row.render(dir, related.get(row.id()).map(Vec::as_slice))?);
                if filter::matches(R::KIND, f, &doc) {
                    matching.push(row);
                }
            }
            let total = matching.len() as u64;
            (total, matching.into_iter().skip(skip as usize).take(params.count as usize).collect())
        }
    };
    let related = related_if(db, params.projection.includes(R::RELATED), &page).await?;
    let mut resources = Vec::with_capacity(page.len());
    for row in &page {
        let mut doc = row.render(dir, related.get(row.id()).map(Vec::as_slice))?;
        params.projection.apply(R::KIND, &mut doc);
        resources.push(Value::Object(doc));
    }
    Ok(respond(StatusCode::OK, &list_response(total, params.start_index, resources)))
}

/// `GET /Users`, `GET /Groups`
pub async fn list<R: Stored>(state: web::Data<AppState>, dir: Directory, q: ListQuery) -> ScimResult<HttpResponse> {
    let params = super::query_list_params(R::KIND, &q)?;
    list_rows::<R>(&state.db, &dir, params, state.settings.scim_max_filter_scan).await
}

/// `POST /Users/.search`, `POST /Groups/.search`
pub async fn search<R: Stored>(
    state: web::Data<AppState>,
    dir: Directory,
    req: HttpRequest,
    body: web::Payload,
) -> ScimResult<HttpResponse> {
    let body = read_json(&req, body).await?;
    let params = super::search_list_params(R::KIND, &body)?;
    list_rows::<R>(&state.db, &dir, params, state.settings.scim_max_filter_scan).await
}

/// `GET /Users/{id}`, `GET /Groups/{id}`
pub async fn get<R: Stored>(
    state: web::Data<AppState>,
    dir: Directory,
    id: web::Path<String>,
    q: ListQuery,
) -> ScimResult<HttpResponse> {
    let row: R = find(&state.db, &dir, &id).await?;
    let p = super::projection(super::param(&q, "attributes"), super::param(&q, "excludedAttributes"))?;
    Ok(respond(StatusCode::OK, &render_one(&state.db, &dir, &row, &p).await?))
}
