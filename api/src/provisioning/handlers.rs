use actix_web::web;
use shared::Problem;
use shared::provisioning::{DefaultPlanResponse, InviteSettings, Plan, ProvisioningResponse, SetDefaultPlanRequest};

use super::service;
use crate::audit::RequestMeta;
use crate::auth::{AuthUser, OrgAdmin};
use crate::error::AppResult;
use crate::state::AppState;

#[utoipa::path(
    get, path = "/api/v1/plans", tag = "provisioning", operation_id = "listPlans",
    summary = "List plans",
    description = "The plans new members can be given.",
    responses(
        (status = 200, description = "The plan catalog (set by the operator in `gatehouse.toml`)", body = [Plan]),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn plans(state: web::Data<AppState>, _user: AuthUser) -> web::Json<Vec<Plan>> {
    web::Json(state.settings.plans.clone())
}

#[utoipa::path(
    get, path = "/api/v1/organizations/{org_id}/provisioning", tag = "provisioning", operation_id = "getProvisioningState",
    summary = "Get the provisioning state",
    description = "The Single Sign-On / Provision tab: domains, default plan, what was bought and each feature's status.",
    params(("org_id" = String, Path, description = "Organization id (`org_…`)")),
    responses(
        (status = 200, description = "Everything the Single Sign-On / Provision tab shows", body = ProvisioningResponse),
        (status = 404, description = "No such organization, or not its Administrator", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []), ("service_key" = []))
)]
pub async fn state(state: web::Data<AppState>, admin: OrgAdmin) -> AppResult<web::Json<ProvisioningResponse>> {
    Ok(web::Json(service::state(&state, &admin.org_id).await?))
}

#[utoipa::path(
    put, path = "/api/v1/organizations/{org_id}/default-plan", tag = "provisioning", operation_id = "setDefaultPlan",
    summary = "Set the default plan",
    description = "The plan members created by SSO or the directory get.",
    params(("org_id" = String, Path, description = "Organization id (`org_…`)")),
    request_body = SetDefaultPlanRequest,
    responses(
        (status = 200, description = "The Provision Default Plan is set", body = DefaultPlanResponse),
        (status = 404, description = "No such organization, or not its Administrator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown plan", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []), ("service_key" = []))
)]
pub async fn set_default_plan(
    state: web::Data<AppState>,
    admin: OrgAdmin,
    meta: RequestMeta,
    body: web::Json<SetDefaultPlanRequest>,
) -> AppResult<web::Json<DefaultPlanResponse>> {
    let actor = admin.actor(&meta);
    let default_plan_id = service::set_default_plan(&state, &actor, &admin.org_id, &body.plan_id).await?;
    Ok(web::Json(DefaultPlanResponse { default_plan_id }))
}

#[utoipa::path(
    put, path = "/api/v1/organizations/{org_id}/invite-settings", tag = "provisioning", operation_id = "setInviteSettings",
    summary = "Set invite settings",
    description = "Whether invites set a password (off: invited members sign in through SSO only).",
    params(("org_id" = String, Path, description = "Organization id (`org_…`)")),
    request_body = InviteSettings,
    responses(
        (status = 200, description = "Saved. Applies to invites sent from now on, not to those already sent", body = InviteSettings),
        (status = 404, description = "No such organization, or not its Administrator", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []), ("service_key" = []))
)]
pub async fn set_invite_settings(
    state: web::Data<AppState>,
    admin: OrgAdmin,
    meta: RequestMeta,
    body: web::Json<InviteSettings>,
) -> AppResult<web::Json<InviteSettings>> {
    let actor = admin.actor(&meta);
    Ok(web::Json(service::set_invite_settings(&state, &actor, &admin.org_id, *body).await?))
}
