//! What an Administrator does to the organization's members and pending
//! invites: change a member's role, plan or suspension, remove a member
//! (the rules are `members`'), list, revoke and resend invites. Each public
//! function is one transaction with its audit event.

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set};
use shared::accounts::{InviteResponse, InvitesResponse, Member, PendingInvite, Role, UpdateMemberRequest};
use shared::page::PageQuery;
use shared::{InviteId, OrganizationId, UserId};

use super::entity::{invite, membership, organization, user};
use super::members::{self, ChangeError, Refusal};
use super::service::{INVITE_TTL_DAYS, deliver_invite, invite_mail_allowed, member_view, token_hash};
use crate::audit::{self, Actor, Event};
use crate::auth::tokens::random_token;
use crate::db::OrganizationScoped;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

fn refused(e: ChangeError) -> AppError {
    match e {
        ChangeError::Refused(Refusal::LastAdmin) => AppError::conflict(
            "last_admin",
            "This is the organization's last active Administrator: make another member an Administrator first.",
        ),
        ChangeError::Failed(e) => e,
    }
}

/// The member, with the account (for the response and the audit target).
async fn member_and_account(
    db: &impl sea_orm::ConnectionTrait,
    org_id: &OrganizationId,
    user_id: &UserId,
) -> AppResult<(membership::Model, user::Model)> {
    let m = members::find(db, org_id, user_id).await?.ok_or(AppError::NotFound)?;
    let u = user::Entity::find_by_id(user_id.clone()).one(db).await?.ok_or(AppError::NotFound)?;
    Ok((m, u))
}

/// The organization's directory owns a member it manages: their role and
/// whether they are active change in the identity provider, or the next
/// sync would undo the change here.
fn directory_owns(what: &str) -> AppError {
    AppError::conflict(
        "directory_managed",
        format!(
            "The organization's directory manages this member: {what} in your identity provider (it syncs here \
             within minutes)."
        ),
    )
}

/// An Administrator never suspends, demotes or removes themselves here
/// (another Administrator does): one click must not lock them out.
fn not_yourself() -> AppError {
    AppError::conflict(
        "own_membership",
        "You cannot suspend, demote or remove yourself. Ask another Administrator of the organization.",
    )
}

pub async fn update_member(
    state: &AppState,
    actor: &Actor<'_>,
    org_id: &OrganizationId,
    user_id: &UserId,
    req: UpdateMemberRequest,
) -> AppResult<Member> {
    let txn = state.begin_write().await?;
    still_admin(&*txn, org_id, actor).await?;
    // Who is asked about first: another organization's member is unknown (404)
    // whatever the body says.
    let (current, account) = member_and_account(&*txn, org_id, user_id).await?;
    if req.is_empty() {
        return Err(AppError::field("body", "empty", "Send at least one of role, plan_id or suspended."));
    }
    if let Some(plan) = &req.plan_id
        && !state.settings.plans.iter().any(|p| p.id == *plan)
    {
        return Err(AppError::field("plan_id", "unknown_plan", "Choose one of the plans offered."));
    }
    if current.directory_managed && (req.role.is_some() || req.suspended.is_some()) {
        let what = if req.role.is_some() { "change their role" } else { "suspend or reactivate them" };
        return Err(directory_owns(what));
    }
    // Your own role and status are another Administrator's to change.
    if actor.user() == Some(user_id) && (req.suspended.is_some() || req.role.is_some()) {
        return Err(not_yourself());
    }
    if req.suspended == Some(true) || req.role.is_some_and(|r| r != Role::Admin) {
        crate::sso::enforcement::keep_a_way_in(&*txn, org_id.as_str(), user_id.as_str()).await?;
    }
    let before = (current.role, current.plan_id.clone(), current.suspended_at.is_some());
    let change = members::Change {
        active: req.suspended.map(|s| !s),
        role: req.role,
        plan_id: req.plan_id.clone().map(Some),
        ..members::Change::default()
    };
    let now = state.clock.now();
    let source = crate::events::source_of(actor);
    let updated = members::update(&*txn, current, change, source, now).await.map_err(refused)?;
    let mut details = serde_json::Map::new();
    details.insert("user_id".into(), user_id.as_str().into());
    if updated.role != before.0 {
        details.insert("role".into(), serde_json::json!({ "from": before.0, "to": updated.role }));
    }
    if updated.plan_id != before.1 {
        details.insert("plan_id".into(), serde_json::json!({ "from": before.1, "to": updated.plan_id }));
    }
    let suspended = updated.suspended_at.is_some();
    if suspended != before.2 {
        details.insert("suspended".into(), suspended.into());
    }
    // An Administrator demoted or suspended: the invites they sent stop.
    if before.0 == Role::Admin && (updated.role != Role::Admin || suspended) {
        revoke_invites_by(&*txn, org_id, user_id, now).await?;
    }
    if details.len() > 1 {
        let action = match (before.2, suspended) {
            (false, true) => "member.suspended",
            (true, false) => "member.reactivated",
            _ => "member.updated",
        };
        let event = Event {
            organization_id: org_id.as_str(),
            actor: actor.id(),
            action,
            target: &account.email,
            details: serde_json::Value::Object(details),
        };
        audit::record(&*txn, actor.meta, now, event).await?;
        crate::events::emit(
            &*txn,
            members::change_event(before.2, &updated, (&account.email, &account.name), source),
            now,
        )
        .await?;
    }
    txn.commit().await?;
    // Admin rights and sessions follow the change at once in this process.
    state.sessions.forget_user(user_id.as_str());
    Ok(member_view(updated, account))
}

