//! `/Groups`: groups of the directory's Users. Members are rows of
//! `directory_group_members`, so concurrent PATCHes adding different members
//! to one group never overwrite each other.

use std::collections::{BTreeSet, HashMap};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Select, Set,
};
use serde_json::{Map, Value, json};
use shared::GroupId;

use super::document::finish;
use super::entity::{group, group_member, user as dir_user};
use super::error::{ScimError, ScimResult};
use super::resource::{self, Stored};
use super::schema::Kind;
use super::{Directory, Projection, created, meta, read_json, respond};
use crate::db::OrganizationScoped;
use crate::events::NewEvent;
use crate::state::AppState;
use shared::events::Source;

const KIND: Kind = Kind::Group;

impl Stored for group::Model {
    type Entity = group::Entity;
    type Related = String;
    const KIND: Kind = KIND;
    const RELATED: &'static str = "members";
    const INDEXED: &'static [&'static str] = &["id", "displayName", "externalId"];

    fn id(&self) -> &str {
        &self.id
    }
    fn resource(&self) -> &str {
        &self.resource
    }
    fn in_org(org_id: &str) -> Select<group::Entity> {
        group::Entity::find_in(org_id).order_by_asc(group::Column::Id)
    }
    fn narrow(q: Select<group::Entity>, attr: &str, value: &str) -> Select<group::Entity> {
        match attr {
            "id" => q.filter(group::Column::Id.eq(value)),
            "displayName" => q.filter(group::Column::DisplayNameKey.eq(value.to_lowercase())),
            _ => q.filter(group::Column::ExternalId.eq(value)),
        }
    }
    async fn related(db: &impl ConnectionTrait, ids: &[String]) -> ScimResult<HashMap<String, Vec<String>>> {
        members_of(db, ids).await
    }
    fn render(&self, dir: &Directory, members: Option<&[String]>) -> ScimResult<Map<String, Value>> {
        render(dir, self, members)
    }
}

async fn find(db: &impl ConnectionTrait, dir: &Directory, id: &str) -> ScimResult<group::Model> {
    resource::find(db, dir, id).await
}

fn stored_doc(row: &group::Model) -> ScimResult<Map<String, Value>> {
    resource::stored_doc(row)
}

/// Members of these groups: group id → user ids.
async fn members_of(db: &impl ConnectionTrait, group_ids: &[String]) -> ScimResult<HashMap<String, Vec<String>>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    if group_ids.is_empty() {
        return Ok(out);
    }
    let links = group_member::Entity::find()
        .filter(group_member::Column::GroupId.is_in(group_ids.iter().cloned()))
        .order_by_asc(group_member::Column::MemberId)
        .all(db)
        .await?;
    for l in links {
        out.entry(l.group_id).or_default().push(l.member_id);
    }
    Ok(out)
}

fn render(dir: &Directory, row: &group::Model, members: Option<&[String]>) -> ScimResult<Map<String, Value>> {
    let mut doc = stored_doc(row)?;
    doc.insert("id".to_owned(), Value::String(row.id.clone()));
    finish(KIND, &mut doc);
    if let Some(members) = members.filter(|m| !m.is_empty()) {
        let list: Vec<Value> = members
            .iter()
            .map(|id| json!({ "value": id, "$ref": dir.location(Kind::User, id), "type": "User" }))
            .collect();
        doc.insert("members".to_owned(), Value::Array(list));
    }
    doc.insert("meta".to_owned(), meta(dir, KIND, &row.id, row.created_at, row.updated_at, row.version));
    Ok(doc)
}

/// Splits `members` out of a document: the set of user ids it names.
fn take_members(doc: &mut Map<String, Value>) -> ScimResult<BTreeSet<String>> {
    let Some(members) = doc.remove("members") else { return Ok(BTreeSet::new()) };
    members
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|m| {
                    m.get("value")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                        .ok_or_else(|| ScimError::invalid_value("Each member needs a 'value': the id of a User."))
                })
                .collect()
        })
        .unwrap_or_else(|| Ok(BTreeSet::new()))
}

