use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use shared::OrganizationId;
use shared::provisioning::{Features, Integration, ProvisioningResponse};

use crate::accounts::entity::organization;
use crate::domains::service as domains;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub async fn state(state: &AppState, org_id: &OrganizationId) -> AppResult<ProvisioningResponse> {
    let org = organization::Entity::find_by_id(org_id.as_str()).one(&state.db).await?.ok_or(AppError::NotFound)?;
    Ok(ProvisioningResponse {
        domains: domains::list(&state.db, org_id).await?,
        default_plan_id: org.default_plan_id,
        disable_passwords_on_invites: org.disable_passwords_on_invites,
        // Purchases arrive with checkout; until then nothing is purchased.
        features: Features::default(),
        sso: Integration::not_purchased(),
        directory_sync: Integration::not_purchased(),
    })
}

pub async fn set_default_plan(state: &AppState, org_id: &OrganizationId, plan_id: &str) -> AppResult<String> {
    if !state.settings.plans.iter().any(|p| p.id == plan_id) {
        return Err(AppError::field(
            "plan_id",
            "unknown_plan",
            "Choose one of the plans in the catalog (GET /api/v1/plans).",
        ));
    }
    let org = organization::Entity::find_by_id(org_id.as_str()).one(&state.db).await?.ok_or(AppError::NotFound)?;
    let mut active = org.into_active_model();
    active.default_plan_id = Set(Some(plan_id.to_owned()));
    active.update(&state.db).await?;
    Ok(plan_id.to_owned())
}
