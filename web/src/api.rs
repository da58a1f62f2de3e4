//! One typed client over the `shared` DTOs. The session lives in an HttpOnly
//! cookie set by the API, so requests only need to be same-origin.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::accounts::{
    AcceptInviteRequest, AcceptInviteResponse, CreateInviteRequest, InvitePreview, InviteResponse, LoginRequest,
    LoginResponse, MeResponse, MembersResponse, SignupRequest, SignupResponse,
};
use shared::audit::AuditPage;
use shared::billing::{CheckoutRequest, CheckoutResponse, ConfirmRequest, ConfirmResponse};
use shared::domains::{AddDomainsRequest, AddDomainsResponse};
use shared::provisioning::{
    DefaultPlanResponse, InviteSettings, Plan, ProvisioningResponse, SetDefaultPlanRequest, SetEnabledRequest,
};
use shared::setup::{CreateSetupLinkRequest, ScimCredentials, SetupInfo, SetupKind, SetupLinkResponse};
use shared::sso::{SsoConnection, SsoConnectionRequest, SsoLoginRequest, SsoRedirect};
use shared::{DomainId, FieldError, OrganizationId, Problem};

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
    })
}

async fn read<R: DeserializeOwned>(res: Response) -> Result<R, ApiError> {
    if res.ok() {
        return res.json::<R>().await.map_err(|e| ApiError::Network(e.to_string()));
    }
    let status = res.status();
    match res.json::<Problem>().await {
        Ok(p) => Err(ApiError::Problem(p)),
        Err(_) => Err(ApiError::Problem(Problem {
            type_: "about:blank".into(),
            title: res.status_text(),
            status,
            detail: None,
            code: None,
            errors: vec![],
        })),
    }
}

async fn send(req: RequestBuilder) -> Result<Response, ApiError> {
    req.send().await.map_err(|e| ApiError::Network(e.to_string()))
}

async fn send_json<B: Serialize>(req: RequestBuilder, body: &B) -> Result<Response, ApiError> {
    let req = req.json(body).map_err(|e| ApiError::Network(e.to_string()))?;
    req.send().await.map_err(|e| ApiError::Network(e.to_string()))
}

pub async fn signup(body: &SignupRequest) -> Result<SignupResponse, ApiError> {
    read(send_json(Request::post("/api/v1/auth/signup"), body).await?).await
}

pub async fn login(body: &LoginRequest) -> Result<LoginResponse, ApiError> {
    read(send_json(Request::post("/api/v1/auth/login"), body).await?).await
}

pub async fn logout() -> Result<(), ApiError> {
    let res = send(Request::post("/api/v1/auth/logout")).await?;
    // 401 means the session had already ended: the outcome is the same.
    if res.ok() || res.status() == 401 { Ok(()) } else { read::<serde_json::Value>(res).await.map(|_| ()) }
}

pub async fn me() -> Result<MeResponse, ApiError> {
    read(send(Request::get("/api/v1/me")).await?).await
}

pub async fn members(org: &OrganizationId) -> Result<MembersResponse, ApiError> {
    read(send(Request::get(&format!("/api/v1/organizations/{org}/members"))).await?).await
}

pub async fn create_invite(org: &OrganizationId, body: &CreateInviteRequest) -> Result<InviteResponse, ApiError> {
    read(send_json(Request::post(&format!("/api/v1/organizations/{org}/invites")), body).await?).await
}

pub async fn preview_invite(token: &str) -> Result<InvitePreview, ApiError> {
    read(send(Request::get(&format!("/api/v1/invites/{token}"))).await?).await
}

pub async fn accept_invite(body: &AcceptInviteRequest) -> Result<AcceptInviteResponse, ApiError> {
    read(send_json(Request::post("/api/v1/invites/accept"), body).await?).await
}

pub async fn plans() -> Result<Vec<Plan>, ApiError> {
    read(send(Request::get("/api/v1/plans")).await?).await
}

pub async fn provisioning(org: &OrganizationId) -> Result<ProvisioningResponse, ApiError> {
    read(send(Request::get(&format!("/api/v1/organizations/{org}/provisioning"))).await?).await
}

