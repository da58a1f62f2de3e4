use actix_web::{HttpResponse, web};
use shared::Problem;
use shared::SetupLinkId;
use shared::setup::{CreateSetupLinkRequest, SetupInfo, SetupLinkResponse, SetupLinksResponse};

use super::service;
use crate::audit::RequestMeta;
use crate::auth::OrgAdmin;
use crate::error::AppResult;
use crate::state::AppState;

#[utoipa::path(
    post, path = "/api/v1/organizations/{org_id}/setup-links", tag = "setup", operation_id = "createSetupLink",
    summary = "Generate a setup link",
    description = "A 24-hour link for the customer's IT admin to connect their identity provider (SSO) or directory (SCIM); it replaces the previous one.",
    params(("org_id" = String, Path, description = "Organization id (`org_…`)")),
    request_body = CreateSetupLinkRequest,
    responses(
        (status = 201, description = "A link valid for 24 hours; the previous link of this kind stops working", body = SetupLinkResponse),
        (status = 404, description = "No such organization, or not its Administrator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The feature is not purchased (`feature_not_purchased`) or turned off (`feature_inactive`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []), ("service_key" = []))
)]
pub async fn create(
    state: web::Data<AppState>,
    admin: OrgAdmin,
    meta: RequestMeta,
    body: web::Json<CreateSetupLinkRequest>,
) -> AppResult<HttpResponse> {
    let actor = admin.actor(&meta);
    Ok(HttpResponse::Created().json(service::create(&state, &actor, &admin.org_id, body.kind).await?))
}

#[utoipa::path(
    get, path = "/api/v1/setup/{token}", tag = "setup", operation_id = "getSetupLink",
    summary = "Open a setup link",
    description = "What the setup link is for, and the organization it sets up.",
    params(("token" = String, Path, description = "The token from the setup link")),
    responses(
        (status = 200, description = "What the link is for (no account needed)", body = SetupInfo),
        (status = 401, description = "Not a setup link we issued (an unknown or malformed token)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Expired (`setup_link_expired`) or replaced/revoked (`setup_link_revoked`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this client address; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn info(
    state: web::Data<AppState>,
    meta: RequestMeta,
    token: web::Path<String>,
) -> AppResult<web::Json<SetupInfo>> {
    // A token check (and a write: when the link was first opened): limited
    // per client address like the sign-in endpoints.
    state.limit_auth(&meta)?;
    Ok(web::Json(service::info(&state, &token).await?))
}

#[utoipa::path(
    get, path = "/api/v1/organizations/{org_id}/setup-links", tag = "setup", operation_id = "listSetupLinks",
    summary = "List setup links",
    description = "The latest setup link of each kind with its status.",
    params(("org_id" = String, Path, description = "Organization id (`org_…`)")),
    responses(
        (status = 200, description = "The latest link of each kind: sent, opened, completed, expired or revoked (the URL itself is only in the answer that generated it)", body = SetupLinksResponse),
        (status = 404, description = "No such organization, or not its Administrator", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []), ("service_key" = []))
)]
pub async fn list(state: web::Data<AppState>, admin: OrgAdmin) -> AppResult<web::Json<SetupLinksResponse>> {
    Ok(web::Json(service::list(&state, &admin.org_id).await?))
}

#[utoipa::path(
    delete, path = "/api/v1/organizations/{org_id}/setup-links/{link_id}", tag = "setup", operation_id = "revokeSetupLink",
    summary = "Revoke a setup link",
    description = "The link stops working at once.",
    params(
        ("org_id" = String, Path, description = "Organization id (`org_…`)"),
        ("link_id" = String, Path, description = "Setup link id (`lnk_…`)"),
    ),
    responses(
        (status = 204, description = "Revoked: the link stops working at once and says so"),
        (status = 404, description = "No such link in this organization, or already revoked", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []), ("service_key" = []))
)]
pub async fn revoke(
    state: web::Data<AppState>,
    admin: OrgAdmin,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let link_id = SetupLinkId::parse(&path.1).map_err(|_| crate::error::AppError::NotFound)?;
    let actor = admin.actor(&meta);
    service::revoke(&state, &actor, &admin.org_id, &link_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
