//! Members: the one place that makes, changes and removes accounts and
//! memberships, and that holds the rules protecting organizations:
//! - **outsiders**: an identity provider links an existing account only when
//!   it is already the organization's member, or the provider made it and it
//!   is nobody else's ([`relinkable`]);
//! - **the last Administrator stays**: nobody suspends, demotes or removes
//!   the organization's last active Administrator ([`Refusal::LastAdmin`]);
//! - **a directory acts on its own organization**: a suspension ends only
//!   the sessions that reach it, and an account shared with another
//!   organization keeps its login email and name ([`shared_elsewhere`]);
//! - **a directory's delete** removes a member it created, and only detaches
//!   (and, unless an Administrator, suspends) one it took over ([`deprovision`]).
//!
//! Sign-up, invites, SSO just-in-time and SCIM call it; the SCIM batch
//! writer inserts the statements [`account_insert`] and [`membership_insert`]
//! build from the same rows.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, InsertStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Set,
};
use shared::accounts::Role;
use shared::events::Source;
use shared::{OrganizationId, UserId};

use super::entity::{membership, organization, session, user};
use crate::db::OrganizationScoped;
use crate::error::{AppError, AppResult};
use crate::events::NewEvent;

/// Who made an account: a person (sign-up, invite: `None`), or an
/// organization's identity provider (its directory or SSO).
pub struct NewAccount<'a> {
    pub id: &'a UserId,
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: Option<String>,
    pub provisioned_by: Option<&'a OrganizationId>,
    pub now: DateTime<Utc>,
}

/// The account row.
fn account_row(a: NewAccount<'_>) -> user::ActiveModel {
    user::ActiveModel {
        id: Set(a.id.clone()),
        email: Set(a.email.to_owned()),
        name: Set(a.name.to_owned()),
        password_hash: Set(a.password_hash),
        created_at: Set(a.now),
        provisioned_by: Set(a.provisioned_by.cloned()),
    }
}

/// A membership to create.
pub struct NewMember<'a> {
    pub org_id: &'a OrganizationId,
    pub user_id: &'a UserId,
    pub role: Role,
    pub plan_id: Option<String>,
    pub suspended: bool,
    pub directory_managed: bool,
    pub now: DateTime<Utc>,
}

/// The membership row.
fn membership_row(m: NewMember<'_>) -> membership::ActiveModel {
    membership::ActiveModel {
        organization_id: Set(m.org_id.clone()),
        user_id: Set(m.user_id.clone()),
        role: Set(m.role),
        created_at: Set(m.now),
        plan_id: Set(m.plan_id),
        suspended_at: Set(m.suspended.then_some(m.now)),
        directory_managed: Set(m.directory_managed),
    }
}

/// A member's event (`member.created`, `member.removed`, …): the member
/// as they are now (as they were, for a removal), with the account's
/// email and name.
pub fn event(kind: &'static str, m: &membership::Model, account: (&str, &str), source: Source) -> NewEvent {
    let data = serde_json::json!({
        "organization_id": m.organization_id,
        "user_id": m.user_id,
        "email": account.0,
        "name": account.1,
        "role": m.role,
        "plan_id": m.plan_id,
        "suspended": m.suspended_at.is_some(),
        "directory_managed": m.directory_managed,
        "joined_at": m.created_at,
    });
    let object = crate::events::member_object(m.organization_id.as_str(), m.user_id.as_str());
    NewEvent::new(kind, m.organization_id.as_str(), object, data).by(source)
}

/// The event for a change of a member who was `was_suspended`: suspended,
/// reactivated or (anything else) updated.
pub fn change_event(was_suspended: bool, m: &membership::Model, account: (&str, &str), source: Source) -> NewEvent {
    let kind = match (was_suspended, m.suspended_at.is_some()) {
        (false, true) => "member.suspended",
        (true, false) => "member.reactivated",
        _ => "member.updated",
    };
    event(kind, m, account, source)
}