pub async fn add_domains(org: &OrganizationId, body: &AddDomainsRequest) -> Result<AddDomainsResponse, ApiError> {
    read(send_json(Request::post(&format!("/api/v1/organizations/{org}/domains")), body).await?).await
}

pub async fn remove_domain(org: &OrganizationId, id: &DomainId) -> Result<(), ApiError> {
    let res = send(Request::delete(&format!("/api/v1/organizations/{org}/domains/{id}"))).await?;
    if res.ok() { Ok(()) } else { read::<serde_json::Value>(res).await.map(|_| ()) }
}

pub async fn set_default_plan(
    org: &OrganizationId,
    body: &SetDefaultPlanRequest,
) -> Result<DefaultPlanResponse, ApiError> {
    read(send_json(Request::put(&format!("/api/v1/organizations/{org}/default-plan")), body).await?).await
}

pub async fn create_checkout(org: &OrganizationId, body: &CheckoutRequest) -> Result<CheckoutResponse, ApiError> {
    read(send_json(Request::post(&format!("/api/v1/organizations/{org}/checkout")), body).await?).await
}

/// `key` is the Idempotency-Key: one per purchase attempt.
pub async fn confirm_checkout(
    org: &OrganizationId,
    checkout: &str,
    key: &str,
    body: &ConfirmRequest,
) -> Result<ConfirmResponse, ApiError> {
    let req = Request::post(&format!("/api/v1/organizations/{org}/checkout/{checkout}/confirm"))
        .header("Idempotency-Key", key);
    read(send_json(req, body).await?).await
}

pub async fn set_invite_settings(org: &OrganizationId, body: &InviteSettings) -> Result<InviteSettings, ApiError> {
    read(send_json(Request::put(&format!("/api/v1/organizations/{org}/invite-settings")), body).await?).await
}

pub async fn audit_events(org: &OrganizationId, cursor: Option<&str>) -> Result<AuditPage, ApiError> {
    let query = cursor.map(|c| format!("?cursor={c}")).unwrap_or_default();
    read(send(Request::get(&format!("/api/v1/organizations/{org}/audit-events{query}"))).await?).await
}

/// `which`: `sso` or `directory-sync`.
pub async fn set_integration(
    org: &OrganizationId,
    which: &str,
    enabled: bool,
) -> Result<ProvisioningResponse, ApiError> {
    let req = Request::put(&format!("/api/v1/organizations/{org}/integrations/{which}"));
    read(send_json(req, &SetEnabledRequest { enabled }).await?).await
}

pub async fn create_setup_link(org: &OrganizationId, kind: SetupKind) -> Result<SetupLinkResponse, ApiError> {
    let req = Request::post(&format!("/api/v1/organizations/{org}/setup-links"));
    read(send_json(req, &CreateSetupLinkRequest { kind }).await?).await
}

pub async fn setup_info(token: &str) -> Result<SetupInfo, ApiError> {
    read(send(Request::get(&format!("/api/v1/setup/{token}"))).await?).await
}

pub async fn scim_credentials(token: &str) -> Result<ScimCredentials, ApiError> {
    read(send(Request::post(&format!("/api/v1/setup/{token}/scim-credentials"))).await?).await
}

pub async fn sso_connection(token: &str) -> Result<SsoConnection, ApiError> {
    read(send(Request::get(&format!("/api/v1/setup/{token}/sso-connection"))).await?).await
}

pub async fn save_sso_connection(token: &str, body: &SsoConnectionRequest) -> Result<SsoConnection, ApiError> {
    read(send_json(Request::put(&format!("/api/v1/setup/{token}/sso-connection")), body).await?).await
}

pub async fn start_sso_test(token: &str) -> Result<SsoRedirect, ApiError> {
    read(send(Request::post(&format!("/api/v1/setup/{token}/sso-test"))).await?).await
}

pub async fn start_sso_login(email: &str) -> Result<SsoRedirect, ApiError> {
    read(send_json(Request::post("/api/v1/auth/sso"), &SsoLoginRequest { email: email.to_owned() }).await?).await
}

/// Sends the whole tab to `url` (an identity provider).
pub fn go_to(url: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign(url);
    }
}
