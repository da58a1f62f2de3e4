//! Setup links are short opaque tokens (`gh_setup_` and 32 random bytes,
//! base64url), valid 24 hours; only their SHA-256 is stored, so a leaked
//! database holds no working link. The stored row scopes a link to its
//! organization and kind, and lets an Administrator see whether it was
//! opened and used, revoke it or replace it.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::Expr,
};
use shared::provisioning::IntegrationStatus;
use shared::setup::{SetupInfo, SetupKind, SetupLink, SetupLinkResponse, SetupLinkStatus, SetupLinksResponse};
use shared::{OrganizationId, SetupLinkId};

use super::entity as link;
use crate::accounts::entity::organization;
use crate::audit::{self, Actor, Event};
use crate::auth::tokens::random_token;
use crate::billing::entity::feature;
use crate::db::OrganizationScoped;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use shared::events::Source;

pub const TOKEN_PREFIX: &str = "gh_setup_";
pub const LINK_TTL_HOURS: i64 = 24;

use crate::auth::tokens::digest as token_hash;

/// Why links stop working before they expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// A new link of the same kind was generated.
    Replaced,
    /// An Administrator revoked it.
    Revoked,
    /// The feature it sets up was turned off.
    FeatureOff,
}

impl Revocation {
    fn as_str(self) -> &'static str {
        match self {
            Revocation::Replaced => "replaced",
            Revocation::Revoked => "revoked",
            Revocation::FeatureOff => "feature_off",
        }
    }
}

/// Revokes the outstanding links of these kinds (a new link, or a feature
/// turned off), as `source` (who did that) says in their events.
pub async fn revoke_outstanding(
    db: &impl ConnectionTrait,
    org_id: &str,
    kinds: &[SetupKind],
    why: Revocation,
    at: DateTime<Utc>,
    source: Source,
) -> AppResult<()> {
    let which = link::Entity::update_in(org_id).filter(link::Column::Kind.is_in(kinds.iter().map(|k| k.as_str())));
    revoke_where(db, which, why, at, source).await.map(drop)
}

/// Revokes the links `which` selects that are not revoked yet; each one
/// still live gets a `setup_link.revoked` event. The links revoked.
async fn revoke_where(
    db: &impl ConnectionTrait,
    which: sea_orm::UpdateMany<link::Entity>,
    why: Revocation,
    at: DateTime<Utc>,
    source: Source,
) -> AppResult<Vec<link::Model>> {
    let revoked = which
        .col_expr(link::Column::RevokedAt, Expr::value(at))
        .col_expr(link::Column::RevokedReason, Expr::value(why.as_str()))
        .filter(link::Column::RevokedAt.is_null())
        .exec_with_returning(db)
        .await?;
    for row in revoked.iter().filter(|r| r.expires_at > at && r.completed_at.is_none()) {
        link_event(db, "setup_link.revoked", row, source, at).await?;
    }
    Ok(revoked)
}

/// A setup link's event: the link as the list shows it, never its token.
async fn link_event(
    db: &impl ConnectionTrait,
    kind: &'static str,
    row: &link::Model,
    source: Source,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let data = serde_json::json!({
        "id": row.id,
        "organization_id": row.organization_id,
        "kind": row.kind,
        "status": status_of(row, now),
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "opened_at": row.opened_at,
        "completed_at": row.completed_at,
        "revoked_at": row.revoked_at,
        "revoked_reason": row.revoked_reason,
    });
    let org = row.organization_id.as_str();
    crate::events::emit(db, crate::events::NewEvent::new(kind, org, row.id.as_str(), data).by(source), now).await
}