/// The account's insert, for the SCIM batch writer.
pub fn account_insert(a: NewAccount<'_>) -> InsertStatement {
    user::Entity::insert(account_row(a)).into_query()
}

/// The membership's insert, for the SCIM batch writer, and the row it writes.
pub fn membership_insert(m: NewMember<'_>) -> (InsertStatement, membership::Model) {
    let row = membership::Model {
        organization_id: m.org_id.clone(),
        user_id: m.user_id.clone(),
        role: m.role,
        created_at: m.now,
        plan_id: m.plan_id.clone(),
        suspended_at: m.suspended.then_some(m.now),
        directory_managed: m.directory_managed,
    };
    (membership::Entity::insert(membership_row(m)).into_query(), row)
}

pub async fn create_account(db: &impl ConnectionTrait, a: NewAccount<'_>) -> Result<user::Model, sea_orm::DbErr> {
    account_row(a).insert(db).await
}

pub async fn add_member(db: &impl ConnectionTrait, m: NewMember<'_>) -> Result<membership::Model, sea_orm::DbErr> {
    membership_row(m).insert(db).await
}

/// A member an identity provider signed in or linked: an active Member with
/// the organization's Provision Default Plan (`member.created`, source `sso`).
pub async fn add_provisioned_member(
    db: &impl ConnectionTrait,
    org_id: &OrganizationId,
    user_id: &UserId,
    now: DateTime<Utc>,
) -> AppResult<membership::Model> {
    let org = organization::get(db, org_id).await?;
    let member = NewMember {
        org_id,
        user_id,
        role: Role::Member,
        plan_id: org.default_plan_id,
        suspended: false,
        directory_managed: false,
        now,
    };
    let m = add_member(db, member).await?;
    let account = user::Entity::find_by_id(user_id.clone()).one(db).await?.ok_or(AppError::NotFound)?;
    crate::events::emit(db, event("member.created", &m, (&account.email, &account.name), Source::Sso), now).await?;
    Ok(m)
}

/// The account with this (canonical) email.
pub async fn account_by_email(db: &impl ConnectionTrait, email: &str) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find().filter(user::Column::Email.eq(email)).one(db).await?)
}

/// The organization's membership of `user_id`.
pub async fn find(db: &impl ConnectionTrait, org_id: &str, user_id: &str) -> AppResult<Option<membership::Model>> {
    Ok(membership::Entity::find_in(org_id).filter(membership::Column::UserId.eq(user_id)).one(db).await?)
}

/// Sets the account's name, and its login email when `email` is given (the
/// caller decides that the account is the organization's alone).
pub async fn set_profile(
    db: &impl ConnectionTrait,
    user_id: &str,
    email: Option<&str>,
    name: &str,
) -> Result<(), sea_orm::DbErr> {
    user::Entity::update_many()
        .col_expr(user::Column::Name, Expr::value(name))
        .apply_if(email, |q, e| q.col_expr(user::Column::Email, Expr::value(e)))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Whether the account is a member of an organization other than `org_id`
/// (then that organization's identity provider acts on its membership, never
/// on the account as a whole).
pub async fn shared_elsewhere(db: &impl ConnectionTrait, user_id: &str, org_id: &str) -> AppResult<bool> {
    let others = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::OrganizationId.ne(org_id))
        .count(db)
        .await?;
    Ok(others > 0)
}

/// Whether `account_id` belongs to `org_id`'s identity provider alone: it
/// created the account (directory or SSO), the account has no password and no
/// membership anywhere — so it may be linked again after a removal.
pub async fn relinkable(db: &impl ConnectionTrait, account_id: &str, org_id: &str) -> AppResult<bool> {
    let Some(a) = user::Entity::find().filter(user::Column::Id.eq(account_id)).one(db).await? else {
        return Ok(false);
    };
    if !a.provisioned_only_by(org_id) {
        return Ok(false);
    }
    let memberships = membership::Entity::find().filter(membership::Column::UserId.eq(account_id)).count(db).await?;
    Ok(memberships == 0)
}

