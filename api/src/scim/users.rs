//! `/Users`: each SCIM User is a member of the directory's organization.
//!
//! - create: the work email (primary, else `type: work`, else the first, else
//!   an email-shaped `userName`) must be in one of the organization's
//!   domains; the account with that email is reused or created (without a
//!   password: sign-in is through SSO), and becomes a member with the
//!   Provision Default Plan; `roles` containing `admin` makes an Administrator.
//! - `active: false` suspends the membership and ends the account's sessions.
//! - delete disconnects the member from the organization; the account stays.
//! - the last active Administrator cannot be suspended, demoted or removed.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, InsertStatement, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Set,
};
use serde_json::{Map, Value, json};
use shared::accounts::Role;
use shared::events::Source;
use shared::validation::Email;
use shared::{DirectoryUserId, UserId};

use super::document::finish;
use super::entity::{group, group_member, user as dir_user};
use super::error::{ScimError, ScimResult};
use super::resource::{self, Stored};
use super::schema::Kind;
use super::{DIRECTORY_ACTOR, Directory, Projection, created, meta, read_json, respond};
use crate::accounts::entity::{membership, organization, user as account};
use crate::accounts::members::{self, ChangeError, Deprovisioned, Refusal};
use crate::audit::{self, Event};
use crate::db::OrganizationScoped;
use crate::domains::entity as domain;
use crate::error::on_unique;
use crate::state::AppState;

const KIND: Kind = Kind::User;

impl Stored for dir_user::Model {
    type Entity = dir_user::Entity;
    type Related = (String, String);
    const KIND: Kind = KIND;
    const RELATED: &'static str = "groups";
    const INDEXED: &'static [&'static str] = &["id", "userName", "externalId"];

    fn id(&self) -> &str {
        &self.id
    }
    fn resource(&self) -> &str {
        &self.resource
    }
    fn in_org(org_id: &str) -> Select<dir_user::Entity> {
        dir_user::Entity::find_in(org_id).order_by_asc(dir_user::Column::Id)
    }
    fn narrow(q: Select<dir_user::Entity>, attr: &str, value: &str) -> Select<dir_user::Entity> {
        match attr {
            "id" => q.filter(dir_user::Column::Id.eq(value)),
            "userName" => q.filter(dir_user::Column::UserNameKey.eq(user_name_key(value))),
            _ => q.filter(dir_user::Column::ExternalId.eq(value)),
        }
    }
    async fn related(db: &impl ConnectionTrait, ids: &[String]) -> ScimResult<HashMap<String, Vec<(String, String)>>> {
        groups_of(db, ids).await
    }
    fn render(&self, dir: &Directory, groups: Option<&[(String, String)]>) -> ScimResult<Map<String, Value>> {
        render(dir, self, groups)
    }
}

pub(crate) async fn find(db: &impl ConnectionTrait, dir: &Directory, id: &str) -> ScimResult<dir_user::Model> {
    resource::find(db, dir, id).await
}

fn stored_doc(row: &dir_user::Model) -> ScimResult<Map<String, Value>> {
    resource::stored_doc(row)
}

/// The SCIM representation (before projection).
fn render(
    dir: &Directory,
    row: &dir_user::Model,
    groups: Option<&[(String, String)]>,
) -> ScimResult<Map<String, Value>> {
    let mut doc = stored_doc(row)?;
    doc.insert("id".to_owned(), Value::String(row.id.clone()));
    finish(KIND, &mut doc);
    if let Some(groups) = groups.filter(|g| !g.is_empty()) {
        let list: Vec<Value> = groups
            .iter()
            .map(|(id, name)| {
                json!({ "value": id, "$ref": dir.location(Kind::Group, id), "display": name, "type": "direct" })
            })
            .collect();
        doc.insert("groups".to_owned(), Value::Array(list));
    }
    doc.insert("meta".to_owned(), meta(dir, KIND, &row.id, row.created_at, row.updated_at, row.version));
    Ok(doc)
}

