//! Revoke and restore: `PUT …/integrations/sso` and `…/integrations/directory-sync`.
//! Turning SSO off turns Directory Sync off in the same transaction; turning
//! either back on restores the status it had, configuration kept.

use actix_web::web;
use sea_orm::{QueryOrder, QuerySelect};
use shared::provisioning::{Feature, IntegrationStatus, ProvisioningResponse, SetEnabledRequest};
use shared::setup::SetupKind;
use shared::{OrganizationId, Problem};

use crate::audit::{self, Actor, Event, RequestMeta};
use crate::auth::OrgAdmin;
use crate::billing::entity::feature;
use crate::db::OrganizationScoped;
use crate::error::{AppError, AppResult};
use crate::setup::service::{Revocation, revoke_outstanding};
use crate::state::AppState;

/// Sets one feature on or off (and, for SSO off, Directory Sync too).
pub async fn set_enabled(
    state: &AppState,
    actor: &Actor<'_>,
    org_id: &OrganizationId,
    which: Feature,
    enabled: bool,
) -> AppResult<()> {
    let txn = state.begin_write().await?;
    // Locked (PostgreSQL) in name order, as a setup link's generation locks
    // its one feature: a link is never generated for a feature being turned off.
    let rows =
        feature::Entity::find_in(org_id).order_by_asc(feature::Column::Feature).lock_exclusive().all(&*txn).await?;
    let find = |f: Feature| rows.iter().find(|r| r.feature == f).cloned();
    let target = find(which).ok_or_else(|| {
        AppError::conflict("not_purchased", format!("{} is not purchased; buy it at checkout first.", which.label()))
    })?;
    let sso_off = find(Feature::Sso).is_some_and(|s| s.status == IntegrationStatus::Inactive);
    if enabled && which == Feature::DirectorySync && sso_off {
        return Err(AppError::conflict(
            "sso_inactive",
            "Single Sign-On is turned off; turn it on before Directory Sync.",
        ));
    }
    let was_on = target.status != IntegrationStatus::Inactive;
    let mut changed = vec![target];
    let now = state.clock.now();
    if !enabled && which == Feature::Sso {
        changed.extend(find(Feature::DirectorySync));
        // Nobody could sign in while SSO is off and required.
        crate::sso::enforcement::lift_with_sso(&*txn, org_id.as_str(), actor, now).await?;
        // What the identity provider vouched for no longer holds: its
        // sessions end (and the applications are told).
        if was_on {
            crate::accounts::members::end_sso_sessions(&*txn, org_id.as_str(), actor.id(), now).await?;
        }
    }
    if !enabled {
        // Links for what is being turned off stop working now.
        let kinds: Vec<SetupKind> = changed.iter().map(|r| SetupKind::for_feature(r.feature)).collect();
        let source = crate::events::source_of(actor);
        revoke_outstanding(&txn, org_id.as_str(), &kinds, Revocation::FeatureOff, now, source).await?;
    }
    for row in changed {
        let feature_name = row.feature;
        if !crate::features::set_on(&*txn, row, enabled, crate::events::source_of(actor), now).await? {
            continue; // already as asked
        }
        let event = Event {
            organization_id: org_id.as_str(),
            actor: actor.id(),
            action: if enabled { "integration.enabled" } else { "integration.disabled" },
            target: feature_name.as_str(),
            details: serde_json::json!({ "requested": which.as_str() }),
        };
        audit::record(&txn, actor.meta, now, event).await?;
    }
    txn.commit().await?;
    // SCIM requests see the new status at once (this process; others within the cache's TTL).
    state.scim.forget(org_id.as_str());
    if !enabled && which == Feature::Sso {
        // The sessions SSO opened end at once here (others within the cache's TTL).
        state.sessions.forget_all();
    }
    Ok(())
}

async fn respond(
    state: &AppState,
    admin: &OrgAdmin,
    meta: &RequestMeta,
    which: Feature,
    enabled: bool,
) -> AppResult<web::Json<ProvisioningResponse>> {
    let actor = admin.actor(meta);
    set_enabled(state, &actor, &admin.org_id, which, enabled).await?;
    Ok(web::Json(super::service::state(state, &admin.org_id).await?))
}

#[utoipa::path(
    put, path = "/api/v1/organizations/{org_id}/integrations/sso", tag = "provisioning", operation_id = "setSsoEnabled",
    summary = "Turn Single Sign-On on or off",
    description = "Turning SSO off also turns Directory Sync off, ends the sessions SSO opened and revokes setup links; on again restores the status it had.",
    params(("org_id" = String, Path, description = "Organization id (`org_…`)")),
    request_body = SetEnabledRequest,
    responses(
        (status = 200, description = "The provisioning state. Turning SSO off also turns Directory Sync off", body = ProvisioningResponse),
        (status = 404, description = "No such organization, or not its Administrator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Single Sign-On is not purchased", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []), ("service_key" = []))
)]
pub async fn sso(
    state: web::Data<AppState>,
    admin: OrgAdmin,
    meta: RequestMeta,
    body: web::Json<SetEnabledRequest>,
) -> AppResult<web::Json<ProvisioningResponse>> {
    respond(&state, &admin, &meta, Feature::Sso, body.enabled).await
}

#[utoipa::path(
    put, path = "/api/v1/organizations/{org_id}/integrations/directory-sync", tag = "provisioning", operation_id = "setDirectorySyncEnabled",
    summary = "Turn Directory Sync on or off",
    description = "Turning it off stops the directory's requests and revokes its setup links; on again restores the status it had.",
    params(("org_id" = String, Path, description = "Organization id (`org_…`)")),
    request_body = SetEnabledRequest,
    responses(
        (status = 200, description = "The provisioning state. Single Sign-On is left as it is", body = ProvisioningResponse),
        (status = 404, description = "No such organization, or not its Administrator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Directory Sync is not purchased, or SSO is off while turning it on", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []), ("service_key" = []))
)]
pub async fn directory_sync(
    state: web::Data<AppState>,
    admin: OrgAdmin,
    meta: RequestMeta,
    body: web::Json<SetEnabledRequest>,
) -> AppResult<web::Json<ProvisioningResponse>> {
    respond(&state, &admin, &meta, Feature::DirectorySync, body.enabled).await
}