/// Ends the sessions of a member suspended in `org_id` that can reach it:
/// all of them when it is the account's only organization; otherwise only
/// those this organization's SSO opened (a password session also serves the
/// account's other organizations, and the suspended membership already
/// closes this one to it).
/// `shared`: what [`shared_elsewhere`] says of the account.
pub async fn end_sessions(
    db: &impl ConnectionTrait,
    user_id: &str,
    org_id: &str,
    shared: bool,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let ended = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .apply_if(shared.then_some(org_id), |q, org| q.filter(session::Column::OrganizationId.eq(org)))
        .exec_with_returning(db)
        .await?;
    sessions_ended(db, ended, now).await?;
    // The applications' sign-ins into this organization end too, whatever
    // session they came from.
    crate::provider::backchannel::membership_ended(db, org_id, user_id, now).await?;
    Ok(())
}

/// Every session that ends goes through here: the applications signed in
/// from it are told (back-channel logout) and their tokens stop.
async fn sessions_ended(db: &impl ConnectionTrait, ended: Vec<session::Model>, now: DateTime<Utc>) -> AppResult<()> {
    let ids: Vec<String> = ended.into_iter().map(|s| s.id).collect();
    crate::provider::backchannel::sessions_ended(db, &ids, now).await?;
    Ok(())
}

/// Ends one session (a sign-out); whether it was open.
pub async fn end_session(db: &impl ConnectionTrait, session_id: &str, now: DateTime<Utc>) -> AppResult<bool> {
    let ended = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec_with_returning(db)
        .await?;
    let was_open = !ended.is_empty();
    sessions_ended(db, ended, now).await?;
    Ok(was_open)
}

/// Ends the sessions `org_id`'s identity provider opened (SSO turned off:
/// what it vouched for no longer holds), except `keep`'s (the Administrator
/// turning it off stays signed in). How many ended.
pub async fn end_sso_sessions(
    db: &impl ConnectionTrait,
    org_id: &str,
    keep: &str,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let sso = crate::accounts::service::SessionMethod::Sso.as_str();
    let ended = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::Method.eq(sso))
        .filter(session::Column::OrganizationId.eq(org_id))
        .filter(session::Column::UserId.ne(keep))
        .filter(session::Column::RevokedAt.is_null())
        .exec_with_returning(db)
        .await?;
    let count = ended.len() as u64;
    sessions_ended(db, ended, now).await?;
    Ok(count)
}

/// Ends the sessions of the accounts `users` selects that reach `org_id`
/// (scoped to it, or a password session reaching all the account's
/// organizations) and that no identity provider opened: Require SSO's
/// reach. How many ended.
pub async fn end_sessions_but_sso(
    db: &impl ConnectionTrait,
    org_id: &str,
    users: sea_orm::sea_query::SelectStatement,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    use sea_orm::sea_query::Condition;
    let sso = crate::accounts::service::SessionMethod::Sso.as_str();
    let ended = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::Method.ne(sso))
        .filter(
            Condition::any()
                .add(session::Column::OrganizationId.is_null())
                .add(session::Column::OrganizationId.eq(org_id)),
        )
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::UserId.in_subquery(users))
        .exec_with_returning(db)
        .await?;
    let count = ended.len() as u64;
    sessions_ended(db, ended, now).await?;
    Ok(count)
}

/// Whether `member` is the organization's last active Administrator (then
/// nobody may suspend, demote or remove them: nobody could manage the
/// organization's SSO, Directory Sync or billing any more). The
/// organization's active Administrators stay locked until the transaction
/// ends (PostgreSQL; SQLite writes one at a time), so two concurrent
/// requests cannot each remove "the other" one.
pub async fn is_last_admin(db: &impl ConnectionTrait, member: &membership::Model) -> AppResult<bool> {
    if member.role != Role::Admin || member.suspended_at.is_some() {
        return Ok(false);
    }
    let admins = membership::Entity::find_in(&member.organization_id)
        .filter(membership::Column::Role.eq(Role::Admin))
        .filter(membership::Column::SuspendedAt.is_null())
        .order_by_asc(membership::Column::UserId)
        .lock_exclusive()
        .all(db)
        .await?;
    Ok(!admins.iter().any(|a| a.user_id != member.user_id))
}

