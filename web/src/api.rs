//! One typed client over the `shared` DTOs. The session lives in an HttpOnly
//! cookie set by the API, so requests only need to be same-origin.

use std::future::Future;
use std::pin::Pin;

use gloo_net::http::{Method, RequestBuilder};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::accounts::{
    AcceptInviteRequest, AcceptInviteResponse, CreateInviteRequest, InvitePreview, InviteResponse, InvitesResponse,
    LoginRequest, LoginResponse, MeResponse, Member, MembersResponse, OrganizationSummary, SignupRequest,
    UpdateMemberRequest,
};
use shared::audit::AuditPage;
use shared::billing::{
    CheckoutRequest, CheckoutResponse, ConfirmRequest, ConfirmResponse, PriceList, PurchasesResponse,
};
use shared::domains::{AddDomainsRequest, AddDomainsResponse};
use shared::enforcement::{SsoEnforcement, SsoEnforcementRequest};
use shared::provisioning::{
    DefaultPlanResponse, InviteSettings, Plan, ProvisioningResponse, SetDefaultPlanRequest, SetEnabledRequest,
};
use shared::setup::{
    CreateSetupLinkRequest, ScimCredentials, SetupInfo, SetupKind, SetupLinkResponse, SetupLinksResponse,
};
use shared::sso::{SsoConnection, SsoConnectionRequest, SsoLoginRequest, SsoRedirect};
use shared::{DomainId, FieldError, InviteId, OrganizationId, Problem, UserId};

/// What a call can fail with: the API's problem, or no answer at all.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    Problem(Problem),
    Network(String),
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Problem(p) => Some(p.status),
            ApiError::Network(_) => None,
        }
    }

    /// `sso_required`: where the sign-in continues, at the identity provider.
    pub fn sso_redirect(&self) -> Option<&str> {
        match self {
            ApiError::Problem(p) if p.code.as_deref() == Some("sso_required") => p.redirect_url.as_deref(),
            _ => None,
        }
    }

    /// Field errors to show next to inputs (empty unless a 422).
    pub fn field_errors(&self) -> Vec<FieldError> {
        match self {
            ApiError::Problem(p) => p.errors.clone(),
            ApiError::Network(_) => vec![],
        }
    }

    /// One sentence for a banner.
    pub fn message(&self) -> String {
        match self {
            ApiError::Problem(p) => p.detail.clone().unwrap_or_else(|| p.title.clone()),
            ApiError::Network(_) => "The server could not be reached. Check your connection and try again.".into(),
        }
    }
}

/// Client-side validation failures look exactly like the API's 422.
pub fn validation_error(errors: Vec<FieldError>) -> ApiError {
    ApiError::Problem(Problem {
        type_: "about:blank".into(),
        title: "Unprocessable Entity".into(),
        status: 422,
        detail: Some("Some fields need attention.".into()),
        code: Some("validation_failed".into()),
        errors,
        redirect_url: None,
    })
}

/// What came back, before it is decoded.
struct Reply {
    status: u16,
    status_text: String,
    body: String,
}

/// The one place a request is sent. It is deliberately not generic and
/// returns a boxed future: every typed call below shares this code instead of
/// inlining its own copy of the fetch state machine (that copy per call site
/// was a large part of the SPA's size).
fn exchange(
    method: &'static str,
    url: String,
    body: Option<String>,
    idempotency_key: Option<String>,
) -> Pin<Box<dyn Future<Output = Result<Reply, ApiError>>>> {
    Box::pin(async move {
        let network = |e: gloo_net::Error| ApiError::Network(e.to_string());
        let mut req = RequestBuilder::new(&url).method(match method {
            "POST" => Method::POST,
            "PUT" => Method::PUT,
            "DELETE" => Method::DELETE,
            "PATCH" => Method::PATCH,
            _ => Method::GET,
        });
        if let Some(key) = idempotency_key {
            req = req.header("Idempotency-Key", &key);
        }
        let res = match body {
            Some(json) => req.header("Content-Type", "application/json").body(json).map_err(network)?.send().await,
            None => req.send().await,
        }
        .map_err(network)?;
        let body = res.text().await.map_err(network)?;
        Ok(Reply { status: res.status(), status_text: res.status_text(), body })
    })
}

/// A 2xx body as `R`; anything else as the API's problem.
fn decode<R: DeserializeOwned>(reply: Reply) -> Result<R, ApiError> {
    let body = success_body(reply)?;
    serde_json::from_str(&body).map_err(unreadable)
}

/// The non-generic part of `decode`, kept out of its copies.
#[inline(never)]
fn success_body(reply: Reply) -> Result<String, ApiError> {
    if (200..300).contains(&reply.status) { Ok(reply.body) } else { Err(problem(reply)) }
}

#[inline(never)]
fn unreadable(e: serde_json::Error) -> ApiError {
    ApiError::Network(e.to_string())
}

fn problem(reply: Reply) -> ApiError {
    ApiError::Problem(serde_json::from_str::<Problem>(&reply.body).unwrap_or(Problem {
        type_: "about:blank".into(),
        title: reply.status_text,
        status: reply.status,
        detail: None,
        code: None,
        errors: vec![],
        redirect_url: None,
    }))
}

