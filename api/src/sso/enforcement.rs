//! Require SSO: the organization's switch (`organizations.sso_required`) and
//! its break-glass Administrators (`break_glass_admins`). This module is the
//! only writer of both, and holds the rule every password path asks:
//!
//! - An account is **bound to SSO** when an organization that requires SSO
//!   has verified its email's domain, the account is that organization's
//!   member, and not one of its break-glass Administrators. Its password
//!   sign-ins are refused (`403 sso_required`, with the sign-in at the
//!   identity provider started on the account's behalf: the login page
//!   continues there), its sessions not opened by the provider end when
//!   the rule starts to apply to it, and invites to it set no password and
//!   open no session.
//! - It applies only while the organization's SSO signs members in
//!   (`active`, `error`): paused while it is set up again, so nobody is
//!   locked out.
//! - A **break-glass Administrator** (at most 3, active Administrators) keeps
//!   password sign-in; every such sign-in is audited and shown on the tab.
//! - Turning it on needs every [`Condition`]; turning it off needs none (a
//!   break-glass Administrator can always do it). Turning SSO off lifts it.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Condition as SqlCondition, Expr, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use shared::accounts::Role;
use shared::enforcement::{
    Administrator, BreakGlassAdmin, Condition, ConditionState, SsoEnforcement, SsoEnforcementRequest, TEST_VALID_DAYS,
};
use shared::provisioning::{Feature, IntegrationStatus};
use shared::{FieldError, OrganizationId, UserId};

use super::entity::{break_glass, connection};
use crate::accounts::entity::{membership, organization, user};
use crate::accounts::members;
use crate::audit::{self, Actor, Event, RequestMeta};
use crate::db::OrganizationScoped;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// What turning Require SSO on depends on, as stored now.
struct Facts {
    sso_active: bool,
    verified_domain: bool,
    tested_at: Option<DateTime<Utc>>,
    recent_test: bool,
}

async fn facts(db: &impl ConnectionTrait, org_id: &str, now: DateTime<Utc>) -> AppResult<Facts> {
    let sso = crate::features::status(db, org_id, Feature::Sso).await?;
    let verified_domain = !crate::domains::service::verified_domains(db, org_id).await?.is_empty();
    let tested_at = connection::Entity::find_in(org_id).one(db).await?.and_then(|c| c.tested_at);
    Ok(Facts {
        sso_active: sso == IntegrationStatus::Active,
        verified_domain,
        tested_at,
        recent_test: tested_at.is_some_and(|t| now - t <= Duration::days(TEST_VALID_DAYS)),
    })
}

impl Facts {
    fn met(&self, c: Condition, has_break_glass: bool) -> bool {
        match c {
            Condition::SsoActive => self.sso_active,
            Condition::VerifiedDomain => self.verified_domain,
            Condition::RecentTest => self.recent_test,
            Condition::BreakGlassAdmin => has_break_glass,
        }
    }
}

/// Whether `m` can use break-glass sign-in: an active Administrator.
fn usable(m: Option<&membership::Model>) -> bool {
    m.is_some_and(|m| m.role == Role::Admin && m.suspended_at.is_none())
}

/// The organization's break-glass Administrators, oldest first.
async fn break_glass_admins(db: &impl ConnectionTrait, org_id: &str) -> AppResult<Vec<BreakGlassAdmin>> {
    let rows = break_glass::Entity::find_in(org_id)
        .order_by_asc(break_glass::Column::AddedAt)
        .order_by_asc(break_glass::Column::UserId)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(account) = user::Entity::find_by_id(row.user_id.clone()).one(db).await? else { continue };
        let member = members::find(db, org_id, &row.user_id).await?;
        out.push(BreakGlassAdmin {
            user_id: row.user_id,
            email: account.email,
            name: account.name,
            active: usable(member.as_ref()),
            last_used_at: row.last_used_at,
        });
    }
    Ok(out)
}

/// The organization's active Administrators (by email, at most 100).
async fn administrators(db: &impl ConnectionTrait, org_id: &str) -> AppResult<Vec<Administrator>> {
    let rows = membership::Entity::find_in(org_id)
        .filter(membership::Column::Role.eq(Role::Admin))
        .filter(membership::Column::SuspendedAt.is_null())
        .find_also_related(user::Entity)
        .order_by_asc(user::Column::Email)
        .limit(100)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(m, u)| u.map(|u| Administrator { user_id: m.user_id, email: u.email, name: u.name }))
        .collect())
}