/// The `displayName` (required); every create and save reads it first, so
/// the indexed attributes' lengths are checked here too.
fn display_name(doc: &Map<String, Value>) -> ScimResult<String> {
    super::check_key_lengths(doc)?;
    doc.get("displayName")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| ScimError::invalid_value("'displayName' is required."))
}

/// A group's event data: the group as it is now.
fn group_data(g: &group::Model) -> Value {
    json!({
        "id": g.id,
        "organization_id": g.organization_id,
        "display_name": g.display_name,
        "external_id": g.external_id,
        "updated_at": g.updated_at,
    })
}

/// `group.created`, `group.updated`, `group.deleted`.
async fn group_event(
    db: &impl ConnectionTrait,
    dir: &Directory,
    kind: &'static str,
    g: &group::Model,
) -> ScimResult<()> {
    let event = NewEvent::new(kind, &dir.org_id, g.id.as_str(), group_data(g)).by(Source::Scim);
    crate::events::emit(db, event, dir.now).await?;
    Ok(())
}

/// `group.member_added` / `group.member_removed`, one per directory User
/// (with the member's account id); the object is the membership
/// (`{group_id}/{directory_user_id}`).
pub(super) async fn member_events(
    db: &impl ConnectionTrait,
    dir: &Directory,
    g: &group::Model,
    added: &BTreeSet<String>,
    removed: &BTreeSet<String>,
) -> ScimResult<()> {
    if added.is_empty() && removed.is_empty() {
        return Ok(());
    }
    let mut accounts = HashMap::new();
    let ids: Vec<&String> = added.iter().chain(removed).collect();
    for chunk in ids.chunks(5000) {
        let found = dir_user::Entity::find_in(&dir.org_id)
            .select_only()
            .column(dir_user::Column::Id)
            .column(dir_user::Column::UserId)
            .filter(dir_user::Column::Id.is_in(chunk.iter().map(|s| s.as_str())))
            .into_tuple::<(String, String)>()
            .all(db)
            .await?;
        accounts.extend(found);
    }
    let group = group_data(g);
    for (kind, set) in [("group.member_added", added), ("group.member_removed", removed)] {
        for id in set {
            let data = json!({ "group": group, "directory_user_id": id, "user_id": accounts.get(id) });
            // The membership is the object: its own versions, so an added
            // member's event is never "stale" beside another member's.
            let event = NewEvent::new(kind, &dir.org_id, format!("{}/{id}", g.id), data).by(Source::Scim);
            crate::events::emit(db, event, dir.now).await?;
        }
    }
    Ok(())
}