/// Each member's groups, as (group id, displayName).
async fn groups_of(db: &impl ConnectionTrait, ids: &[String]) -> ScimResult<HashMap<String, Vec<(String, String)>>> {
    let mut out: HashMap<String, Vec<(String, String)>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let links =
        group_member::Entity::find().filter(group_member::Column::MemberId.is_in(ids.iter().cloned())).all(db).await?;
    if links.is_empty() {
        return Ok(out);
    }
    let group_ids: Vec<String> = links.iter().map(|l| l.group_id.clone()).collect();
    let names: HashMap<String, String> = group::Entity::find()
        .filter(group::Column::Id.is_in(group_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.display_name))
        .collect();
    for l in links {
        let name = names.get(&l.group_id).cloned().unwrap_or_default();
        out.entry(l.member_id).or_default().push((l.group_id, name));
    }
    Ok(out)
}

// ---- what a document means for the member --------------------------------

fn text<'a>(doc: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    doc.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

/// The `userName` (required); every create and save reads it first, so the
/// indexed attributes' lengths are checked here too.
fn user_name(doc: &Map<String, Value>) -> ScimResult<String> {
    super::check_key_lengths(doc)?;
    text(doc, "userName")
        .map(str::to_owned)
        .ok_or_else(|| ScimError::invalid_value("'userName' is required (usually the person's work email)."))
}

/// The address the account is provisioned with: a `work` email (the primary
/// one first), else the primary, else the first, else an email-shaped
/// `userName`. A personal primary address does not hide the work one.
fn work_email(doc: &Map<String, Value>) -> Option<String> {
    let emails: Vec<&Map<String, Value>> = doc
        .get("emails")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    let value = |e: &&Map<String, Value>| e.get("value").and_then(Value::as_str).map(str::to_owned);
    let primary = |e: &&&Map<String, Value>| e.get("primary") == Some(&Value::Bool(true));
    let work = |e: &&&Map<String, Value>| {
        e.get("type").and_then(Value::as_str).is_some_and(|t| t.trim().eq_ignore_ascii_case("work"))
    };
    emails
        .iter()
        .find(|e| work(e) && primary(e))
        .or_else(|| emails.iter().find(work))
        .or_else(|| emails.iter().find(primary))
        .or_else(|| emails.first())
        .and_then(value)
        .or_else(|| text(doc, "userName").filter(|u| u.contains('@')).map(str::to_owned))
}

/// How userNames are compared (unique per organization, and in `eq`
/// lookups): case-insensitively and in Unicode NFC, so `José` typed with a
/// combining accent (NFD, as macOS and some directories send it) is the
/// same user as with the precomposed letter.
pub fn user_name_key(user_name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    user_name.to_lowercase().nfc().collect()
}

fn active(doc: &Map<String, Value>) -> bool {
    doc.get("active").and_then(Value::as_bool).unwrap_or(true)
}

fn role(doc: &Map<String, Value>) -> Role {
    let admin = doc.get("roles").and_then(Value::as_array).is_some_and(|roles| {
        roles
            .iter()
            .any(|r| r.get("value").and_then(Value::as_str).is_some_and(|v| v.trim().eq_ignore_ascii_case("admin")))
    });
    if admin { Role::Admin } else { Role::Member }
}

fn person_name(doc: &Map<String, Value>, fallback: &str) -> String {
    let name = doc.get("name").and_then(Value::as_object);
    let part = |k: &str| name.and_then(|n| n.get(k)).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    let joined = [part("givenName"), part("familyName")].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let chosen = text(doc, "displayName")
        .map(str::to_owned)
        .or_else(|| part("formatted").map(str::to_owned))
        .or_else(|| (!joined.is_empty()).then_some(joined))
        .unwrap_or_else(|| fallback.to_owned());
    chosen.chars().take(200).collect()
}

/// What provisioning an email needs to know, in one query.
struct EmailCheck {
    /// Checked and lowercased.
    email: String,
    /// The organization's Provision Default Plan.
    default_plan: Option<String>,
    /// The account that already has this email, if any.
    account_id: Option<UserId>,
}