/// For calls whose success has no body worth reading; `also_fine` is a
/// status that means the same as success.
fn outcome(reply: Reply, also_fine: Option<u16>) -> Result<(), ApiError> {
    if (200..300).contains(&reply.status) || Some(reply.status) == also_fine { Ok(()) } else { Err(problem(reply)) }
}

fn json<B: Serialize>(body: &B) -> Result<Option<String>, ApiError> {
    serde_json::to_string(body).map(Some).map_err(|e| ApiError::Network(e.to_string()))
}

async fn get<R: DeserializeOwned>(url: String) -> Result<R, ApiError> {
    decode(exchange("GET", url, None, None).await?)
}

async fn post<R: DeserializeOwned>(url: String) -> Result<R, ApiError> {
    decode(exchange("POST", url, None, None).await?)
}

async fn send<B: Serialize, R: DeserializeOwned>(method: &'static str, url: String, body: &B) -> Result<R, ApiError> {
    let body = json(body)?;
    decode(exchange(method, url, body, None).await?)
}

/// What a sign-up answers: the new organization (201), or, when the server
/// confirms sign-ups by mail (202), where the link went.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct SignupOutcome {
    #[serde(default)]
    pub organization: Option<OrganizationSummary>,
    #[serde(default)]
    pub confirmation_sent_to: Option<String>,
}

pub async fn signup(body: &SignupRequest) -> Result<SignupOutcome, ApiError> {
    send("POST", "/api/v1/auth/signup".into(), body).await
}

pub async fn login(body: &LoginRequest) -> Result<LoginResponse, ApiError> {
    send("POST", "/api/v1/auth/login".into(), body).await
}

pub async fn logout() -> Result<(), ApiError> {
    // 401 means the session had already ended: the outcome is the same.
    outcome(exchange("POST", "/api/v1/auth/logout".into(), None, None).await?, Some(401))
}

pub async fn me() -> Result<MeResponse, ApiError> {
    get("/api/v1/me".into()).await
}

pub async fn members(org: &OrganizationId, cursor: Option<&str>) -> Result<MembersResponse, ApiError> {
    get(format!("/api/v1/organizations/{org}/members{}", after(cursor))).await
}

pub async fn update_member(
    org: &OrganizationId,
    user: &UserId,
    body: &UpdateMemberRequest,
) -> Result<Member, ApiError> {
    send("PATCH", format!("/api/v1/organizations/{org}/members/{user}"), body).await
}

pub async fn remove_member(org: &OrganizationId, user: &UserId) -> Result<(), ApiError> {
    outcome(exchange("DELETE", format!("/api/v1/organizations/{org}/members/{user}"), None, None).await?, None)
}

/// The pending invites (up to 200: the page says when there are more).
pub async fn invites(org: &OrganizationId) -> Result<InvitesResponse, ApiError> {
    get(format!("/api/v1/organizations/{org}/invites?limit=200")).await
}

pub async fn revoke_invite(org: &OrganizationId, id: &InviteId) -> Result<(), ApiError> {
    outcome(exchange("DELETE", format!("/api/v1/organizations/{org}/invites/{id}"), None, None).await?, None)
}

pub async fn resend_invite(org: &OrganizationId, id: &InviteId) -> Result<InviteResponse, ApiError> {
    post(format!("/api/v1/organizations/{org}/invites/{id}/resend")).await
}

/// The query string that asks a list endpoint for the page after `cursor`.
fn after(cursor: Option<&str>) -> String {
    cursor.map(|c| format!("?cursor={c}")).unwrap_or_default()
}

pub async fn create_invite(org: &OrganizationId, body: &CreateInviteRequest) -> Result<InviteResponse, ApiError> {
    send("POST", format!("/api/v1/organizations/{org}/invites"), body).await
}

pub async fn preview_invite(token: &str) -> Result<InvitePreview, ApiError> {
    get(format!("/api/v1/invites/{token}")).await
}

pub async fn accept_invite(body: &AcceptInviteRequest) -> Result<AcceptInviteResponse, ApiError> {
    send("POST", "/api/v1/invites/accept".into(), body).await
}

pub async fn plans() -> Result<Vec<Plan>, ApiError> {
    get("/api/v1/plans".into()).await
}

pub async fn provisioning(org: &OrganizationId) -> Result<ProvisioningResponse, ApiError> {
    get(format!("/api/v1/organizations/{org}/provisioning")).await
}

pub async fn add_domains(org: &OrganizationId, body: &AddDomainsRequest) -> Result<AddDomainsResponse, ApiError> {
    send("POST", format!("/api/v1/organizations/{org}/domains"), body).await
}

pub async fn verify_domain(org: &OrganizationId, id: &DomainId) -> Result<shared::domains::Domain, ApiError> {
    post(format!("/api/v1/organizations/{org}/domains/{id}/verify")).await
}

pub async fn remove_domain(org: &OrganizationId, id: &DomainId) -> Result<(), ApiError> {
    outcome(exchange("DELETE", format!("/api/v1/organizations/{org}/domains/{id}"), None, None).await?, None)
}