pub async fn remove_member(
    state: &AppState,
    actor: &Actor<'_>,
    org_id: &OrganizationId,
    user_id: &UserId,
) -> AppResult<()> {
    let txn = state.begin_write().await?;
    still_admin(&*txn, org_id, actor).await?;
    let (current, account) = member_and_account(&*txn, org_id, user_id).await?;
    if current.directory_managed {
        return Err(directory_owns("remove them from the app's assignments"));
    }
    if actor.user() == Some(user_id) {
        return Err(not_yourself());
    }
    crate::sso::enforcement::keep_a_way_in(&*txn, org_id.as_str(), user_id.as_str()).await?;
    let now = state.clock.now();
    let role = current.role;
    let source = crate::events::source_of(actor);
    let removed = members::event("member.removed", &current, (&account.email, &account.name), source);
    members::remove_by_admin(&*txn, current, source, now).await.map_err(refused)?;
    crate::events::emit(&*txn, removed, now).await?;
    revoke_invites_by(&*txn, org_id, user_id, now).await?;
    let event = Event {
        organization_id: org_id.as_str(),
        actor: actor.id(),
        action: "member.removed",
        target: &account.email,
        details: serde_json::json!({ "user_id": user_id, "role": role }),
    };
    audit::record(&*txn, actor.meta, now, event).await?;
    txn.commit().await?;
    state.sessions.forget_user(user_id.as_str());
    Ok(())
}

/// The actor is still an active Administrator of the organization, read
/// inside the transaction (404, as for anyone else, when not).
async fn still_admin(db: &impl sea_orm::ConnectionTrait, org_id: &OrganizationId, actor: &Actor<'_>) -> AppResult<()> {
    // A service key is the operator's: it stays valid for every organization.
    let Some(user) = actor.user() else { return Ok(()) };
    if members::is_active_admin(db, org_id, user).await? { Ok(()) } else { Err(AppError::NotFound) }
}

/// The pending invites and setup links `user_id` made stop working when
/// they stop being an Administrator (or a member): an Administrator on the
/// way out cannot leave themselves a way back in (an invite as an
/// Administrator; a setup link to point SSO or the directory elsewhere).
async fn revoke_invites_by(
    db: &impl sea_orm::ConnectionTrait,
    org_id: &OrganizationId,
    user_id: &UserId,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    crate::setup::service::revoke_created_by(db, org_id, user_id, now).await?;
    let revoked = invite::Entity::update_in(org_id)
        .col_expr(invite::Column::RevokedAt, Expr::value(now))
        .filter(invite::Column::InvitedBy.eq(user_id.as_str()))
        .filter(invite::Column::AcceptedAt.is_null())
        .filter(invite::Column::RevokedAt.is_null())
        .exec_with_returning(db)
        .await?;
    for inv in revoked.iter().filter(|i| i.expires_at > now) {
        super::service::invite_event(db, "invite.revoked", inv, shared::events::Source::System, now).await?;
    }
    Ok(())
}