/// Refuses an email whose domain is not one of the organization's (or, with
/// verification required, not verified yet).
async fn checked_email(state: &AppState, org_id: &str, raw: &str) -> ScimResult<EmailCheck> {
    let db = &state.db;
    let email = Email::parse(raw)
        .map_err(|e| ScimError::invalid_value(format!("The email '{raw}' is not valid: {}", e.message)))?;
    let domain = email.domain().to_owned();
    let query = Query::select()
        .column((organization::Entity, organization::Column::DefaultPlanId))
        .column((domain::Entity, domain::Column::VerificationState))
        .expr_as(Expr::col((account::Entity, account::Column::Id)), Alias::new("account_id"))
        .from(organization::Entity)
        .inner_join(
            domain::Entity,
            Expr::col((domain::Entity, domain::Column::OrganizationId))
                .equals((organization::Entity, organization::Column::Id)),
        )
        .left_join(account::Entity, Expr::col((account::Entity, account::Column::Email)).eq(email.as_str()))
        .and_where(Expr::col((organization::Entity, organization::Column::Id)).eq(org_id))
        .and_where(Expr::col((domain::Entity, domain::Column::Domain)).eq(domain.as_str()))
        .to_owned();
    let Some(row) = db.query_one(&query).await? else {
        return Err(ScimError::invalid_value(format!(
            "'{}' is not in one of this organization's domains, so it cannot become a member. \
             An administrator can add '{domain}' under Organization → Single Sign-On / Provision.",
            email.as_str()
        )));
    };
    let verified: String = row.try_get("", "verification_state")?;
    if crate::domains::service::verification_required(state) && verified != "verified" {
        return Err(ScimError::invalid_value(format!(
            "'{domain}' is not verified yet, so the directory cannot add its people. An administrator proves it with \
             its DNS record under Organization → Single Sign-On / Provision."
        )));
    }
    Ok(EmailCheck {
        email: email.as_str().to_owned(),
        default_plan: row.try_get("", "default_plan_id")?,
        account_id: row.try_get("", "account_id")?,
    })
}

/// A member change the members core refused (the last active Administrator
/// stays: nothing is saved, the directory shows the error) or that failed.
fn refused_change(email: &str) -> impl FnOnce(ChangeError) -> ScimError + '_ {
    move |e| match e {
        ChangeError::Refused(Refusal::LastAdmin) => ScimError::new(
            StatusCode::CONFLICT,
            None,
            format!(
                "'{email}' is the organization's last active Administrator, so the directory cannot suspend, demote or \
                 remove them: nobody could manage the organization any more. Give another member the 'admin' role first."
            ),
        ),
        ChangeError::Failed(e) => e.into(),
    }
}

/// The email names an account that is not this organization's member. The
/// directory never takes such an account over: the organization's domains are
/// not proven to be its own, and the account may administer another
/// organization. The person joins through an invite (with their own
/// password); from then on the directory manages them.
fn outsider(email: &str) -> ScimError {
    ScimError::uniqueness(format!(
        "An account with '{email}' already exists outside this organization, so the directory cannot take it over. \
         An administrator can invite '{email}' (they accept with their own password); the directory can then manage them."
    ))
}

/// A unique index refused the new User: its userName, or its email.
fn clash(user_name: &str, email: &str) -> crate::error::AppError {
    crate::error::AppError::conflict(
        "uniqueness",
        format!("A User with userName '{user_name}' or email '{email}' already exists."),
    )
}

fn taken(user_name: &str) -> impl FnOnce() -> crate::error::AppError + '_ {
    move || {
        crate::error::AppError::conflict("uniqueness", format!("A User with userName '{user_name}' already exists."))
    }
}

/// An existing member the directory took over: as they are now, and what
/// they were before.
struct TakenOver {
    after: membership::Model,
    role_before: Role,
    suspended_before: bool,
}

/// What a SCIM create writes, once it is known whether the account
/// already is a member.
struct NewUser<'a> {
    dir: &'a Directory,
    row: &'a dir_user::Model,
    name: &'a str,
    role: Role,
    is_active: bool,
    default_plan: &'a Option<String>,
    backend: sea_orm::DbBackend,
}

