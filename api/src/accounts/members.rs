//! Members: the one place that makes accounts and memberships, and that
//! holds the rules protecting organizations — which accounts an identity
//! provider may link again, which sessions a suspension ends, that the last
//! active Administrator stays. Sign-up, invites, SSO just-in-time and SCIM
//! (including its batched create, which writes the same rows) call it.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Set,
};
use shared::accounts::Role;

use super::entity::{membership, session, user};
use crate::error::AppResult;

/// Who made an account: a person (sign-up, invite: `None`), or an
/// organization's identity provider (its directory or SSO).
pub struct NewAccount<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: Option<String>,
    pub provisioned_by: Option<&'a str>,
    pub now: DateTime<Utc>,
}

/// The account row (for an insert here, or in the SCIM batch writer).
pub fn account_row(a: NewAccount<'_>) -> user::ActiveModel {
    user::ActiveModel {
        id: Set(a.id.to_owned()),
        email: Set(a.email.to_owned()),
        name: Set(a.name.to_owned()),
        password_hash: Set(a.password_hash),
        created_at: Set(a.now),
        provisioned_by: Set(a.provisioned_by.map(str::to_owned)),
    }
}

/// A membership to create.
pub struct NewMember<'a> {
    pub org_id: &'a str,
    pub user_id: &'a str,
    pub role: Role,
    pub plan_id: Option<String>,
    pub suspended: bool,
    pub directory_managed: bool,
    pub now: DateTime<Utc>,
}

/// The membership row (for an insert here, or in the SCIM batch writer).
pub fn membership_row(m: NewMember<'_>) -> membership::ActiveModel {
    membership::ActiveModel {
        organization_id: Set(m.org_id.to_owned()),
        user_id: Set(m.user_id.to_owned()),
        role: Set(m.role.as_str().to_owned()),
        created_at: Set(m.now),
        plan_id: Set(m.plan_id),
        suspended_at: Set(m.suspended.then_some(m.now)),
        directory_managed: Set(m.directory_managed),
    }
}

pub async fn create_account(db: &impl ConnectionTrait, a: NewAccount<'_>) -> Result<user::Model, sea_orm::DbErr> {
    account_row(a).insert(db).await
}

pub async fn add_member(db: &impl ConnectionTrait, m: NewMember<'_>) -> Result<membership::Model, sea_orm::DbErr> {
    membership_row(m).insert(db).await
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
    let Some(a) = user::Entity::find_by_id(account_id).one(db).await? else { return Ok(false) };
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
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .apply_if(shared.then_some(org_id), |q, org| q.filter(session::Column::OrganizationId.eq(org)))
        .exec(db)
        .await?;
    Ok(())
}

/// Whether `member` is the organization's last active Administrator (then
/// nobody may suspend, demote or remove them: nobody could manage the
/// organization's SSO, Directory Sync or billing any more). The
/// organization's active Administrators stay locked until the transaction
/// ends (PostgreSQL; SQLite writes one at a time), so two concurrent
/// requests cannot each remove "the other" one.
pub async fn is_last_admin(db: &impl ConnectionTrait, member: &membership::Model) -> AppResult<bool> {
    if member.role != Role::Admin.as_str() || member.suspended_at.is_some() {
        return Ok(false);
    }
    let admins = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(member.organization_id.as_str()))
        .filter(membership::Column::Role.eq(Role::Admin.as_str()))
        .filter(membership::Column::SuspendedAt.is_null())
        .order_by_asc(membership::Column::UserId)
        .lock_exclusive()
        .all(db)
        .await?;
    Ok(!admins.iter().any(|a| a.user_id != member.user_id))
}