/// Why a change was refused (nothing was saved).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The member is the organization's last active Administrator.
    LastAdmin,
}

/// A change that was refused, or failed.
#[derive(Debug)]
pub enum ChangeError {
    Refused(Refusal),
    Failed(AppError),
}

impl From<AppError> for ChangeError {
    fn from(e: AppError) -> Self {
        ChangeError::Failed(e)
    }
}

impl From<sea_orm::DbErr> for ChangeError {
    fn from(e: sea_orm::DbErr) -> Self {
        ChangeError::Failed(e.into())
    }
}

/// A change to a membership; `None` leaves a part as it is.
#[derive(Debug, Default, Clone)]
pub struct Change {
    pub active: Option<bool>,
    pub role: Option<Role>,
    pub directory_managed: Option<bool>,
    pub plan_id: Option<Option<String>>,
}

/// Applies `change` to `current` in `db` (the caller's transaction), made
/// by `source`. A suspension or demotion of the last active Administrator
/// is refused; a suspension ends the member's sessions that reach the
/// organization (the caller also drops them from the process's session
/// cache).
pub async fn update(
    db: &impl ConnectionTrait,
    current: membership::Model,
    change: Change,
    source: Source,
    now: DateTime<Utc>,
) -> Result<membership::Model, ChangeError> {
    let suspending = change.active == Some(false) && current.suspended_at.is_none();
    let demoting = change.role.is_some_and(|r| r != Role::Admin);
    if (suspending || demoting) && is_last_admin(db, &current).await? {
        return Err(ChangeError::Refused(Refusal::LastAdmin));
    }
    let (user_id, org_id) = (current.user_id.clone(), current.organization_id.clone());
    let current_was_admin = current.role == Role::Admin && current.suspended_at.is_none();
    let mut m = current.clone().into_active_model();
    match change.active {
        Some(true) => m.suspended_at = Set(None),
        Some(false) if suspending => m.suspended_at = Set(Some(now)),
        _ => {}
    }
    if let Some(role) = change.role {
        m.role = Set(role);
    }
    if let Some(managed) = change.directory_managed {
        m.directory_managed = Set(managed);
    }
    if let Some(plan) = change.plan_id {
        m.plan_id = Set(plan);
    }
    let updated = if m.is_changed() {
        // Removed by a concurrent request meanwhile: nothing to change.
        m.update(db).await.map_err(|e| match e {
            sea_orm::DbErr::RecordNotUpdated => ChangeError::Failed(AppError::NotFound),
            e => e.into(),
        })?
    } else {
        current
    };
    if suspending {
        let shared = shared_elsewhere(db, &user_id, &org_id).await?;
        end_sessions(db, &user_id, &org_id, shared, now).await?;
    }
    if (suspending || demoting) && current_was_admin {
        // No longer break-glass under Require SSO.
        crate::sso::enforcement::lost_admin(db, &org_id, &user_id, source, now).await?;
    }
    Ok(updated)
}

/// An existing member (signed up or invited) the directory takes over: it
/// manages them from now on, may promote them but never demotes them here,
/// and gives them the default plan when they have none.
pub async fn take_over(
    db: &impl ConnectionTrait,
    current: membership::Model,
    role: Role,
    active: bool,
    default_plan: Option<String>,
    source: Source,
    now: DateTime<Utc>,
) -> Result<membership::Model, ChangeError> {
    let change = Change {
        active: Some(active),
        role: (role == Role::Admin).then_some(Role::Admin),
        directory_managed: Some(true),
        plan_id: current.plan_id.is_none().then_some(default_plan),
    };
    update(db, current, change, source, now).await
}