impl NewUser<'_> {
    /// The rows to insert: the directory user and the audit event, and,
    /// unless `taken_over` is the existing member the directory took over, a
    /// new account and its membership.
    /// `new_account`: whether the account is new too (not one the
    /// directory created before and deleted, linked again).
    fn inserts(&self, taken_over: Option<TakenOver>, new_account: bool) -> Vec<InsertStatement> {
        let (dir, row, now) = (self.dir, self.row, self.dir.now);
        let mut inserts = Vec::with_capacity(4);
        if taken_over.is_none() && new_account {
            let a = members::account_insert(members::NewAccount {
                id: &row.user_id,
                email: &row.email,
                name: self.name,
                password_hash: None,
                provisioned_by: Some(&dir.org_id),
                now,
            });
            inserts.push(a);
        }
        // A member the directory took over: what it changed is in the event
        // (a promotion, a suspension lifted or made).
        let was = taken_over.as_ref().map(|t| json!({ "role": t.role_before, "suspended": t.suspended_before }));
        let account = (row.email.as_str(), self.name);
        let (plan_id, role, member_event) = match taken_over {
            Some(t) => {
                let event = members::change_event(t.suspended_before, &t.after, account, Source::Scim);
                (t.after.plan_id, t.after.role, event)
            }
            None => {
                let new = members::NewMember {
                    org_id: &dir.org_id,
                    user_id: &row.user_id,
                    role: self.role,
                    plan_id: self.default_plan.clone(),
                    suspended: !self.is_active,
                    directory_managed: true,
                    now,
                };
                let (insert, m) = members::membership_insert(new);
                inserts.push(insert);
                (self.default_plan.clone(), self.role, members::event("member.created", &m, account, Source::Scim))
            }
        };
        let active_model: dir_user::ActiveModel = row.clone().into();
        inserts.push(dir_user::Entity::insert(active_model).into_query());
        let event = Event {
            organization_id: &dir.org_id,
            actor: DIRECTORY_ACTOR,
            action: "directory.user.created",
            target: &row.email,
            details: json!({
                "scim_id": row.id, "user_id": row.user_id, "role": role.as_str(), "plan_id": plan_id,
                "active": self.is_active, "taken_over_from": was,
            }),
        };
        inserts.push(audit::entity::Entity::insert(audit::row(&dir.meta, now, event)).into_query());
        inserts.extend(crate::events::statements(self.backend, member_event, now));
        inserts
    }
}