/// Adds and removes member rows; every added id must be a User of this
/// directory. What it really changed: a member another request added or
/// removed in between (a retried PATCH) is in neither set, so it has no
/// second event.
async fn sync_members(
    txn: &DatabaseTransaction,
    dir: &Directory,
    group_id: &str,
    add: &BTreeSet<String>,
    remove: &BTreeSet<String>,
) -> ScimResult<(BTreeSet<String>, BTreeSet<String>)> {
    let (mut added, mut removed) = (BTreeSet::new(), BTreeSet::new());
    if !add.is_empty() {
        let ids: Vec<String> = add.iter().cloned().collect();
        let mut known = BTreeSet::new();
        for chunk in ids.chunks(5000) {
            let found = dir_user::Entity::find_in(&dir.org_id)
                .select_only()
                .column(dir_user::Column::Id)
                .filter(dir_user::Column::Id.is_in(chunk.iter().cloned()))
                .into_tuple::<String>()
                .all(txn)
                .await?;
            known.extend(found);
        }
        if let Some(missing) = add.iter().find(|id| !known.contains(*id)) {
            return Err(ScimError::invalid_value(format!("Member '{missing}' is not a User of this directory.")));
        }
        let rows: Vec<group_member::ActiveModel> = add
            .iter()
            .map(|id| group_member::ActiveModel { group_id: Set(group_id.to_owned()), member_id: Set(id.clone()) })
            .collect();
        // A member added by a concurrent request is already there: not an error.
        let on_conflict = OnConflict::columns([group_member::Column::GroupId, group_member::Column::MemberId])
            .do_nothing()
            .to_owned();
        for chunk in rows.chunks(1000) {
            let insert = group_member::Entity::insert_many(chunk.to_vec()).on_conflict(on_conflict.clone());
            match insert.exec_with_returning(txn).await {
                Ok(rows) => added.extend(rows.into_iter().map(|r| r.member_id)),
                Err(DbErr::RecordNotInserted) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    if !remove.is_empty() {
        for chunk in remove.iter().cloned().collect::<Vec<_>>().chunks(5000) {
            let gone = group_member::Entity::delete_many()
                .filter(group_member::Column::GroupId.eq(group_id))
                .filter(group_member::Column::MemberId.is_in(chunk.iter().cloned()))
                .exec_with_returning(txn)
                .await?;
            removed.extend(gone.into_iter().map(|r| r.member_id));
        }
    }
    Ok((added, removed))
}

pub async fn create(
    state: web::Data<AppState>,
    dir: Directory,
    req: HttpRequest,
    body: web::Payload,
) -> ScimResult<HttpResponse> {
    let mut doc = super::read_resource(&req, body, KIND).await?;
    let members = take_members(&mut doc)?;
    let name = display_name(&doc)?;
    let id = GroupId::generate().to_string();
    let txn = state.begin_write().await?;
    let row = group::ActiveModel {
        id: Set(id.clone()),
        organization_id: Set(dir.org_id.clone()),
        display_name: Set(name.clone()),
        display_name_key: Set(name.to_lowercase()),
        external_id: Set(doc.get("externalId").and_then(Value::as_str).map(str::to_owned)),
        resource: Set(Value::Object(doc).to_string()),
        version: Set(1),
        created_at: Set(dir.now),
        updated_at: Set(dir.now),
    }
    .insert(&txn)
    .await?;
    let (added, _) = sync_members(&txn, &dir, &id, &members, &BTreeSet::new()).await?;
    group_event(&txn, &dir, "group.created", &row).await?;
    member_events(&txn, &dir, &row, &added, &BTreeSet::new()).await?;
    dir.record(&txn, "directory.group.created", &name, json!({ "scim_id": id, "members": members.len() })).await?;
    txn.commit().await?;
    Ok(created(&dir.location(KIND, &id), &resource::render_one(&state.db, &dir, &row, &Projection::default()).await?))
}

async fn current_members(db: &impl ConnectionTrait, group_id: &str) -> ScimResult<BTreeSet<String>> {
    Ok(group_member::Entity::find()
        .select_only()
        .column(group_member::Column::MemberId)
        .filter(group_member::Column::GroupId.eq(group_id))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// Reads the Group and its members, makes the new document with `change`
/// and saves it; when another request changed the Group's own attributes in
/// between, starts again from the new version, so no change is lost.
async fn read_change_save(
    state: &AppState,
    dir: &Directory,
    id: &str,
    change: impl Fn(Map<String, Value>, &BTreeSet<String>) -> ScimResult<Map<String, Value>>,
) -> ScimResult<group::Model> {
    for _ in 0..super::SAVE_ATTEMPTS {
        let row = find(&state.db, dir, id).await?;
        let before = current_members(&state.db, &row.id).await?;
        let doc = change(stored_doc(&row)?, &before)?;
        if let Some(saved) = save(state, dir, row, doc, &before).await? {
            return Ok(saved);
        }
    }
    Err(super::kept_changing(KIND))
}

/// Stores the new document and member set (computed from `before`); `None`
/// (nothing saved) when the Group's own attributes change and the Group is no
/// longer the version `row` is. Membership changes alone are differences
/// (added, removed), so they apply to any version: a hundred concurrent
/// "add member" PATCHes all land.
async fn save(
    state: &AppState,
    dir: &Directory,
    row: group::Model,
    mut doc: Map<String, Value>,
    before: &BTreeSet<String>,
) -> ScimResult<Option<group::Model>> {
    let after = take_members(&mut doc)?;
    let name = display_name(&doc)?;
    let add: BTreeSet<String> = after.difference(before).cloned().collect();
    let remove: BTreeSet<String> = before.difference(&after).cloned().collect();
    let members_only = stored_doc(&row).is_ok_and(|mut old| {
        old.remove("members");
        old == doc
    });
    let txn = state.begin_write().await?;
    let (add, remove) = sync_members(&txn, dir, &row.id, &add, &remove).await?;
    let updated = if members_only {
        group::Entity::update_many()
            .col_expr(group::Column::Version, Expr::col(group::Column::Version).add(1))
            .col_expr(group::Column::UpdatedAt, Expr::value(dir.now))
            .filter(group::Column::Id.eq(row.id.as_str()))
            .exec(&*txn)
            .await?;
        group::Entity::find_by_id(row.id.as_str()).one(&*txn).await?.ok_or_else(ScimError::internal)?
    } else {
        let mut m: group::ActiveModel = row.clone().into();
        m.display_name = Set(name.clone());
        m.display_name_key = Set(name.to_lowercase());
        m.external_id = Set(doc.get("externalId").and_then(Value::as_str).map(str::to_owned));
        m.resource = Set(Value::Object(doc).to_string());
        m.version = Set(row.version + 1);
        m.updated_at = Set(dir.now);
        match group::Entity::update(m).validate()?.filter(group::Column::Version.eq(row.version)).exec(&*txn).await {
            Err(sea_orm::DbErr::RecordNotUpdated) => return Ok(None), // rolled back
            other => other?,
        }
    };
    if !members_only {
        group_event(&*txn, dir, "group.updated", &updated).await?;
    }
    member_events(&*txn, dir, &updated, &add, &remove).await?;
    let details = json!({ "scim_id": row.id, "members_added": add.len(), "members_removed": remove.len() });
    dir.record(&txn, "directory.group.updated", &name, details).await?;
    txn.commit().await?;
    Ok(Some(updated))
}

pub async fn replace(
    state: web::Data<AppState>,
    dir: Directory,
    id: web::Path<String>,
    req: HttpRequest,
    body: web::Payload,
) -> ScimResult<HttpResponse> {
    let doc = super::read_resource(&req, body, KIND).await?;
    let updated = read_change_save(&state, &dir, &id, |_, _| Ok(doc.clone())).await?;
    Ok(respond(StatusCode::OK, &resource::render_one(&state.db, &dir, &updated, &Projection::default()).await?))
}

pub async fn patch(
    state: web::Data<AppState>,
    dir: Directory,
    id: web::Path<String>,
    req: HttpRequest,
    body: web::Payload,
) -> ScimResult<HttpResponse> {
    let body = read_json(&req, body).await?;
    let updated = read_change_save(&state, &dir, &id, |mut doc, before| {
        if !before.is_empty() {
            let list: Vec<Value> = before.iter().map(|id| json!({ "value": id })).collect();
            doc.insert("members".to_owned(), Value::Array(list));
        }
        super::patch::apply(KIND, &mut doc, &body)?;
        Ok(doc)
    })
    .await?;
    Ok(respond(StatusCode::OK, &resource::render_one(&state.db, &dir, &updated, &Projection::default()).await?))
}

pub async fn delete(state: web::Data<AppState>, dir: Directory, id: web::Path<String>) -> ScimResult<HttpResponse> {
    let txn = state.begin_write().await?;
    let row = find(&txn, &dir, &id).await?;
    group_member::Entity::delete_many().filter(group_member::Column::GroupId.eq(row.id.as_str())).exec(&txn).await?;
    group::Entity::delete_by_id(row.id.as_str()).exec(&txn).await?;
    group_event(&txn, &dir, "group.deleted", &row).await?;
    dir.record(&txn, "directory.group.deleted", &row.display_name, json!({ "scim_id": row.id })).await?;
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