pub async fn set_default_plan(
    org: &OrganizationId,
    body: &SetDefaultPlanRequest,
) -> Result<DefaultPlanResponse, ApiError> {
    send("PUT", format!("/api/v1/organizations/{org}/default-plan"), body).await
}

pub async fn prices() -> Result<PriceList, ApiError> {
    get("/api/v1/prices".into()).await
}

pub async fn purchases(org: &OrganizationId, cursor: Option<&str>) -> Result<PurchasesResponse, ApiError> {
    get(format!("/api/v1/organizations/{org}/purchases{}", after(cursor))).await
}

pub async fn create_checkout(org: &OrganizationId, body: &CheckoutRequest) -> Result<CheckoutResponse, ApiError> {
    send("POST", format!("/api/v1/organizations/{org}/checkout"), body).await
}

/// `key` is the Idempotency-Key: one per purchase attempt.
pub async fn confirm_checkout(
    org: &OrganizationId,
    checkout: &str,
    key: &str,
    body: &ConfirmRequest,
) -> Result<ConfirmResponse, ApiError> {
    let url = format!("/api/v1/organizations/{org}/checkout/{checkout}/confirm");
    let body = json(body)?;
    decode(exchange("POST", url, body, Some(key.to_owned())).await?)
}

pub async fn set_invite_settings(org: &OrganizationId, body: &InviteSettings) -> Result<InviteSettings, ApiError> {
    send("PUT", format!("/api/v1/organizations/{org}/invite-settings"), body).await
}

/// `filters`: the query string of the page's filters (may be empty).
pub async fn audit_events(org: &OrganizationId, filters: &str, cursor: Option<&str>) -> Result<AuditPage, ApiError> {
    let mut query: Vec<String> = Vec::new();
    if !filters.is_empty() {
        query.push(filters.to_owned());
    }
    if let Some(c) = cursor {
        query.push(format!("cursor={c}"));
    }
    let q = if query.is_empty() { String::new() } else { format!("?{}", query.join("&")) };
    get(format!("/api/v1/organizations/{org}/audit-events{q}")).await
}

/// `which`: `sso` or `directory-sync`.
pub async fn set_integration(
    org: &OrganizationId,
    which: &str,
    enabled: bool,
) -> Result<ProvisioningResponse, ApiError> {
    send("PUT", format!("/api/v1/organizations/{org}/integrations/{which}"), &SetEnabledRequest { enabled }).await
}

pub async fn create_setup_link(org: &OrganizationId, kind: SetupKind) -> Result<SetupLinkResponse, ApiError> {
    send("POST", format!("/api/v1/organizations/{org}/setup-links"), &CreateSetupLinkRequest { kind }).await
}

pub async fn setup_links(org: &OrganizationId) -> Result<SetupLinksResponse, ApiError> {
    get(format!("/api/v1/organizations/{org}/setup-links")).await
}

pub async fn revoke_setup_link(org: &OrganizationId, id: &str) -> Result<(), ApiError> {
    outcome(exchange("DELETE", format!("/api/v1/organizations/{org}/setup-links/{id}"), None, None).await?, None)
}

pub async fn setup_info(token: &str) -> Result<SetupInfo, ApiError> {
    get(format!("/api/v1/setup/{token}")).await
}

pub async fn scim_credentials(token: &str) -> Result<ScimCredentials, ApiError> {
    post(format!("/api/v1/setup/{token}/scim-credentials")).await
}

pub async fn sso_connection(token: &str) -> Result<SsoConnection, ApiError> {
    get(format!("/api/v1/setup/{token}/sso-connection")).await
}

pub async fn save_sso_connection(token: &str, body: &SsoConnectionRequest) -> Result<SsoConnection, ApiError> {
    send("PUT", format!("/api/v1/setup/{token}/sso-connection"), body).await
}

pub async fn start_sso_test(token: &str) -> Result<SsoRedirect, ApiError> {
    post(format!("/api/v1/setup/{token}/sso-test")).await
}

/// `continue_to`: an application's request the sign-in continues with.
pub async fn start_sso_login(email: &str, continue_to: Option<String>) -> Result<SsoRedirect, ApiError> {
    send("POST", "/api/v1/auth/sso".into(), &SsoLoginRequest { email: email.to_owned(), continue_to }).await
}

pub async fn sso_enforcement(org: &OrganizationId) -> Result<SsoEnforcement, ApiError> {
    get(format!("/api/v1/organizations/{org}/sso-enforcement")).await
}

pub async fn set_sso_enforcement(
    org: &OrganizationId,
    body: &SsoEnforcementRequest,
) -> Result<SsoEnforcement, ApiError> {
    send("PUT", format!("/api/v1/organizations/{org}/sso-enforcement"), body).await
}

/// An Administrator's test sign-in of the organization's identity provider.
pub async fn start_admin_sso_test(org: &OrganizationId) -> Result<SsoRedirect, ApiError> {
    post(format!("/api/v1/organizations/{org}/sso/test")).await
}

/// Sends the whole tab to `url` (an identity provider).
pub fn go_to(url: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign(url);
    }
}
