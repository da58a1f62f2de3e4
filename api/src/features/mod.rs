//! Purchased features and where their integration stands
//! (`organization_features`): `not_purchased → awaiting → active ⇄ error`,
//! and `inactive` (turned off, keeping the status to restore). This module
//! is the only code that writes the table: a purchase, a status
//! [`transition`], turning a feature off and on, and activity. Each change
//! and its audit event happen in the caller's transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter, Set};
use shared::OrganizationId;
use shared::provisioning::{Feature, IntegrationStatus};

pub use crate::billing::entity::feature as entity;

use crate::audit::{self, Event, RequestMeta};
use crate::db::OrganizationScoped;
use crate::error::AppResult;
use shared::events::Source;

/// The organization's row of `feature` (`None`: not purchased).
pub async fn find(db: &impl ConnectionTrait, org_id: &str, feature: Feature) -> AppResult<Option<entity::Model>> {
    Ok(entity::Entity::find_in(org_id).filter(entity::Column::Feature.eq(feature)).one(db).await?)
}

/// The organization's purchased features.
pub async fn all(db: &impl ConnectionTrait, org_id: &str) -> AppResult<Vec<entity::Model>> {
    Ok(entity::Entity::find_in(org_id).all(db).await?)
}

/// The status of the organization's `feature` (`not_purchased` when it was not bought).
pub async fn status(db: &impl ConnectionTrait, org_id: &str, feature: Feature) -> AppResult<IntegrationStatus> {
    Ok(find(db, org_id, feature).await?.map(|f| f.status).unwrap_or(IntegrationStatus::NotPurchased))
}

/// A status change: `feature` of `org_id` moves to `to` (with `reason`,
/// which replaces any earlier one) when it is in one of `from`.
pub struct Transition<'a> {
    pub org_id: &'a str,
    pub feature: Feature,
    pub from: &'a [IntegrationStatus],
    pub to: IntegrationStatus,
    pub reason: Option<&'a str>,
}

/// Applies `t` in `db` (the caller's transaction); moving to `active` also
/// stamps `last_activity_at`, and `activated_at` when it comes from
/// `awaiting` (the setup finished) or was never set. Records `event` when the row moved.
/// Whether it moved.
pub async fn transition(
    db: &impl ConnectionTrait,
    t: Transition<'_>,
    now: DateTime<Utc>,
    meta: &RequestMeta,
    event: Option<Event<'_>>,
) -> AppResult<bool> {
    let mut update = entity::Entity::update_in(t.org_id)
        .col_expr(entity::Column::Status, Expr::value(t.to))
        .col_expr(entity::Column::StatusReason, Expr::value(t.reason));
    if t.to == IntegrationStatus::Active {
        let from_awaiting = Expr::col(entity::Column::Status)
            .eq(IntegrationStatus::Awaiting)
            .or(Expr::col(entity::Column::ActivatedAt).is_null());
        update = update
            .col_expr(
                entity::Column::ActivatedAt,
                Expr::case(from_awaiting, Expr::value(now)).finally(Expr::col(entity::Column::ActivatedAt)).into(),
            )
            .col_expr(entity::Column::LastActivityAt, Expr::value(now));
    }
    let before = find(db, t.org_id, t.feature).await?.map(|r| r.status);
    let moved = update
        .filter(entity::Column::Feature.eq(t.feature))
        .filter(entity::Column::Status.is_in(t.from.iter().copied()))
        .exec(db)
        .await?
        .rows_affected
        > 0;
    if moved && let Some(event) = event {
        audit::record(db, meta, now, event).await?;
    }
    if moved && let Some(from) = before.filter(|b| *b != t.to) {
        let source = if t.feature == Feature::Sso { Source::Sso } else { Source::Scim };
        status_changed(db, t.org_id, t.feature, (from, t.to), t.reason, source, now).await?;
    }
    Ok(moved)
}

/// `feature.status_changed`: `from` → `to`, and why.
async fn status_changed(
    db: &impl ConnectionTrait,
    org_id: &str,
    feature: Feature,
    (from, to): (IntegrationStatus, IntegrationStatus),
    reason: Option<&str>,
    source: Source,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let data = serde_json::json!({
        "organization_id": org_id,
        "feature": feature.as_str(),
        "status": to.as_str(),
        "from": from.as_str(),
        "to": to.as_str(),
        "reason": reason,
    });
    let object = format!("{org_id}/{}", feature.as_str());
    let event = crate::events::NewEvent::new("feature.status_changed", org_id, object, data).by(source);
    crate::events::emit(db, event, now).await
}

/// Notes that the feature was used (a sign-in, a SCIM request).
pub async fn touch(db: &impl ConnectionTrait, org_id: &str, feature: Feature, now: DateTime<Utc>) -> AppResult<()> {
    entity::Entity::update_in(org_id)
        .col_expr(entity::Column::LastActivityAt, Expr::value(now))
        .filter(entity::Column::Feature.eq(feature))
        .exec(db)
        .await?;
    Ok(())
}

/// A bought feature: it awaits its setup, or, bought while it cannot run
/// (Directory Sync while SSO is off), starts off and awaits its setup once
/// turned on.
pub async fn purchase(
    db: &impl ConnectionTrait,
    org_id: &OrganizationId,
    feature: Feature,
    now: DateTime<Utc>,
    starts_off: bool,
    source: Source,
) -> AppResult<()> {
    let awaiting = IntegrationStatus::Awaiting;
    let (status, previous_status) =
        if starts_off { (IntegrationStatus::Inactive, Some(awaiting)) } else { (awaiting, None) };
    entity::ActiveModel {
        organization_id: Set(org_id.clone()),
        feature: Set(feature),
        status: Set(status),
        purchased_at: Set(now),
        activated_at: Set(None),
        last_activity_at: Set(None),
        previous_status: Set(previous_status),
        status_reason: Set(None),
    }
    .insert(db)
    .await?;
    let reason = Some("purchased");
    status_changed(db, org_id.as_str(), feature, (IntegrationStatus::NotPurchased, status), reason, source, now).await
}

/// Turns a feature off (keeping the status to restore) or back on
/// (restoring it); `false` when it already was as asked.
pub async fn set_on(
    db: &impl ConnectionTrait,
    row: entity::Model,
    on: bool,
    source: Source,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let inactive = row.status == IntegrationStatus::Inactive;
    if inactive != on {
        return Ok(false);
    }
    let mut active = row.clone().into_active_model();
    if on {
        active.status = Set(row.previous_status.unwrap_or(IntegrationStatus::Awaiting));
        active.previous_status = Set(None);
    } else {
        active.previous_status = Set(Some(row.status));
        active.status = Set(IntegrationStatus::Inactive);
    }
    let updated = active.update(db).await?;
    let reason = Some(if on { "turned_on" } else { "turned_off" });
    let org = row.organization_id.as_str();
    status_changed(db, org, row.feature, (row.status, updated.status), reason, source, now).await?;
    Ok(true)
}
