use actix_web::{HttpResponse, web};
use shared::Problem;
use shared::domains::{AddDomainsRequest, AddDomainsResponse, Domain};

use super::service;
use crate::audit::RequestMeta;
use crate::auth::OrgAdmin;
use crate::error::AppResult;
use crate::state::AppState;

#[utoipa::path(
    post, path = "/api/v1/organizations/{org_id}/domains", tag = "provisioning", operation_id = "addDomains",
    summary = "Add email domains",
    description = "Adds the company's email domains; each must then be verified with a DNS TXT record.",
    params(("org_id" = String, Path, description = "Organization id (`org_…`)")),
    request_body = AddDomainsRequest,
    responses(
        (status = 201, description = "Added (domains already in this organization are kept once); shows what each input became", body = AddDomainsResponse),
        (status = 404, description = "No such organization, or not its Administrator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A domain is claimed by another organization (named in `detail`); nothing saved", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "One `errors[]` entry per refused domain (`domains[i]`), or `too_many_domains`; nothing saved", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []), ("service_key" = []))
)]
pub async fn add(
    state: web::Data<AppState>,
    admin: OrgAdmin,
    meta: RequestMeta,
    body: web::Json<AddDomainsRequest>,
) -> AppResult<HttpResponse> {
    let actor = admin.actor(&meta);
    let response = service::add(&state, &actor, &admin.org_id, &body.domains.entries()).await?;
    Ok(HttpResponse::Created().json(response))
}

#[utoipa::path(
    delete, path = "/api/v1/organizations/{org_id}/domains/{domain_id}", tag = "provisioning", operation_id = "removeDomain",
    summary = "Remove a domain",
    description = "Removes an email domain: its members no longer sign in through the organization's identity provider.",
    params(
        ("org_id" = String, Path, description = "Organization id (`org_…`)"),
        ("domain_id" = String, Path, description = "Domain id (`dom_…`)"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such domain in this organization", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []), ("service_key" = []))
)]
pub async fn remove(
    state: web::Data<AppState>,
    admin: OrgAdmin,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let actor = admin.actor(&meta);
    service::remove(&state, &actor, &admin.org_id, &path.1).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    post, path = "/api/v1/organizations/{org_id}/domains/{domain_id}/verify", tag = "provisioning", operation_id = "verifyDomain",
    summary = "Verify a domain",
    description = "Looks for the domain's DNS TXT record now and answers its verification state.",
    params(
        ("org_id" = String, Path, description = "Organization id (`org_…`)"),
        ("domain_id" = String, Path, description = "Domain id (`dom_…`)"),
    ),
    responses(
        (status = 200, description = "Checked now: the domain with its verification state and, when the record was not found, what the lookup found instead", body = Domain),
        (status = 404, description = "No such domain in this organization", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []), ("service_key" = []))
)]
pub async fn verify(
    state: web::Data<AppState>,
    admin: OrgAdmin,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
) -> AppResult<web::Json<Domain>> {
    let domain = service::verify(&state, admin.actor_id(), &meta, admin.org_id.as_str(), &path.1).await?;
    Ok(web::Json(domain))
}