pub async fn create(
    state: web::Data<AppState>,
    dir: Directory,
    req: HttpRequest,
    body: web::Payload,
) -> ScimResult<HttpResponse> {
    let mut doc = super::read_resource(&req, body, KIND).await?;
    // Absent means active (RFC 7643 leaves it to the provider); stored, so
    // reads and `active eq true` filters see it.
    doc.entry("active").or_insert(Value::Bool(true));
    let user_name = user_name(&doc)?;
    let raw_email = work_email(&doc).ok_or_else(|| {
        ScimError::invalid_value("The User needs a work email ('emails' or an email-shaped 'userName') in one of the organization's domains.")
    })?;
    let EmailCheck { email, default_plan, account_id: existing } =
        checked_email(&state, &dir.org_id, &raw_email).await?;
    let is_active = active(&doc);
    let role = role(&doc);
    let name = person_name(&doc, &user_name);
    let now = dir.now;

    let key = user_name_key(&user_name);
    // Reads first, outside the write lock; the unique indexes catch a
    // concurrent request that got there in between (409, nothing saved).
    let member = match &existing {
        Some(a) => members::find(&state.db, &dir.org_id, a).await?,
        None => None,
    };
    // An account this organization's directory or SSO created (no
    // password, no other membership) is its own again after a DELETE: linked,
    // not refused (Entra's re-assignment, OneLogin's "Delete" action).
    let relink = match (&existing, &member) {
        (Some(a), None) => members::relinkable(&state.db, a, &dir.org_id).await?,
        _ => false,
    };
    if existing.is_some() && member.is_none() && !relink {
        return Err(outsider(&email));
    }
    if let Some(a) = &existing {
        let linked = dir_user::Entity::find_in(&dir.org_id)
            .filter(dir_user::Column::UserId.eq(a.as_str()))
            .one(&state.db)
            .await?;
        if let Some(l) = linked {
            return Err(ScimError::uniqueness(format!(
                "'{email}' is already provisioned as User {} (userName '{}').",
                l.id, l.user_name
            )));
        }
    }
    let account_id = existing.clone().unwrap_or_else(UserId::generate);
    let id = DirectoryUserId::generate().to_string();
    let row = dir_user::Model {
        id: id.clone(),
        organization_id: dir.org_id.clone(),
        user_id: account_id.clone(),
        user_name: user_name.clone(),
        user_name_key: key,
        external_id: text(&doc, "externalId").map(str::to_owned),
        email: email.clone(),
        active: is_active,
        resource: Value::Object(doc).to_string(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let backend = state.db.get_database_backend();
    let new_user = NewUser { dir: &dir, row: &row, name: &name, role, is_active, default_plan: &default_plan, backend };
    if member.is_none() && !relink {
        // The common case, a new account (one that exists outside the
        // organization was refused above); only inserts: written with
        // whatever other creates are in flight, under one commit.
        let inserts = new_user.inserts(None, true);
        state.batcher.insert(inserts).await.map_err(|e| e.into_app_error(|| clash(&user_name, &email)))?;
    } else if relink {
        let txn = state.begin_write().await?;
        // Still nobody else's, inside the transaction.
        if !members::relinkable(&*txn, &account_id, &dir.org_id).await? {
            return Err(outsider(&email));
        }
        members::set_profile(&*txn, &account_id, None, &name).await?;
        let inserts = new_user.inserts(None, false);
        crate::db::insert_all(&txn, &inserts).await.map_err(|e| on_unique(e, || clash(&user_name, &email)))?;
        txn.commit().await?;
    } else {
        let txn = state.begin_write().await?;
        // The member as it is now, inside the transaction (on SQLite under
        // the write lock): the read above only chose this path.
        let Some(m) = members::find(&*txn, &dir.org_id, &account_id).await? else {
            return Err(outsider(&email));
        };
        // Taking over an Administrator as inactive suspends them: not the last one.
        let (role_before, suspended_before) = (m.role, m.suspended_at.is_some());
        let after = members::take_over(&*txn, m, role, is_active, default_plan.clone(), Source::Scim, now)
            .await
            .map_err(refused_change(&email))?;
        let taken_over = TakenOver { after, role_before, suspended_before };
        let inserts = new_user.inserts(Some(taken_over), false);
        crate::db::insert_all(&txn, &inserts).await.map_err(|e| on_unique(e, || clash(&user_name, &email)))?;
        txn.commit().await?;
        state.sessions.forget_user(&account_id);
    }
    // A new User belongs to no group yet.
    let body = Value::Object(render(&dir, &row, None)?);
    Ok(created(&dir.location(KIND, &id), &body))
}

/// Reads the User, makes its new document with `change` and saves it; when
/// another request changed the User in between, starts again from the new
/// version, so no change is lost.
async fn read_change_save(
    state: &AppState,
    dir: &Directory,
    id: &str,
    change: impl Fn(Map<String, Value>) -> ScimResult<Map<String, Value>>,
) -> ScimResult<dir_user::Model> {
    for _ in 0..super::SAVE_ATTEMPTS {
        let row = find(&state.db, dir, id).await?;
        let doc = change(stored_doc(&row)?)?;
        if let Some(saved) = save(state, dir, row, doc).await? {
            return Ok(saved);
        }
    }
    Err(super::kept_changing(KIND))
}

/// Stores a changed document and carries its meaning over to the member;
/// `None` (nothing saved) when the User is no longer the version `row` is.
async fn save(
    state: &AppState,
    dir: &Directory,
    row: dir_user::Model,
    doc: Map<String, Value>,
) -> ScimResult<Option<dir_user::Model>> {
    let mut doc = doc;
    let old = stored_doc(&row)?;
    let now = dir.now;
    // A suspension is never lost to an unrelated refused change (Entra's
    // PATCH or Okta's PUT with `active: false` and a personal address): the
    // email change is dropped — the document keeps the stored addresses —
    // the suspension is saved, and the audit event says what was refused.
    let suspending = !active(&doc) && row.active;
    let mut refused = None;
    let same_address =
        |raw: &str| Email::parse(raw).map(|e| e.into_string()).unwrap_or_else(|_| raw.to_owned()) == row.email;
    let email = match work_email(&doc) {
        Some(raw) if !same_address(&raw) => {
            let checked = checked_email(state, &dir.org_id, &raw).await.and_then(|c| match &c.account_id {
                Some(other) if *other != row.user_id => {
                    Err(ScimError::uniqueness(format!("Another account already uses '{}'.", c.email)))
                }
                _ => Ok(c),
            });
            match checked {
                Ok(c) => Some(c.email),
                Err(e) if suspending && e.status.is_client_error() => {
                    refused = Some(json!({ "email": raw, "reason": e.detail }));
                    let restore = |doc: &mut Map<String, Value>, key: &str| match old.get(key) {
                        Some(v) => doc.insert(key.to_owned(), v.clone()),
                        None => doc.remove(key),
                    };
                    restore(&mut doc, "emails");
                    // The email came from an email-shaped userName: that too.
                    if work_email(&doc).is_some_and(|e| !same_address(&e)) {
                        restore(&mut doc, "userName");
                    }
                    None
                }
                Err(e) => return Err(e),
            }
        }
        _ => None,
    };
    let user_name = user_name(&doc)?;
    let txn = state.begin_write().await?;
    let mut changes = Map::new();
    let account_row =
        account::Entity::find_by_id(row.user_id.clone()).one(&txn).await?.ok_or_else(ScimError::internal)?;
    let name = person_name(&doc, &user_name);
    // The directory's email and name live with its User here; the account's
    // own login email and name follow them only when this organization is
    // the account's only one (a consultant who also runs her own
    // organization keeps her login).
    let exclusive = !members::shared_elsewhere(&*txn, &row.user_id, &dir.org_id).await?;
    if let (false, Some(e)) = (exclusive, &email) {
        // The directory's address for its User; the account keeps its own.
        changes.insert("directory_email".to_owned(), json!(e));
    }
    if exclusive && (email.is_some() || name != account_row.name) {
        if let Some(e) = &email {
            changes.insert("email".to_owned(), json!(e));
        }
        members::set_profile(&*txn, &row.user_id, email.as_deref(), &name).await.map_err(|e| {
            on_unique(e, || crate::error::AppError::conflict("uniqueness", "Another account already uses this email."))
        })?;
    }
    let is_active = active(&doc);
    let (active_changed, role_changed) = (is_active != row.active, role(&doc) != role(&old));
    // A member shared with another organization shows the account's own
    // email and name: the directory's differing ones change nothing there.
    let profile_changed = exclusive && (email.is_some() || name != account_row.name);
    if active_changed || role_changed || profile_changed {
        if let Some(current) = members::find(&*txn, &dir.org_id, &row.user_id).await? {
            let was_suspended = current.suspended_at.is_some();
            let change = members::Change {
                active: active_changed.then_some(is_active),
                role: role_changed.then_some(role(&doc)),
                ..members::Change::default()
            };
            let after =
                members::update(&*txn, current, change, Source::Scim, now).await.map_err(refused_change(&row.email))?;
            let shown_email =
                if exclusive { email.as_deref().unwrap_or(&account_row.email) } else { &account_row.email };
            let shown_name = if exclusive { &name } else { &account_row.name };
            let event = members::change_event(was_suspended, &after, (shown_email, shown_name), Source::Scim);
            crate::events::emit(&*txn, event, now).await?;
        }
        if active_changed {
            changes.insert("active".to_owned(), json!(is_active));
        }
        if role_changed {
            changes.insert("role".to_owned(), json!(role(&doc).as_str()));
        }
    }
    let email_now = email.unwrap_or_else(|| row.email.clone());
    let mut m: dir_user::ActiveModel = row.clone().into();
    m.user_name = Set(user_name.clone());
    m.user_name_key = Set(user_name_key(&user_name));
    m.external_id = Set(text(&doc, "externalId").map(str::to_owned));
    m.email = Set(email_now.clone());
    m.active = Set(is_active);
    m.resource = Set(Value::Object(doc).to_string());
    m.version = Set(row.version + 1);
    m.updated_at = Set(now);
    let updated =
        dir_user::Entity::update(m).validate()?.filter(dir_user::Column::Version.eq(row.version)).exec(&*txn).await;
    let updated = match updated {
        Err(sea_orm::DbErr::RecordNotUpdated) => return Ok(None), // rolled back
        other => other.map_err(|e| on_unique(e, taken(&user_name)))?,
    };
    let action = match (row.active, is_active) {
        (true, false) => "directory.user.suspended",
        (false, true) => "directory.user.reactivated",
        _ => "directory.user.updated",
    };
    changes.insert("scim_id".to_owned(), json!(row.id));
    if let Some(r) = refused {
        changes.insert("refused".to_owned(), r);
    }
    let membership_changed = changes.contains_key("active") || changes.contains_key("role");
    dir.record(&txn, action, &email_now, Value::Object(changes)).await?;
    txn.commit().await?;
    if membership_changed {
        // Admin rights and sessions follow the change at once in this process.
        state.sessions.forget_user(&row.user_id);
    }
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
    // A PUT that leaves `active` out keeps it (OneLogin never sends it): a
    // profile update must not restore a suspended member's access.
    let updated = read_change_save(&state, &dir, &id, |old| {
        let mut new = doc.clone();
        if !new.contains_key("active")
            && let Some(active) = old.get("active")
        {
            new.insert("active".to_owned(), active.clone());
        }
        Ok(new)
    })
    .await?;
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
    let updated = read_change_save(&state, &dir, &id, |mut doc| {
        super::patch::apply(KIND, &mut doc, &body)?;
        Ok(doc)
    })
    .await?;
    Ok(respond(StatusCode::OK, &resource::render_one(&state.db, &dir, &updated, &Projection::default()).await?))
}

pub async fn delete(state: web::Data<AppState>, dir: Directory, id: web::Path<String>) -> ScimResult<HttpResponse> {
    let txn = state.begin_write().await?;
    let row = find(&txn, &dir, &id).await?;
    // Its groups say it left them.
    let group_ids: Vec<String> = group_member::Entity::find()
        .select_only()
        .column(group_member::Column::GroupId)
        .filter(group_member::Column::MemberId.eq(row.id.as_str()))
        .into_tuple()
        .all(&txn)
        .await?;
    let in_groups = super::entity::group::Entity::find_in(&dir.org_id)
        .filter(super::entity::group::Column::Id.is_in(group_ids))
        .all(&txn)
        .await?;
    // The rows first, then the events: the order a Group PATCH locks them in.
    group_member::Entity::delete_many().filter(group_member::Column::MemberId.eq(row.id.as_str())).exec(&txn).await?;
    let me = std::collections::BTreeSet::from([row.id.clone()]);
    for g in &in_groups {
        super::groups::member_events(&txn, &dir, g, &std::collections::BTreeSet::new(), &me).await?;
    }
    dir_user::Entity::delete_by_id(row.id.as_str()).exec(&txn).await?;
    // A member the directory created goes with it; one it only took over is
    // detached (`members::deprovision` has the rule).
    let action = match members::find(&*txn, &dir.org_id, &row.user_id).await? {
        Some(current) => {
            let account = account::Entity::find_by_id(row.user_id.clone()).one(&txn).await?;
            let (email, name) =
                account.map(|a| (a.email, a.name)).unwrap_or_else(|| (row.email.clone(), String::new()));
            let before = current.clone();
            match members::deprovision(&*txn, current, Source::Scim, dir.now)
                .await
                .map_err(refused_change(&row.email))?
            {
                Deprovisioned::Removed => {
                    let event = members::event("member.removed", &before, (&email, &name), Source::Scim);
                    crate::events::emit(&*txn, event, dir.now).await?;
                    "directory.user.deleted"
                }
                Deprovisioned::Detached => {
                    if let Some(after) = members::find(&*txn, &dir.org_id, &row.user_id).await? {
                        let was = before.suspended_at.is_some();
                        let event = members::change_event(was, &after, (&email, &name), Source::Scim);
                        crate::events::emit(&*txn, event, dir.now).await?;
                    }
                    "directory.user.detached"
                }
            }
        }
        None => "directory.user.deleted",
    };
    dir.record(&txn, action, &row.email, json!({ "scim_id": row.id, "user_id": row.user_id })).await?;
    txn.commit().await?;
    state.sessions.forget_user(&row.user_id);
    Ok(HttpResponse::NoContent().finish())
}