pub async fn create(
    state: &AppState,
    actor: &Actor<'_>,
    org_id: &OrganizationId,
    kind: SetupKind,
) -> AppResult<SetupLinkResponse> {
    // The feature is read and locked inside the transaction (PostgreSQL:
    // FOR UPDATE, as turning it off does), so a link is never generated for
    // a feature being turned off, and of two concurrent generations the
    // second revokes the first.
    let txn = state.begin_write().await?;
    let feature = feature::Entity::find_in(org_id)
        .filter(feature::Column::Feature.eq(kind.feature()))
        .lock_exclusive()
        .one(&*txn)
        .await?;
    let feature = feature.ok_or_else(|| {
        AppError::conflict(
            "feature_not_purchased",
            format!("{} is not purchased yet; buy it at checkout, then generate its setup link.", kind.label()),
        )
    })?;
    if feature.status == IntegrationStatus::Inactive {
        return Err(AppError::conflict(
            "feature_inactive",
            format!("{} is turned off; turn it on before generating a setup link.", kind.label()),
        ));
    }
    let now = state.clock.now();
    let expires_at = now + Duration::hours(LINK_TTL_HOURS);
    let id = SetupLinkId::generate();
    revoke_outstanding(&txn, org_id.as_str(), &[kind], Revocation::Replaced, now, crate::events::source_of(actor))
        .await?;
    let token = format!("{TOKEN_PREFIX}{}", random_token());
    let row = link::ActiveModel {
        id: Set(id.to_string()),
        organization_id: Set(org_id.clone()),
        kind: Set(kind.as_str().to_owned()),
        created_by: Set(actor.id().to_owned()),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        created_at: Set(now),
        token_hash: Set(Some(token_hash(&token))),
        opened_at: Set(None),
        completed_at: Set(None),
        revoked_reason: Set(None),
    }
    .insert(&txn)
    .await?;
    link_event(&*txn, "setup_link.created", &row, crate::events::source_of(actor), now).await?;
    let event = Event {
        organization_id: org_id.as_str(),
        actor: actor.id(),
        action: "setup_link.generated",
        target: kind.as_str(),
        details: serde_json::json!({ "link_id": id, "expires_at": expires_at }),
    };
    audit::record(&txn, actor.meta, now, event).await?;
    txn.commit().await?;
    Ok(SetupLinkResponse { id: id.to_string(), kind, url: format!("{}/setup/{token}", state.public_url), expires_at })
}

fn invalid() -> AppError {
    AppError::unauthorized(
        "invalid_setup_link",
        "This setup link is not valid. Check that the whole link was copied, or ask your administrator for a new one.",
    )
}