/// What a directory's delete did to the member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deprovisioned {
    /// The directory created the member: the membership is gone (the account
    /// stays, and the directory or SSO may link it again).
    Removed,
    /// The directory only took the member over (they signed up or were
    /// invited, and may have typed their own email into a connection test):
    /// still a member, no longer managed by the directory; a Member is
    /// suspended (an Administrator can lift it), an Administrator keeps access.
    Detached,
}

/// A directory's delete of the member `current` (rule above); the last
/// active Administrator is never removed.
pub async fn deprovision(
    db: &impl ConnectionTrait,
    current: membership::Model,
    source: Source,
    now: DateTime<Utc>,
) -> Result<Deprovisioned, ChangeError> {
    let created = user::Entity::find_by_id(current.user_id.clone())
        .one(db)
        .await?
        .is_some_and(|a| a.provisioned_by.as_ref() == Some(&current.organization_id));
    if created {
        remove(db, current, source, now).await?;
        return Ok(Deprovisioned::Removed);
    }
    let suspend = current.role != Role::Admin;
    let change = Change { directory_managed: Some(false), active: suspend.then_some(false), ..Change::default() };
    update(db, current, change, source, now).await?;
    Ok(Deprovisioned::Detached)
}

/// A removal of the member `current` by `source`: the membership goes (the
/// account stays), so does its break-glass standing, and the sessions that
/// reach the organization end; the last active Administrator is never
/// removed.
pub async fn remove(
    db: &impl ConnectionTrait,
    current: membership::Model,
    source: Source,
    now: DateTime<Utc>,
) -> Result<(), ChangeError> {
    if is_last_admin(db, &current).await? {
        return Err(ChangeError::Refused(Refusal::LastAdmin));
    }
    if current.role == Role::Admin {
        crate::sso::enforcement::lost_admin(db, &current.organization_id, &current.user_id, source, now).await?;
    }
    let shared = shared_elsewhere(db, &current.user_id, &current.organization_id).await?;
    membership::Entity::delete_in(&current.organization_id)
        .filter(membership::Column::UserId.eq(current.user_id.as_str()))
        .exec(db)
        .await?;
    end_sessions(db, &current.user_id, &current.organization_id, shared, now).await?;
    Ok(())
}

/// An Administrator's removal: as [`remove`], and the account is no longer
/// the identity provider's to link again (an SSO sign-in or a directory's
/// create would otherwise bring the member straight back); they return
/// through an invite.
pub async fn remove_by_admin(
    db: &impl ConnectionTrait,
    current: membership::Model,
    source: Source,
    now: DateTime<Utc>,
) -> Result<(), ChangeError> {
    let (user_id, org_id) = (current.user_id.clone(), current.organization_id.clone());
    remove(db, current, source, now).await?;
    user::Entity::update_many()
        .col_expr(user::Column::ProvisionedBy, Expr::value(Option::<String>::None))
        .filter(user::Column::Id.eq(user_id.as_str()))
        .filter(user::Column::ProvisionedBy.eq(org_id.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Whether `user_id` is an active Administrator of `org_id` now, read under
/// the same lock as [`is_last_admin`]: a change an Administrator asks for is
/// checked against the database inside its transaction, not only against
/// the short-lived session cache (another process may not have seen a
/// demotion yet).
pub async fn is_active_admin(db: &impl ConnectionTrait, org_id: &str, user_id: &str) -> AppResult<bool> {
    let admins = membership::Entity::find_in(org_id)
        .filter(membership::Column::Role.eq(Role::Admin))
        .filter(membership::Column::SuspendedAt.is_null())
        .order_by_asc(membership::Column::UserId)
        .lock_exclusive()
        .all(db)
        .await?;
    Ok(admins.iter().any(|a| a.user_id == user_id))
}