/// The tab's view: the switch, the break-glass Administrators and the checklist.
pub async fn view(state: &AppState, org_id: &OrganizationId) -> AppResult<SsoEnforcement> {
    let org = organization::get(&state.db, org_id.as_str()).await?;
    let break_glass = break_glass_admins(&state.db, org_id.as_str()).await?;
    let f = facts(&state.db, org_id.as_str(), state.clock.now()).await?;
    let has_break_glass = break_glass.iter().any(|b| b.active);
    let status = crate::features::status(&state.db, org_id.as_str(), Feature::Sso).await?;
    let paused = match () {
        _ if !org.sso_required => None,
        _ if !signs_in(status) => Some(
            "Single Sign-On is not active, so Require SSO is paused: members can use their passwords until a test \
             sign-in passes again."
                .to_owned(),
        ),
        _ if !f.verified_domain => {
            Some("No domain is verified, so Require SSO applies to no one: verify a domain again.".to_owned())
        }
        _ => None,
    };
    Ok(SsoEnforcement {
        required: org.sso_required,
        paused,
        checklist: Condition::ALL.into_iter().map(|c| ConditionState::of(c, f.met(c, has_break_glass))).collect(),
        break_glass,
        administrators: administrators(&state.db, org_id.as_str()).await?,
        tested_at: f.tested_at,
    })
}

