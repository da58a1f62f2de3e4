//! Setup links are JWTs (`typ: setup-link+jwt`, audience `gatehouse-setup`,
//! `sub` = organization, `kind`, `jti` = the stored link's id, `exp` = issue
//! time plus 24 h). The signature proves we issued it; the stored row lets us
//! revoke it; the token itself is never stored or logged.

use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use shared::provisioning::IntegrationStatus;
use shared::setup::{SetupInfo, SetupKind, SetupLinkResponse};
use shared::{OrganizationId, SetupLinkId};

use super::entity as link;
use crate::accounts::entity::organization;
use crate::audit::{self, Actor, Event};
use crate::auth::tokens::{TokenError, sign, verify};
use crate::billing::entity::feature;
use crate::db::OrganizationScoped;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub const SETUP_TYP: &str = "setup-link+jwt";
pub const SETUP_AUDIENCE: &str = "gatehouse-setup";
pub const LINK_TTL_HOURS: i64 = 24;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetupClaims {
    pub iss: String,
    pub aud: String,
    /// The organization.
    pub sub: String,
    pub kind: SetupKind,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
}

/// Revokes the outstanding links of these kinds (a new link, or a feature turned off).
pub async fn revoke_outstanding(
    db: &impl ConnectionTrait,
    org_id: &str,
    kinds: &[SetupKind],
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    link::Entity::update_in(org_id)
        .col_expr(link::Column::RevokedAt, Expr::value(at))
        .filter(link::Column::Kind.is_in(kinds.iter().map(|k| k.as_str())))
        .filter(link::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
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
    revoke_outstanding(&txn, org_id.as_str(), &[kind], now).await?;
    link::ActiveModel {
        id: Set(id.to_string()),
        organization_id: Set(org_id.clone()),
        kind: Set(kind.as_str().to_owned()),
        created_by: Set(actor.user.to_string()),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let event = Event {
        organization_id: org_id.as_str(),
        actor: actor.user.as_str(),
        action: "setup_link.generated",
        target: kind.as_str(),
        details: serde_json::json!({ "link_id": id, "expires_at": expires_at }),
    };
    audit::record(&txn, actor.meta, now, event).await?;
    let claims = SetupClaims {
        iss: state.issuer().to_owned(),
        aud: SETUP_AUDIENCE.to_owned(),
        sub: org_id.to_string(),
        kind,
        jti: id.to_string(),
        iat: now.timestamp(),
        exp: expires_at.timestamp(),
    };
    let token = sign(&state.keys, SETUP_TYP, &claims)?;
    txn.commit().await?;
    Ok(SetupLinkResponse { id: id.to_string(), kind, url: format!("{}/setup/{token}", state.public_url), expires_at })
}

fn invalid() -> AppError {
    AppError::unauthorized(
        "invalid_setup_link",
        "This setup link is not valid. Check that the whole link was copied, or ask your administrator for a new one.",
    )
}

/// The link behind `token`, if it is genuine, current and of `expected` kind
/// (when given). Forged or foreign tokens → 401; expired or revoked → 410.
pub async fn resolve(
    state: &AppState,
    token: &str,
    expected: Option<SetupKind>,
) -> AppResult<(link::Model, SetupClaims)> {
    let claims: SetupClaims =
        verify(&state.keys, token, SETUP_TYP, state.issuer(), SETUP_AUDIENCE).map_err(|e: TokenError| {
            tracing::debug!(error = %e, "setup link refused");
            invalid()
        })?;
    if expected.is_some_and(|k| k != claims.kind) {
        return Err(invalid());
    }
    let row = link::Entity::find_by_id(claims.jti.as_str()).one(&state.db).await?.ok_or_else(invalid)?;
    if row.organization_id != claims.sub || row.kind != claims.kind.as_str() {
        return Err(invalid());
    }
    if row.revoked_at.is_some() {
        return Err(AppError::gone(
            "setup_link_revoked",
            "This setup link was replaced or revoked. Ask your administrator for the current link.",
        ));
    }
    let now = state.clock.now();
    if claims.exp <= now.timestamp() || row.expires_at <= now {
        return Err(AppError::gone(
            "setup_link_expired",
            "This setup link has expired (links last 24 hours). Ask your administrator for a new one.",
        ));
    }
    Ok((row, claims))
}

pub async fn info(state: &AppState, token: &str) -> AppResult<SetupInfo> {
    let (row, claims) = resolve(state, token, None).await?;
    let org = organization::get(&state.db, &row.organization_id).await.map_err(|_| invalid())?;
    let status = crate::features::status(&state.db, &row.organization_id, claims.kind.feature()).await?;
    let scim_token_created_at = match claims.kind {
        SetupKind::Scim => crate::scim::credentials::token_created_at(state, &row.organization_id).await?,
        SetupKind::Sso => None,
    };
    Ok(SetupInfo {
        kind: claims.kind,
        organization_name: org.name,
        expires_at: row.expires_at,
        status,
        scim_token_created_at,
    })
}
