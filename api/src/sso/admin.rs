//! The Administrator's side of Single Sign-On on the tab: Require SSO with
//! its break-glass Administrators, and a test sign-in of the organization's
//! identity provider.

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::auth::OrgAdmin;
use shared::enforcement::{SsoEnforcement, SsoEnforcementRequest};

#[utoipa::path(
    get, path = "/api/v1/organizations/{org_id}/sso-enforcement", tag = "sso", operation_id = "getSsoEnforcement",
    summary = "Get Require SSO",
    description = "Whether SSO is required, the break-glass Administrators, and the checklist for turning it on.",
    params(("org_id" = String, Path, description = "Organization id (`org_…`)")),
    responses(
        (status = 200, description = "Whether SSO is required, the break-glass Administrators with their last use, and the checklist for turning it on", body = SsoEnforcement),
        (status = 404, description = "No such organization, or not its Administrator", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []), ("service_key" = []))
)]
pub async fn get_enforcement(state: web::Data<AppState>, admin: OrgAdmin) -> AppResult<web::Json<SsoEnforcement>> {
    Ok(web::Json(enforcement::view(&state, &admin.org_id).await?))
}

#[utoipa::path(
    put, path = "/api/v1/organizations/{org_id}/sso-enforcement", tag = "sso", operation_id = "setSsoEnforcement",
    summary = "Set Require SSO",
    description = "Turns Require SSO on or off and names up to 3 break-glass Administrators.",
    params(("org_id" = String, Path, description = "Organization id (`org_…`)")),
    request_body = SsoEnforcementRequest,
    responses(
        (status = 200, description = "Saved. Turning it on ends the password sessions of the members it binds (members whose email is in a verified domain, but the break-glass Administrators)", body = SsoEnforcement),
        (status = 404, description = "No such organization, or not its Administrator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`enforcement_preconditions`: one `errors[]` entry per unmet condition (`sso_active`, `verified_domain`, `recent_test`, `break_glass_admin`); nothing saved", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "More than 3 break-glass Administrators, one named twice, or someone who is not an active Administrator (`break_glass_user_ids[i]`); nothing saved", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []), ("service_key" = []))
)]
pub async fn put_enforcement(
    state: web::Data<AppState>,
    admin: OrgAdmin,
    meta: RequestMeta,
    body: web::Json<SsoEnforcementRequest>,
) -> AppResult<web::Json<SsoEnforcement>> {
    let actor = admin.actor(&meta);
    Ok(web::Json(enforcement::set(&state, &actor, &admin.org_id, &body).await?))
}

#[utoipa::path(
    post, path = "/api/v1/organizations/{org_id}/sso/test", tag = "sso", operation_id = "startSsoTest",
    summary = "Test the SSO connection",
    description = "Starts a test sign-in at the organization's identity provider in the Administrator's browser.",
    params(("org_id" = String, Path, description = "Organization id (`org_…`)")),
    responses(
        (status = 200, description = "Send the browser here to sign in at the identity provider; a cookie binds the sign-in to this browser. A pass is recorded as the organization's last test sign-in", body = SsoRedirect),
        (status = 404, description = "No such organization, or not its Administrator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Single Sign-On is not purchased, turned off (`sso_inactive`), or its connection is not configured yet (`not_configured`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn admin_test(state: web::Data<AppState>, admin: OrgAdmin) -> AppResult<HttpResponse> {
    // A test sign-in is a browser's: it binds to the Administrator who runs it.
    let user = admin.person()?.user_id.clone();
    match sso_status(&state, admin.org_id.as_str()).await? {
        IntegrationStatus::NotPurchased => {
            return Err(AppError::conflict(
                "not_purchased",
                "Single Sign-On is not purchased; buy it at checkout first.",
            ));
        }
        IntegrationStatus::Inactive => {
            return Err(AppError::conflict("sso_inactive", "Single Sign-On is turned off; turn it on first."));
        }
        _ => {}
    }
    let c = connection_of(&state, &admin.org_id).await?;
    begin_sign_in(&state, &c, PURPOSE_TEST, None, Some(user.as_str())).await
}