/// Sets Require SSO and the break-glass Administrators, in one transaction:
/// each named person must be an active Administrator (422), and turning it
/// on needs every condition (409 `enforcement_preconditions`, one entry per
/// unmet condition). Turning it on ends the password sessions of everyone
/// it binds.
pub async fn set(
    state: &AppState,
    actor: &Actor<'_>,
    org_id: &OrganizationId,
    req: &SsoEnforcementRequest,
) -> AppResult<SsoEnforcement> {
    req.validate().map_err(AppError::Validation)?;
    let now = state.clock.now();
    let org = org_id.as_str();
    let txn = state.begin_write().await?;
    // Concurrent changes of one organization's setting take turns (PostgreSQL).
    let stored = organization::Entity::find()
        .filter(organization::Column::Id.eq(org))
        .lock_exclusive()
        .one(&*txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut errors = Vec::new();
    for (i, id) in req.break_glass_user_ids.iter().enumerate() {
        // Locked with the organization's Administrators: a concurrent demotion waits.
        if !members::is_active_admin(&*txn, org, id).await? {
            errors.push(FieldError::new(
                format!("break_glass_user_ids[{i}]"),
                "not_an_administrator",
                "Only an active Administrator of this organization can be a break-glass Administrator.",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    if req.required {
        let f = facts(&*txn, org, now).await?;
        let unmet: Vec<FieldError> = Condition::ALL
            .into_iter()
            .filter(|c| !f.met(*c, !req.break_glass_user_ids.is_empty()))
            .map(Condition::error)
            .collect();
        if !unmet.is_empty() {
            return Err(AppError::Unmet {
                code: "enforcement_preconditions",
                detail: "Require SSO cannot be turned on yet: the checklist says what is missing.".to_owned(),
                errors: unmet,
            });
        }
    }

    let before = break_glass::Entity::find_in(org).all(&*txn).await?;
    let removed: Vec<&UserId> =
        before.iter().map(|b| &b.user_id).filter(|id| !req.break_glass_user_ids.contains(id)).collect();
    let added: Vec<&UserId> =
        req.break_glass_user_ids.iter().filter(|id| !before.iter().any(|b| &b.user_id == *id)).collect();
    if !removed.is_empty() {
        break_glass::Entity::delete_in(org)
            .filter(break_glass::Column::UserId.is_in(removed.iter().map(|id| id.as_str())))
            .exec(&*txn)
            .await?;
    }
    for id in &added {
        break_glass::ActiveModel {
            organization_id: Set(org_id.clone()),
            user_id: Set((*id).clone()),
            added_by: Set(actor.id().to_owned()),
            added_at: Set(now),
            last_used_at: Set(None),
        }
        .insert(&*txn)
        .await?;
    }
    if !added.is_empty() || !removed.is_empty() {
        let event = Event {
            organization_id: org,
            actor: actor.id(),
            action: "sso_enforcement.break_glass_changed",
            target: org,
            details: serde_json::json!({ "added": added, "removed": removed }),
        };
        audit::record(&*txn, actor.meta, now, event).await?;
    }
    if stored.sso_required != req.required {
        organization::Entity::update_many()
            .col_expr(organization::Column::SsoRequired, Expr::value(req.required))
            .filter(organization::Column::Id.eq(org))
            .exec(&*txn)
            .await?;
    }
    let mut ended = 0;
    if req.required {
        ended = end_non_sso_sessions(&*txn, org, None, now).await?;
    }
    if stored.sso_required != req.required || !added.is_empty() || !removed.is_empty() {
        let source = crate::events::source_of(actor);
        enforcement_event(&*txn, org, req.required, &req.break_glass_user_ids, source, now).await?;
    }
    if stored.sso_required != req.required {
        let event = Event {
            organization_id: org,
            actor: actor.id(),
            action: if req.required { "sso_enforcement.enabled" } else { "sso_enforcement.disabled" },
            target: org,
            details: serde_json::json!({ "password_sessions_ended": ended }),
        };
        audit::record(&*txn, actor.meta, now, event).await?;
    }
    txn.commit().await?;
    if ended > 0 {
        state.sessions.forget_all();
    }
    view(state, org_id).await
}

/// Turning SSO off lifts Require SSO too (nobody could sign in otherwise),
/// in the caller's transaction.
pub async fn lift_with_sso(
    db: &impl ConnectionTrait,
    org_id: &str,
    actor: &Actor<'_>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let lifted = organization::Entity::update_many()
        .col_expr(organization::Column::SsoRequired, Expr::value(false))
        .filter(organization::Column::Id.eq(org_id))
        .filter(organization::Column::SsoRequired.eq(true))
        .exec(db)
        .await?
        .rows_affected
        > 0;
    if lifted {
        let event = Event {
            organization_id: org_id,
            actor: actor.id(),
            action: "sso_enforcement.disabled",
            target: org_id,
            details: serde_json::json!({ "reason": "sso_turned_off" }),
        };
        audit::record(db, actor.meta, now, event).await?;
        let break_glass: Vec<UserId> =
            break_glass::Entity::find_in(org_id).all(db).await?.into_iter().map(|b| b.user_id).collect();
        enforcement_event(db, org_id, false, &break_glass, crate::events::source_of(actor), now).await?;
    }
    Ok(())
}

/// `sso_enforcement.changed`: the setting as it is now.
async fn enforcement_event(
    db: &impl ConnectionTrait,
    org_id: &str,
    required: bool,
    break_glass: &[UserId],
    source: shared::events::Source,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let data =
        serde_json::json!({ "organization_id": org_id, "required": required, "break_glass_user_ids": break_glass });
    let event =
        crate::events::NewEvent::new("sso_enforcement.changed", org_id, format!("{org_id}/sso_enforcement"), data)
            .by(source);
    crate::events::emit(db, event, now).await
}

/// Ends every session an identity provider did not open (password, invite)
/// that reaches `org_id`, of everyone Require SSO binds there: its members
/// whose email is in one of its verified domains, but its usable
/// break-glass Administrators (`only`: of that account alone). One update,
/// however many members. How many ended.
pub async fn end_non_sso_sessions(
    db: &impl ConnectionTrait,
    org_id: &str,
    only: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let domains = crate::domains::service::verified_domains(db, org_id).await?;
    if domains.is_empty() {
        return Ok(0);
    }
    // Stored emails are canonical (lowercase, IDNA ASCII) and domains hold
    // no LIKE wildcards (letters, digits, hyphens and dots only).
    let email = (user::Entity, user::Column::Email);
    let in_domains = domains.iter().fold(SqlCondition::any(), |c, d| c.add(Expr::col(email).like(format!("%@{d}"))));
    // Break-glass Administrators who can use it (still active Administrators).
    let (bg, m) = (break_glass::Entity, membership::Entity);
    let break_glass = Query::select()
        .column((bg, break_glass::Column::UserId))
        .from(bg)
        .inner_join(
            m,
            Expr::col((m, membership::Column::OrganizationId))
                .equals((bg, break_glass::Column::OrganizationId))
                .and(Expr::col((m, membership::Column::UserId)).equals((bg, break_glass::Column::UserId))),
        )
        .and_where(Expr::col((bg, break_glass::Column::OrganizationId)).eq(org_id))
        .and_where(Expr::col((m, membership::Column::Role)).eq(Role::Admin.as_str()))
        .and_where(Expr::col((m, membership::Column::SuspendedAt)).is_null())
        .to_owned();
    let bound = Query::select()
        .column((m, membership::Column::UserId))
        .from(m)
        .inner_join(user::Entity, Expr::col((user::Entity, user::Column::Id)).equals((m, membership::Column::UserId)))
        .and_where(Expr::col((m, membership::Column::OrganizationId)).eq(org_id))
        .and_where(Expr::col((m, membership::Column::UserId)).not_in_subquery(break_glass))
        .and_where_option(only.map(|id| Expr::col((m, membership::Column::UserId)).eq(id)))
        .cond_where(in_domains)
        .to_owned();
    members::end_sessions_but_sso(db, org_id, bound, now).await
}

/// Ends what Require SSO binds in `org_id` once it starts to apply to more
/// people (a domain verified while it is on): a no-op when it is off.
pub async fn domain_verified(db: &impl ConnectionTrait, org_id: &str, now: DateTime<Utc>) -> AppResult<u64> {
    let org = organization::get(db, org_id).await?;
    if !org.sso_required {
        return Ok(0);
    }
    end_non_sso_sessions(db, org_id, None, now).await
}

/// A member of `org_id` is no longer an active Administrator (demoted,
/// suspended or removed, by `source`): no longer break-glass (naming them
/// again is an Administrator's choice; `sso_enforcement.changed` says so),
/// and their sessions that Require SSO would not have let them open end.
pub async fn lost_admin(
    db: &impl ConnectionTrait,
    org_id: &str,
    user_id: &str,
    source: shared::events::Source,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let removed =
        break_glass::Entity::delete_in(org_id).filter(break_glass::Column::UserId.eq(user_id)).exec(db).await?;
    if removed.rows_affected == 0 {
        return Ok(0);
    }
    let required = organization::get(db, org_id).await?.sso_required;
    let left: Vec<UserId> =
        break_glass::Entity::find_in(org_id).all(db).await?.into_iter().map(|b| b.user_id).collect();
    enforcement_event(db, org_id, required, &left, source, now).await?;
    if !required {
        return Ok(0);
    }
    end_non_sso_sessions(db, org_id, Some(user_id), now).await
}

/// Refuses an Administrator's change (suspend, demote, remove) of `user_id`
/// that would leave the organization requiring SSO with no break-glass
/// Administrator: nobody could get in if its identity provider went down.
/// (A directory's change is the company's own: it is not refused, and the
/// tab then asks for a new name.)
pub async fn keep_a_way_in(db: &impl ConnectionTrait, org_id: &str, user_id: &str) -> AppResult<()> {
    if !organization::get(db, org_id).await?.sso_required {
        return Ok(());
    }
    let rows = break_glass::Entity::find_in(org_id).all(db).await?;
    if !rows.iter().any(|r| r.user_id.as_str() == user_id) {
        return Ok(());
    }
    for other in rows.iter().filter(|r| r.user_id.as_str() != user_id) {
        if usable(members::find(db, org_id, &other.user_id).await?.as_ref()) {
            return Ok(());
        }
    }
    Err(AppError::conflict(
        "last_break_glass",
        "This is the last break-glass Administrator while Require SSO is on: name another one under Single Sign-On / \
         Provision → Require SSO first, or turn Require SSO off.",
    ))
}

/// Whether the organization's SSO signs members in now (`error` still tries):
/// Require SSO applies only then, and is paused otherwise (while the
/// identity provider is being set up again, say), or nobody could sign in.
fn signs_in(status: IntegrationStatus) -> bool {
    matches!(status, IntegrationStatus::Active | IntegrationStatus::Error)
}

/// The organization that requires SSO for `email` now: it has verified the
/// email's domain, turned Require SSO on, and its SSO signs members in.
pub async fn requiring_org(db: &impl ConnectionTrait, email: &str) -> AppResult<Option<organization::Model>> {
    let Some((_, domain)) = email.rsplit_once('@') else { return Ok(None) };
    let Some(owner) = crate::domains::service::verified_owner(db, domain).await? else { return Ok(None) };
    let org = organization::get(db, owner.as_str()).await?;
    if !org.sso_required || !signs_in(crate::features::status(db, owner.as_str(), Feature::Sso).await?) {
        return Ok(None);
    }
    Ok(Some(org))
}

/// Whether `org_id` requires SSO for `email` (an invite to it sets no password).
pub async fn covers(db: &impl ConnectionTrait, org_id: &str, email: &str) -> AppResult<bool> {
    Ok(requiring_org(db, email).await?.is_some_and(|o| o.id.as_str() == org_id))
}

async fn is_break_glass(db: &impl ConnectionTrait, org_id: &str, user_id: &str) -> AppResult<bool> {
    Ok(break_glass::Entity::find_in(org_id).filter(break_glass::Column::UserId.eq(user_id)).one(db).await?.is_some())
}

/// What a correct password may do for this account.
pub enum PasswordPolicy {
    Allowed,
    /// A break-glass Administrator of the organization that requires SSO.
    BreakGlass(OrganizationId),
    /// Refused: the organization signs the account in through its SSO.
    SsoRequired(OrganizationId),
}

/// The policy for `account`'s password sign-in (after its password checked out).
pub async fn password_policy(db: &impl ConnectionTrait, account: &user::Model) -> AppResult<PasswordPolicy> {
    let Some(org) = requiring_org(db, &account.email).await? else { return Ok(PasswordPolicy::Allowed) };
    let Some(member) = members::find(db, org.id.as_str(), &account.id).await? else {
        return Ok(PasswordPolicy::Allowed);
    };
    if usable(Some(&member)) && is_break_glass(db, org.id.as_str(), &account.id).await? {
        return Ok(PasswordPolicy::BreakGlass(org.id));
    }
    Ok(PasswordPolicy::SsoRequired(org.id))
}

/// The answer to a password sign-in Require SSO refuses: 403 with the
/// sign-in at the organization's identity provider already started on the
/// account's behalf (its password was right, so the provider's answer may
/// link to it, as when a signed-in member chooses SSO).
pub async fn sso_required(
    state: &AppState,
    org_id: &OrganizationId,
    account: &user::Model,
    continue_to: Option<&str>,
) -> AppError {
    let domain = account.email.rsplit_once('@').map_or(account.email.as_str(), |(_, d)| d);
    let detail = format!("Your organization requires single sign-on for {domain} addresses. Continue with SSO.");
    match super::start_for_account(state, org_id, &account.email, &account.id, continue_to).await {
        Ok((url, cookie)) => AppError::SsoRequired { detail, redirect_url: Some(url), cookie: Some(Box::new(cookie)) },
        Err(e) => {
            tracing::warn!(error = ?e, "sso: could not start the sign-in a refused password sign-in asks for");
            AppError::SsoRequired { detail, redirect_url: None, cookie: None }
        }
    }
}

/// Records a break-glass Administrator's password sign-in: when (shown on
/// the tab) and an audit event.
pub async fn record_break_glass_use(
    state: &AppState,
    meta: &RequestMeta,
    org_id: &OrganizationId,
    account: &user::Model,
    method: &str,
) -> AppResult<()> {
    let now = state.clock.now();
    let txn = state.begin_write().await?;
    break_glass::Entity::update_in(org_id.as_str())
        .col_expr(break_glass::Column::LastUsedAt, Expr::value(now))
        .filter(break_glass::Column::UserId.eq(account.id.as_str()))
        .exec(&*txn)
        .await?;
    let event = Event {
        organization_id: org_id.as_str(),
        actor: account.id.as_str(),
        action: "sso_enforcement.break_glass_used",
        target: &account.email,
        details: serde_json::json!({ "method": method }),
    };
    audit::record(&*txn, meta, now, event).await?;
    txn.commit().await?;
    Ok(())
}

/// Notes a passed test sign-in (Require SSO asks for one in the last 30 days).
pub async fn record_test(db: &impl ConnectionTrait, org_id: &str, now: DateTime<Utc>) -> AppResult<()> {
    connection::Entity::update_in(org_id).col_expr(connection::Column::TestedAt, Expr::value(now)).exec(db).await?;
    Ok(())
}