/// Not accepted, not revoked, not expired.
fn pending(
    now: chrono::DateTime<chrono::Utc>,
) -> impl Fn(sea_orm::Select<invite::Entity>) -> sea_orm::Select<invite::Entity> {
    move |q| {
        q.filter(invite::Column::AcceptedAt.is_null())
            .filter(invite::Column::RevokedAt.is_null())
            .filter(invite::Column::ExpiresAt.gt(now))
    }
}

/// The organization's pending invites, oldest first (keyset on the
/// time-ordered id).
pub async fn pending_invites(
    state: &AppState,
    org_id: &OrganizationId,
    page: &PageQuery,
) -> AppResult<InvitesResponse> {
    let mut q = pending(state.clock.now())(invite::Entity::find_in(org_id))
        .order_by_asc(invite::Column::Id)
        .limit(page.rows_to_read());
    if let Some(after) = page.after() {
        let after = InviteId::parse(after).map_err(|_| AppError::invalid_cursor())?;
        q = q.filter(invite::Column::Id.gt(after.as_str()));
    }
    let rows = q.all(&state.db).await?;
    let (rows, next_cursor) = page.finish(rows, |i| i.id.clone());
    let data = rows
        .into_iter()
        .map(|i| {
            Ok(PendingInvite {
                id: super::service::parse_id(&i.id)?,
                email: i.email,
                role: i.role,
                password_required: i.password_required,
                created_at: i.created_at,
                expires_at: i.expires_at,
            })
        })
        .collect::<AppResult<_>>()?;
    Ok(InvitesResponse { data, next_cursor })
}

/// The organization's pending invite `invite_id` (404 otherwise), locked
/// for the change.
async fn pending_invite(
    txn: &impl sea_orm::ConnectionTrait,
    org_id: &OrganizationId,
    invite_id: &InviteId,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<invite::Model> {
    pending(now)(invite::Entity::find_in(org_id))
        .filter(invite::Column::Id.eq(invite_id.as_str()))
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)
}

/// The link stops working at once (it answers that it was revoked).
pub async fn revoke_invite(
    state: &AppState,
    actor: &Actor<'_>,
    org_id: &OrganizationId,
    invite_id: &InviteId,
) -> AppResult<()> {
    let now = state.clock.now();
    let txn = state.begin_write().await?;
    still_admin(&*txn, org_id, actor).await?;
    let inv = pending_invite(&*txn, org_id, invite_id, now).await?;
    invite::Entity::update_in(org_id)
        .col_expr(invite::Column::RevokedAt, Expr::value(now))
        .filter(invite::Column::Id.eq(inv.id.as_str()))
        .exec(&*txn)
        .await?;
    let revoked = invite::Model { revoked_at: Some(now), ..inv.clone() };
    super::service::invite_event(&*txn, "invite.revoked", &revoked, crate::events::source_of(actor), now).await?;
    let event = Event {
        organization_id: org_id.as_str(),
        actor: actor.id(),
        action: "invite.revoked",
        target: &inv.email,
        details: serde_json::json!({ "invite_id": inv.id }),
    };
    audit::record(&*txn, actor.meta, now, event).await?;
    txn.commit().await?;
    Ok(())
}

/// A new link for a pending invite, valid `INVITE_TTL_DAYS` from now; the
/// previous link stops working. Mailed, or returned once, as at creation.
pub async fn resend_invite(
    state: &AppState,
    actor: &Actor<'_>,
    org_id: &OrganizationId,
    invite_id: &InviteId,
) -> AppResult<InviteResponse> {
    let now = state.clock.now();
    let txn = state.begin_write().await?;
    still_admin(&*txn, org_id, actor).await?;
    let inv = pending_invite(&*txn, org_id, invite_id, now).await?;
    invite_mail_allowed(state, &inv.email, now)?;
    let org = organization::get(&*txn, org_id).await?;
    let token = random_token();
    let mut row = inv.into_active_model();
    row.token_hash = Set(token_hash(&token));
    row.expires_at = Set(now + Duration::days(INVITE_TTL_DAYS));
    let row = row.update(&*txn).await?;
    super::service::invite_event(&*txn, "invite.resent", &row, crate::events::source_of(actor), now).await?;
    let event = Event {
        organization_id: org_id.as_str(),
        actor: actor.id(),
        action: "invite.resent",
        target: &row.email,
        details: serde_json::json!({ "invite_id": row.id }),
    };
    audit::record(&*txn, actor.meta, now, event).await?;
    txn.commit().await?;
    deliver_invite(state, row, &org.name, token).await
}
