//! HTTP handlers for accounts: extract, authorize, call the service, answer.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{HttpResponse, web};
use shared::Problem;
use shared::accounts::{
    AcceptInviteRequest, AcceptInviteResponse, CreateInviteRequest, InvitePreview, InviteResponse, LoginRequest,
    LoginResponse, MeResponse, MembersResponse, SignupRequest, SignupResponse,
};
use shared::page::PageQuery;

use super::service::{self, NewSession};
use crate::audit::{Actor, RequestMeta};
use crate::auth::extract::SESSION_COOKIE;
use crate::auth::{AuthUser, OrgAdmin};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

type State = web::Data<AppState>;

/// The session cookie for the SPA: the same token as the bearer one.
pub(crate) fn session_cookie(state: &AppState, session: &NewSession) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, session.access_token.clone())
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.public_url.starts_with("https://"))
        .path("/")
        .max_age(CookieDuration::seconds(session.expires_in))
        .finish()
}

#[utoipa::path(
    post, path = "/api/v1/auth/signup", tag = "accounts",
    request_body = SignupRequest,
    responses(
        (status = 201, description = "Organization and its first Administrator created; signed in", body = SignupResponse),
        (status = 409, description = "Email already registered", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this client address, or failed attempts for this email; see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many sign-ins being checked at once; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn signup(state: State, meta: RequestMeta, body: web::Json<SignupRequest>) -> AppResult<HttpResponse> {
    state.limit_auth(&meta)?;
    let valid = body.validate().map_err(AppError::Validation)?;
    let (response, session) = service::signup(&state, valid).await?;
    Ok(HttpResponse::Created().cookie(session_cookie(&state, &session)).json(response))
}

#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "accounts",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; the token is also set as an HttpOnly cookie", body = LoginResponse),
        (status = 401, description = "Wrong email or password (one answer for both)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this client address, or failed attempts for this email; see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many sign-ins being checked at once; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn login(state: State, meta: RequestMeta, body: web::Json<LoginRequest>) -> AppResult<HttpResponse> {
    state.limit_auth(&meta)?;
    body.validate().map_err(AppError::Validation)?;
    let LoginRequest { email, password } = body.into_inner();
    let (user, session) = service::login(&state, &meta, &email, password).await?;
    let cookie = session_cookie(&state, &session);
    Ok(HttpResponse::Ok().cookie(cookie).json(LoginResponse {
        access_token: session.access_token,
        token_type: "Bearer".to_owned(),
        expires_in: session.expires_in,
        user,
    }))
}

#[utoipa::path(
    post, path = "/api/v1/auth/logout", tag = "accounts",
    responses(
        (status = 204, description = "Session ended and cookie cleared"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn logout(state: State, user: AuthUser) -> AppResult<HttpResponse> {
    service::logout(&state, &user.session_id).await?;
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").http_only(true).same_site(SameSite::Strict).finish();
    gone.make_removal();
    Ok(HttpResponse::NoContent().cookie(gone).finish())
}

#[utoipa::path(
    get, path = "/api/v1/me", tag = "accounts",
    responses(
        (status = 200, description = "The signed-in user and their organizations (a session opened by an organization's Single Sign-On: that organization only)", body = MeResponse),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn me(state: State, user: AuthUser) -> AppResult<web::Json<MeResponse>> {
    Ok(web::Json(service::me(&state, &user.user_id, user.scope.as_deref()).await?))
}

#[utoipa::path(
    get, path = "/api/v1/organizations/{org_id}/members", tag = "accounts",
    params(("org_id" = String, Path, description = "Organization id (`org_…`)"), PageQuery),
    responses(
        (status = 200, description = "Members in joining order, oldest first, a page at a time", body = MembersResponse),
        (status = 400, description = "A cursor this API did not return", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organization, or not its Administrator", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn members(
    state: State,
    admin: OrgAdmin,
    query: web::Query<PageQuery>,
) -> AppResult<web::Json<MembersResponse>> {
    Ok(web::Json(service::members(&state, &admin.org_id, &query).await?))
}

#[utoipa::path(
    post, path = "/api/v1/organizations/{org_id}/invites", tag = "accounts",
    params(("org_id" = String, Path, description = "Organization id (`org_…`)")),
    request_body = CreateInviteRequest,
    responses(
        (status = 201, description = "Invite created; valid 7 days. The token is returned only here", body = InviteResponse),
        (status = 404, description = "No such organization, or not its Administrator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already a member", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid email", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn create_invite(
    state: State,
    admin: OrgAdmin,
    meta: RequestMeta,
    body: web::Json<CreateInviteRequest>,
) -> AppResult<HttpResponse> {
    let email = body.validate().map_err(AppError::Validation)?;
    let actor = Actor { user: &admin.user.user_id, meta: &meta };
    let invite = service::create_invite(&state, &actor, &admin.org_id, email, body.role).await?;
    Ok(HttpResponse::Created().json(invite))
}

#[utoipa::path(
    post, path = "/api/v1/invites/accept", tag = "accounts",
    request_body = AcceptInviteRequest,
    responses(
        (status = 201, description = "Joined the organization; signed in", body = AcceptInviteResponse),
        (status = 401, description = "The account exists and the password is wrong", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown invite token", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Invite expired or already accepted", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (e.g. a password is required)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this client address, or failed attempts for this email; see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many sign-ins being checked at once; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn accept_invite(
    state: State,
    meta: RequestMeta,
    body: web::Json<AcceptInviteRequest>,
) -> AppResult<HttpResponse> {
    state.limit_auth(&meta)?;
    let valid = body.validate().map_err(AppError::Validation)?;
    let (response, session) = service::accept_invite(&state, &meta, &body.token, valid).await?;
    Ok(HttpResponse::Created().cookie(session_cookie(&state, &session)).json(response))
}

#[utoipa::path(
    get, path = "/api/v1/invites/{token}", tag = "accounts",
    params(("token" = String, Path, description = "The invite token from the invite link")),
    responses(
        (status = 200, description = "The invite, for the page where it is accepted", body = InvitePreview),
        (status = 404, description = "Unknown invite token", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Invite expired or already accepted", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn preview_invite(state: State, token: web::Path<String>) -> AppResult<web::Json<InvitePreview>> {
    Ok(web::Json(service::preview_invite(&state, &token).await?))
}
