use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
use shared::OrganizationId;
use shared::provisioning::{Features, Integration, IntegrationStatus, InviteSettings, ProvisioningResponse};

use crate::accounts::entity::organization;
use crate::audit::{self, Actor, Event};
use crate::billing::entity::feature;
use crate::billing::service as billing;
use crate::domains::service as domains;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub async fn state(state: &AppState, org_id: &OrganizationId) -> AppResult<ProvisioningResponse> {
    let org = organization::get(&state.db, org_id.as_str()).await?;
    let features = billing::owned_features(&state.db, org_id.as_str()).await?;
    let sso = features.iter().find(|f| f.feature == billing::FEATURE_SSO);
    let directory_sync = features.iter().find(|f| f.feature == billing::FEATURE_DIRECTORY_SYNC);
    Ok(ProvisioningResponse {
        domains: domains::list(&state.db, org_id).await?,
        default_plan_id: org.default_plan_id,
        disable_passwords_on_invites: org.disable_passwords_on_invites,
        features: Features { sso: sso.is_some(), directory_sync: directory_sync.is_some() },
        sso: integration(sso),
        directory_sync: integration(directory_sync),
    })
}

/// A stored feature status as the API names it (an unreadable one is an error state).
pub fn status_of(stored: &str) -> IntegrationStatus {
    IntegrationStatus::parse(stored).unwrap_or(IntegrationStatus::Error)
}

fn integration(row: Option<&feature::Model>) -> Integration {
    let Some(f) = row else { return Integration::not_purchased() };
    Integration {
        status: status_of(&f.status),
        reason: None,
        activated_at: f.activated_at,
        last_activity_at: f.last_activity_at,
    }
}

pub async fn set_default_plan(
    state: &AppState,
    actor: &Actor<'_>,
    org_id: &OrganizationId,
    plan_id: &str,
) -> AppResult<String> {
    if !state.settings.plans.iter().any(|p| p.id == plan_id) {
        return Err(AppError::field(
            "plan_id",
            "unknown_plan",
            "Choose one of the plans in the catalog (GET /api/v1/plans).",
        ));
    }
    let txn = state.begin_write().await?;
    let org = organization::get(&txn, org_id.as_str()).await?;
    let previous = org.default_plan_id.clone();
    let mut active = org.into_active_model();
    active.default_plan_id = Set(Some(plan_id.to_owned()));
    active.update(&txn).await?;
    let event = Event {
        organization_id: org_id.as_str(),
        actor: actor.user.as_str(),
        action: "default_plan.changed",
        target: plan_id,
        details: serde_json::json!({ "previous": previous }),
    };
    audit::record(&txn, actor.meta, state.clock.now(), event).await?;
    txn.commit().await?;
    Ok(plan_id.to_owned())
}

/// Not retroactive: invites store `password_required` when they are created.
pub async fn set_invite_settings(
    state: &AppState,
    actor: &Actor<'_>,
    org_id: &OrganizationId,
    settings: InviteSettings,
) -> AppResult<InviteSettings> {
    let txn = state.begin_write().await?;
    let org = organization::get(&txn, org_id.as_str()).await?;
    let mut active = org.into_active_model();
    active.disable_passwords_on_invites = Set(settings.disable_passwords_on_invites);
    active.update(&txn).await?;
    let event = Event {
        organization_id: org_id.as_str(),
        actor: actor.user.as_str(),
        action: "invite_settings.changed",
        target: org_id.as_str(),
        details: serde_json::json!({ "disable_passwords_on_invites": settings.disable_passwords_on_invites }),
    };
    audit::record(&txn, actor.meta, state.clock.now(), event).await?;
    txn.commit().await?;
    Ok(settings)
}