/// The link behind `token`, if it is one we issued, current and of
/// `expected` kind (when given). Unknown tokens → 401; expired or revoked →
/// 410, saying why.
pub async fn resolve(
    state: &AppState,
    token: &str,
    expected: Option<SetupKind>,
) -> AppResult<(link::Model, SetupKind)> {
    // Only our shape is looked up (and hashed): anything else is unknown.
    let shaped = token.strip_prefix(TOKEN_PREFIX).is_some_and(|rest| {
        rest.len() == 43 && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    if !shaped {
        return Err(invalid());
    }
    let row = link::Entity::find()
        .filter(link::Column::TokenHash.eq(token_hash(token)))
        .one(&state.db)
        .await?
        .ok_or_else(invalid)?;
    let kind = SetupKind::parse(&row.kind).ok_or_else(invalid)?;
    if expected.is_some_and(|k| k != kind) {
        return Err(invalid());
    }
    if row.revoked_at.is_some() {
        let detail = match row.revoked_reason.as_deref() {
            Some("feature_off") => format!(
                "{} was turned off for this organization, so its setup link no longer works. Ask your \
                 administrator to turn it back on and send you a new link.",
                kind.label()
            ),
            Some("revoked") => "Your administrator revoked this setup link. Ask them for a new one.".to_owned(),
            _ => "This setup link was replaced by a newer one. Ask your administrator for the current link.".to_owned(),
        };
        return Err(AppError::gone("setup_link_revoked", detail));
    }
    if row.expires_at <= state.clock.now() {
        return Err(AppError::gone(
            "setup_link_expired",
            "This setup link has expired (links last 24 hours). Ask your administrator for a new one.",
        ));
    }
    Ok((row, kind))
}

/// Notes that the setup `kind` was finished through the organization's
/// current link (a passed test sign-in): the one that is live and was opened.
pub async fn mark_completed(
    db: &impl ConnectionTrait,
    org_id: &str,
    kind: SetupKind,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let done = link::Entity::update_in(org_id)
        .col_expr(link::Column::CompletedAt, Expr::value(now))
        .filter(link::Column::Kind.eq(kind.as_str()))
        .filter(link::Column::RevokedAt.is_null())
        .filter(link::Column::ExpiresAt.gt(now))
        .filter(link::Column::OpenedAt.is_not_null())
        .filter(link::Column::CompletedAt.is_null())
        .exec_with_returning(db)
        .await?;
    for r in &done {
        link_event(db, "setup_link.completed", r, Source::SetupLink, now).await?;
    }
    Ok(())
}

/// Inside the transaction that acts through a link: it is still live (not
/// revoked, replaced or expired since it was resolved), and stays so until
/// the transaction ends (its row is locked on PostgreSQL; SQLite writes one
/// at a time). `complete` also marks the setup finished through it.
pub async fn still_live(db: &impl ConnectionTrait, link_id: &str, now: DateTime<Utc>, complete: bool) -> AppResult<()> {
    let live = link::Entity::find()
        .filter(link::Column::Id.eq(link_id))
        .filter(link::Column::RevokedAt.is_null())
        .filter(link::Column::ExpiresAt.gt(now))
        .lock_exclusive()
        .one(db)
        .await?;
    let Some(row) = live else {
        return Err(AppError::gone(
            "setup_link_revoked",
            "This setup link stopped working a moment ago (revoked, replaced or expired). Ask your administrator for \
             the current link.",
        ));
    };
    if complete && row.completed_at.is_none() {
        let done = link::Entity::update_in(&row.organization_id)
            .col_expr(link::Column::CompletedAt, Expr::value(now))
            .filter(link::Column::Id.eq(link_id))
            .filter(link::Column::CompletedAt.is_null())
            .exec_with_returning(db)
            .await?;
        for r in &done {
            link_event(db, "setup_link.completed", r, Source::SetupLink, now).await?;
        }
    }
    Ok(())
}

/// The links an Administrator generated stop when they stop being one: a
/// departing Administrator keeps no way to reconfigure the organization's
/// SSO or directory.
pub async fn revoke_created_by(
    db: &impl ConnectionTrait,
    org_id: &str,
    user_id: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let which = link::Entity::update_in(org_id).filter(link::Column::CreatedBy.eq(user_id));
    revoke_where(db, which, Revocation::Revoked, now, Source::System).await.map(drop)
}

/// Where a link stands now.
fn status_of(row: &link::Model, now: DateTime<Utc>) -> SetupLinkStatus {
    match () {
        _ if row.revoked_at.is_some() => SetupLinkStatus::Revoked,
        _ if row.completed_at.is_some() => SetupLinkStatus::Completed,
        _ if row.expires_at <= now => SetupLinkStatus::Expired,
        _ if row.opened_at.is_some() => SetupLinkStatus::Opened,
        _ => SetupLinkStatus::Sent,
    }
}

/// The latest link of each kind (the one an Administrator acts on).
pub async fn list(state: &AppState, org_id: &OrganizationId) -> AppResult<SetupLinksResponse> {
    let now = state.clock.now();
    let mut data = Vec::new();
    for kind in [SetupKind::Sso, SetupKind::Scim] {
        let latest = link::Entity::find_in(org_id)
            .filter(link::Column::Kind.eq(kind.as_str()))
            .order_by_desc(link::Column::CreatedAt)
            .order_by_desc(link::Column::Id)
            .one(&state.db)
            .await?;
        if let Some(row) = latest {
            data.push(SetupLink {
                status: status_of(&row, now),
                id: row.id,
                kind,
                url: None,
                created_at: row.created_at,
                expires_at: row.expires_at,
                opened_at: row.opened_at,
                completed_at: row.completed_at,
                revoked_at: row.revoked_at,
                revoked_reason: row.revoked_reason,
            });
        }
    }
    Ok(SetupLinksResponse { data })
}

/// An Administrator revokes a link: it stops working at once.
pub async fn revoke(
    state: &AppState,
    actor: &Actor<'_>,
    org_id: &OrganizationId,
    link_id: &SetupLinkId,
) -> AppResult<()> {
    let now = state.clock.now();
    let txn = state.begin_write().await?;
    let which = link::Entity::update_in(org_id).filter(link::Column::Id.eq(link_id.as_str()));
    let revoked = revoke_where(&*txn, which, Revocation::Revoked, now, crate::events::source_of(actor)).await?;
    if revoked.is_empty() {
        return Err(AppError::NotFound);
    }
    let event = Event {
        organization_id: org_id.as_str(),
        actor: actor.id(),
        action: "setup_link.revoked",
        target: link_id.as_str(),
        details: serde_json::json!({}),
    };
    audit::record(&*txn, actor.meta, now, event).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn info(state: &AppState, token: &str) -> AppResult<SetupInfo> {
    let (row, kind) = resolve(state, token, None).await?;
    if row.opened_at.is_none() {
        // First opened now (what the Administrator's link list shows).
        let now = state.clock.now();
        let txn = state.begin_write().await?;
        let opened = link::Entity::update_in(&row.organization_id)
            .col_expr(link::Column::OpenedAt, Expr::value(now))
            .filter(link::Column::Id.eq(row.id.as_str()))
            .filter(link::Column::OpenedAt.is_null())
            .exec_with_returning(&*txn)
            .await?;
        for r in &opened {
            link_event(&*txn, "setup_link.opened", r, Source::SetupLink, now).await?;
        }
        txn.commit().await?;
    }
    let org = organization::get(&state.db, &row.organization_id).await.map_err(|_| invalid())?;
    let status = crate::features::status(&state.db, &row.organization_id, kind.feature()).await?;
    let scim_token_created_at = match kind {
        SetupKind::Scim => crate::scim::credentials::token_created_at(state, &row.organization_id).await?,
        SetupKind::Sso => None,
    };
    let domains = crate::domains::service::list(&state.db, &row.organization_id).await?;
    Ok(SetupInfo {
        kind,
        organization_name: org.name,
        expires_at: row.expires_at,
        status,
        scim_token_created_at,
        domains,
        domain_verification_required: crate::domains::service::verification_required(state),
    })
}
