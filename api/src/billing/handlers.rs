use actix_web::{HttpRequest, HttpResponse, web};
use shared::Problem;
use shared::billing::{
    CheckoutRequest, CheckoutResponse, ConfirmRequest, ConfirmResponse, PriceList, PurchasesResponse,
};
use shared::page::PageQuery;

use super::service::{self, ConfirmInput};
use crate::audit::RequestMeta;
use crate::auth::{AuthUser, OrgAdmin};
use crate::error::AppResult;
use crate::state::AppState;

#[utoipa::path(
    post, path = "/api/v1/organizations/{org_id}/checkout", tag = "checkout", operation_id = "createCheckout",
    summary = "Start a checkout",
    description = "A price quote for Single Sign-On, Directory Sync or both; confirm it with the card to buy.",
    params(("org_id" = String, Path, description = "Organization id (`org_…`)")),
    request_body = CheckoutRequest,
    responses(
        (status = 201, description = "A quote, valid for one hour", body = CheckoutResponse),
        (status = 404, description = "No such organization, or not its Administrator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A chosen feature is already purchased", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No domain (`domains`) or no default plan (`default_plan_id`) yet", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []), ("service_key" = []))
)]
pub async fn create(
    state: web::Data<AppState>,
    admin: OrgAdmin,
    body: web::Json<CheckoutRequest>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Created().json(service::create(&state, &admin.org_id, body.features).await?))
}

#[utoipa::path(
    post, path = "/api/v1/organizations/{org_id}/checkout/{checkout_id}/confirm", tag = "checkout", operation_id = "confirmCheckout",
    summary = "Confirm a checkout",
    description = "Pays the quote with the card and turns the features on (awaiting their setup). Send an `Idempotency-Key` to retry safely.",
    params(
        ("org_id" = String, Path, description = "Organization id (`org_…`)"),
        ("checkout_id" = String, Path, description = "Checkout id (`chk_…`)"),
        ("Idempotency-Key" = String, Header, description = "A random value per purchase attempt; a retry with the same key and body returns the first answer and never charges twice"),
    ),
    request_body = ConfirmRequest,
    responses(
        (status = 201, description = "Paid; the features are on with status `awaiting` (Directory Sync bought while Single Sign-On is off: `inactive`)", body = ConfirmResponse),
        (status = 400, description = "No Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 402, description = "Declined; `code` says why (`card_declined`, `insufficient_funds`); nothing bought, retry with another card and a new key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such checkout in this organization", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already paid (`checkout_already_confirmed`), a feature already owned (`already_purchased`), the same key still in progress (`request_in_progress`), or another purchase of the organization being charged (`checkout_in_progress`)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The quote expired (after one hour)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid card details, or the key reused with a different body", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []), ("service_key" = []))
)]
pub async fn confirm(
    state: web::Data<AppState>,
    admin: OrgAdmin,
    req: HttpRequest,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
    body: web::Json<ConfirmRequest>,
) -> AppResult<HttpResponse> {
    let key = service::check_idempotency_key(req.headers().get("idempotency-key").and_then(|v| v.to_str().ok()))?;
    let actor = admin.actor(&meta);
    let input = ConfirmInput { org_id: &admin.org_id, actor: &actor, checkout_id: &path.1, key: &key, body: &body };
    let stored = service::confirm(&state, input).await?;
    let status = actix_web::http::StatusCode::from_u16(stored.status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    Ok(HttpResponse::build(status).content_type(stored.content_type()).body(stored.body))
}

#[utoipa::path(
    get, path = "/api/v1/prices", tag = "checkout", operation_id = "listPrices",
    summary = "List prices",
    description = "The yearly prices of Single Sign-On, Directory Sync and both.",
    responses(
        (status = 200, description = "What each choice costs per year, and whether the gateway is in test mode", body = PriceList),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn prices(state: web::Data<AppState>, _user: AuthUser) -> web::Json<PriceList> {
    web::Json(service::prices(&state))
}

#[utoipa::path(
    get, path = "/api/v1/organizations/{org_id}/purchases", tag = "checkout", operation_id = "listPurchases",
    summary = "List purchases",
    description = "The organization's paid checkouts, newest first.",
    params(("org_id" = String, Path, description = "Organization id (`org_…`)"), PageQuery),
    responses(
        (status = 200, description = "The organization's purchases, newest first, a page at a time; each is its receipt", body = PurchasesResponse),
        (status = 400, description = "A cursor this API did not return", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organization, or not its Administrator", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []), ("service_key" = []))
)]
pub async fn purchases(
    state: web::Data<AppState>,
    admin: OrgAdmin,
    query: web::Query<PageQuery>,
) -> AppResult<web::Json<PurchasesResponse>> {
    Ok(web::Json(service::purchases(&state, &admin.org_id, &query).await?))
}
