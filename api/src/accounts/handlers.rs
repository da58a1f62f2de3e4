//! HTTP handlers for accounts: extract, authorize, call the service, answer.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{HttpResponse, web};
use shared::Problem;
use shared::accounts::{
    AcceptInviteRequest, AcceptInviteResponse, ConfirmSignupRequest, CreateInviteRequest, InvitePreview,
    InviteResponse, InvitesResponse, LoginRequest, LoginResponse, MeResponse, Member, MembersResponse, SignupPending,
    SignupRequest, SignupResponse, UpdateMemberRequest,
};
use shared::page::PageQuery;
use shared::{InviteId, UserId};

use super::manage;
use super::service::{self, NewSession};
use crate::audit::RequestMeta;
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

/// The session cookie, removed.
pub(crate) fn expired_session_cookie() -> Cookie<'static> {
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").http_only(true).same_site(SameSite::Strict).finish();
    gone.make_removal();
    gone
}

#[utoipa::path(
    post, path = "/api/v1/auth/signup", tag = "accounts", operation_id = "signUp",
    summary = "Sign up",
    description = "Creates an organization and its first Administrator, or (with mail confirmation on) sends a confirmation link first.",
    request_body = SignupRequest,
    responses(
        (status = 201, description = "Organization and its first Administrator created; signed in (`signup_confirmation` off)", body = SignupResponse),
        (status = 202, description = "A confirmation link was emailed (`signup_confirmation` on); the same answer whether or not the address has an account", body = SignupPending),
        (status = 409, description = "Email already registered (`signup_confirmation` off only)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this client address, or failed attempts for this email; see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many sign-ins being checked at once; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn signup(state: State, meta: RequestMeta, body: web::Json<SignupRequest>) -> AppResult<HttpResponse> {
    state.limit_auth(&meta)?;
    let valid = body.validate().map_err(AppError::Validation)?;
    if state.confirm_by_email {
        // Answered before any of the work (hash, lookup, insert, mail), so
        // nothing about the answer — status, body or time — depends on
        // whether the address has an account.
        let pending = shared::accounts::SignupPending { confirmation_sent_to: valid.email.as_str().to_owned() };
        let state = state.clone();
        actix_web::rt::spawn(async move {
            if let Err(e) = service::request_signup(&state, valid).await {
                tracing::error!(error = %e, "sign-up: the confirmation could not be sent");
            }
        });
        return Ok(HttpResponse::Accepted().json(pending));
    }
    let (response, session) = service::signup(&state, &meta, valid).await?;
    Ok(HttpResponse::Created().cookie(session_cookie(&state, &session)).json(response))
}

#[utoipa::path(
    post, path = "/api/v1/auth/signup/confirm", tag = "accounts", operation_id = "confirmSignUp",
    summary = "Confirm a sign-up",
    description = "Finishes a sign-up from the mailed link's token: the organization, its Administrator and a session.",
    request_body = ConfirmSignupRequest,
    responses(
        (status = 201, description = "The emailed link confirmed: organization and its first Administrator created; signed in", body = SignupResponse),
        (status = 422, description = "Not the password chosen at sign-up (`password`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown or already used link (`signup_link_unknown`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An account with this email was created meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The link expired (`signup_link_expired`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this client address; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn confirm_signup(
    state: State,
    meta: RequestMeta,
    body: web::Json<ConfirmSignupRequest>,
) -> AppResult<HttpResponse> {
    state.limit_auth(&meta)?;
    let ConfirmSignupRequest { token, password } = body.into_inner();
    let (response, session) = service::confirm_signup(&state, &meta, &token, password).await?;
    Ok(HttpResponse::Created().cookie(session_cookie(&state, &session)).json(response))
}

/// The confirmation page the emailed link opens (`GET /signup/confirm/{token}`):
/// what will be created and a button, so that a mail scanner following
/// links creates nothing. A used or expired link says so at once.
pub async fn confirm_page(state: State, token: web::Path<String>) -> HttpResponse {
    match service::pending_signup(&state, &token).await {
        Ok(p) => page(
            "Confirm your email",
            &format!(
                "<h1>Confirm your email</h1><p>Create <strong>{}</strong> on Gatehouse with <strong>{}</strong> as its \
                 first Administrator.</p><form method=\"post\"><label for=\"password\">The password you chose when \
                 signing up</label><input id=\"password\" name=\"password\" type=\"password\" \
                 autocomplete=\"current-password\" required data-testid=\"input-password\"><button type=\"submit\" \
                 data-testid=\"confirm-signup\">Create my organization</button></form>",
                escape(&p.organization_name),
                escape(&p.email)
            ),
        ),
        Err(e) => refusal(&e),
    }
}

/// The confirmation page's form.
#[derive(Debug, serde::Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    password: String,
}

/// `POST /signup/confirm/{token}`: the page's button. Only from our own
/// page: another site's form would sign the browser in to the
/// organization the attacker created (login CSRF).
pub async fn confirm_form(
    state: State,
    meta: RequestMeta,
    req: actix_web::HttpRequest,
    token: web::Path<String>,
    form: web::Form<ConfirmForm>,
) -> HttpResponse {
    if !same_origin(&state, &req) {
        let e = AppError::bad_request(
            "cross_site",
            "This confirmation must be sent from the page the emailed link opens. Open the link again.",
        );
        return refusal(&e);
    }
    let created = match state.limit_auth(&meta) {
        Ok(()) => service::confirm_signup(&state, &meta, &token, form.into_inner().password).await,
        Err(e) => Err(e),
    };
    match created {
        Ok((response, session)) => HttpResponse::SeeOther()
            .insert_header((
                actix_web::http::header::LOCATION,
                format!("{}/organizations/{}/members", state.public_url, response.organization.id),
            ))
            .cookie(session_cookie(&state, &session))
            .finish(),
        Err(e) => refusal(&e),
    }
}

/// Whether a form post came from our own pages: `Sec-Fetch-Site` (sent by
/// every current browser) is `same-origin`, or, without it, `Origin` is ours.
fn same_origin(state: &AppState, req: &actix_web::HttpRequest) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    match (header("sec-fetch-site"), header("origin")) {
        (Some(site), _) => site == "same-origin",
        (None, Some(origin)) => {
            state.public_url.starts_with(origin) && {
                let rest = &state.public_url[origin.len()..];
                rest.is_empty() || rest.starts_with('/')
            }
        }
        (None, None) => true,
    }
}

/// Why the link does not work, and what to do instead.
fn refusal(e: &AppError) -> HttpResponse {
    let problem = e.problem();
    let detail = problem
        .errors
        .first()
        .map(|f| f.message.clone())
        .or(problem.detail)
        .unwrap_or_else(|| "Something went wrong on our side; try again.".into());
    let mut res = page(
        "Could not confirm",
        &format!(
            "<h1>Could not create your organization</h1><p role=\"alert\">{}</p><p><a href=\"/signup\">Sign up \
             again</a> or <a href=\"/login\">sign in</a>.</p>",
            escape(&detail)
        ),
    );
    *res.status_mut() = actix_web::ResponseError::status_code(e);
    res
}

use crate::html::escape;

/// A small page of our own: no script, our stylesheet only, never stored.
fn page(title: &str, body: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .insert_header((
            actix_web::http::header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .body(format!(
            "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><meta name=\"viewport\" \
             content=\"width=device-width, initial-scale=1\"><title>{title} · Gatehouse</title><style>\
             body{{margin:0;background:#f6f8fa;color:#1b1f24;font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif}}\
             main{{max-width:420px;margin:3rem auto;background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:1.5rem}}\
             h1{{font-size:1.5rem;margin:0 0 .5rem}}a{{color:#2f5bd3}}label{{display:block;margin:1rem 0 .25rem;font-weight:600}}\
             input{{font:inherit;width:100%;box-sizing:border-box;padding:.5rem .6rem;border:1px solid #d0d7de;border-radius:6px;margin-bottom:1rem}}\
             button{{font:inherit;cursor:pointer;width:100%;padding:.55rem 1rem;border:0;border-radius:6px;background:#2f5bd3;color:#fff}}\
             [role=alert]{{background:#fef3f2;color:#b42318;border:1px solid #fecdca;border-radius:6px;padding:.6rem .8rem}}\
             @media (max-width:460px){{main{{margin:1rem}}}}</style><main>{body}</main></html>"
        ))
}

#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "accounts", operation_id = "login",
    summary = "Sign in with a password",
    description = "Checks an email and password and opens a session (cookie and access token). Under Require SSO the answer starts the organization's SSO sign-in instead. Failures are rate-limited per address and per account.",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; the token is also set as an HttpOnly cookie", body = LoginResponse),
        (status = 401, description = "Wrong email or password (one answer for both)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`sso_required`: the password is right, but the organization that verified the email's domain requires SSO for it (Require SSO; its break-glass Administrators excepted). `redirect_url` is the sign-in at its identity provider, started on the account's behalf (a cookie binds it to this browser): send the browser there", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this client address, or failed attempts for this email; see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many sign-ins being checked at once; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn login(state: State, meta: RequestMeta, body: web::Json<LoginRequest>) -> AppResult<HttpResponse> {
    state.limit_auth(&meta)?;
    body.validate().map_err(AppError::Validation)?;
    let LoginRequest { email, password, continue_to } = body.into_inner();
    let (user, session) = service::login(&state, &meta, &email, password, continue_to.as_deref()).await?;
    let cookie = session_cookie(&state, &session);
    Ok(HttpResponse::Ok().cookie(cookie).json(LoginResponse {
        access_token: session.access_token,
        token_type: "Bearer".to_owned(),
        expires_in: session.expires_in,
        user,
    }))
}

#[utoipa::path(
    post, path = "/api/v1/auth/logout", tag = "accounts", operation_id = "logout",
    summary = "Sign out",
    description = "Ends the caller's session here and in the applications it signed in to (back-channel logout).",
    responses(
        (status = 204, description = "Session ended and cookie cleared"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn logout(state: State, user: AuthUser) -> AppResult<HttpResponse> {
    service::logout(&state, &user.session_id).await?;
    let gone = expired_session_cookie();
    Ok(HttpResponse::NoContent().cookie(gone).finish())
}

#[utoipa::path(
    get, path = "/api/v1/me", tag = "accounts", operation_id = "getMe",
    summary = "The signed-in user",
    description = "The caller's account, organizations with their roles, and the applications they can open.",
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
    get, path = "/api/v1/organizations/{org_id}/members", tag = "accounts", operation_id = "listMembers",
    summary = "List members",
    description = "The organization's members with their role, plan and status, a page at a time.",
    params(("org_id" = String, Path, description = "Organization id (`org_…`)"), PageQuery),
    responses(
        (status = 200, description = "Members in joining order, oldest first, a page at a time", body = MembersResponse),
        (status = 400, description = "A cursor this API did not return", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organization, or not its Administrator", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []), ("service_key" = []))
)]
pub async fn members(
    state: State,
    admin: OrgAdmin,
    query: web::Query<PageQuery>,
) -> AppResult<web::Json<MembersResponse>> {
    Ok(web::Json(service::members(&state, &admin.org_id, &query).await?))
}

#[utoipa::path(
    post, path = "/api/v1/organizations/{org_id}/invites", tag = "accounts", operation_id = "createInvite",
    summary = "Invite someone",
    description = "Mails an invite to join as Member or Administrator; it works once, for 7 days.",
    params(("org_id" = String, Path, description = "Organization id (`org_…`)")),
    request_body = CreateInviteRequest,
    responses(
        (status = 201, description = "Invite created; valid 7 days. The token is returned only here", body = InviteResponse),
        (status = 404, description = "No such organization, or not its Administrator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already a member", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid email", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []), ("service_key" = []))
)]
pub async fn create_invite(
    state: State,
    admin: OrgAdmin,
    meta: RequestMeta,
    body: web::Json<CreateInviteRequest>,
) -> AppResult<HttpResponse> {
    let email = body.validate().map_err(AppError::Validation)?;
    let actor = admin.actor(&meta);
    let invite = service::create_invite(&state, &actor, &admin.org_id, email, body.role).await?;
    Ok(HttpResponse::Created().json(invite))
}

#[utoipa::path(
    post, path = "/api/v1/invites/accept", tag = "accounts", operation_id = "acceptInvite",
    summary = "Accept an invite",
    description = "Joins the organization with the invite's token: a new account (with a password unless the organization signs in through SSO only) or an existing one with its own password.",
    request_body = AcceptInviteRequest,
    responses(
        (status = 201, description = "Joined the organization; signed in (the session cookie is set), or, when the organization requires SSO for the email (`sso_required`), joined without a session: sign in through its identity provider next", body = AcceptInviteResponse),
        (status = 401, description = "The account exists and the password is wrong", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`sso_required`: the existing account is bound to another organization's required SSO, so its password does not sign in here", body = Problem, content_type = "application/problem+json"),
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
    let mut created = HttpResponse::Created();
    if let Some(session) = &session {
        created.cookie(session_cookie(&state, session));
    }
    Ok(created.json(response))
}

#[utoipa::path(
    get, path = "/api/v1/invites/{token}", tag = "accounts", operation_id = "getInvite",
    summary = "Preview an invite",
    description = "What an invite is for (organization, role, whether an account exists), before accepting it.",
    params(("token" = String, Path, description = "The invite token from the invite link")),
    responses(
        (status = 200, description = "The invite, for the page where it is accepted", body = InvitePreview),
        (status = 404, description = "Unknown invite token", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Invite expired, revoked or already accepted", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this client address; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn preview_invite(
    state: State,
    meta: RequestMeta,
    token: web::Path<String>,
) -> AppResult<web::Json<InvitePreview>> {
    state.limit_auth(&meta)?;
    Ok(web::Json(service::preview_invite(&state, &token).await?))
}

/// The second id of an `…/{org_id}/…/{id}` path; one that is not an ID of
/// its kind names nothing here (404).
fn second_id<T: std::str::FromStr>(path: &(String, String)) -> AppResult<T> {
    path.1.parse().map_err(|_| AppError::NotFound)
}

#[utoipa::path(
    patch, path = "/api/v1/organizations/{org_id}/members/{user_id}", tag = "accounts", operation_id = "updateMember",
    summary = "Update a member",
    description = "Changes a member's role, plan or suspension; the directory's members keep the role and status it sets.",
    params(
        ("org_id" = String, Path, description = "Organization id (`org_…`)"),
        ("user_id" = String, Path, description = "The member's user id (`usr_…`)"),
    ),
    request_body = UpdateMemberRequest,
    responses(
        (status = 200, description = "The member as changed (suspending ends their sessions that reach the organization)", body = Member),
        (status = 404, description = "No such member, or not this organization's Administrator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The last active Administrator (`last_admin`), the last break-glass Administrator while Require SSO is on (`last_break_glass`), a member the directory manages (`directory_managed`: role and suspension change in the identity provider), or yourself (`own_membership`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Nothing to change, or a plan outside the catalog", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []), ("service_key" = []))
)]
pub async fn update_member(
    state: State,
    admin: OrgAdmin,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
    body: web::Json<UpdateMemberRequest>,
) -> AppResult<web::Json<Member>> {
    let user_id: UserId = second_id(&path)?;
    let actor = admin.actor(&meta);
    Ok(web::Json(manage::update_member(&state, &actor, &admin.org_id, &user_id, body.into_inner()).await?))
}

#[utoipa::path(
    delete, path = "/api/v1/organizations/{org_id}/members/{user_id}", tag = "accounts", operation_id = "removeMember",
    summary = "Remove a member",
    description = "The membership ends (never the last active Administrator); their sessions into the organization end.",
    params(
        ("org_id" = String, Path, description = "Organization id (`org_…`)"),
        ("user_id" = String, Path, description = "The member's user id (`usr_…`)"),
    ),
    responses(
        (status = 204, description = "Removed from the organization (the account stays); their sessions that reach it end"),
        (status = 404, description = "No such member, or not this organization's Administrator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The last active Administrator (`last_admin`), the last break-glass Administrator while Require SSO is on (`last_break_glass`), a member the directory manages (`directory_managed`), or yourself (`own_membership`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []), ("service_key" = []))
)]
pub async fn remove_member(
    state: State,
    admin: OrgAdmin,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let user_id: UserId = second_id(&path)?;
    let actor = admin.actor(&meta);
    manage::remove_member(&state, &actor, &admin.org_id, &user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    get, path = "/api/v1/organizations/{org_id}/invites", tag = "accounts", operation_id = "listInvites",
    summary = "List pending invites",
    description = "The organization's invites not yet accepted, revoked or expired.",
    params(("org_id" = String, Path, description = "Organization id (`org_…`)"), PageQuery),
    responses(
        (status = 200, description = "Pending invites (not accepted, revoked or expired), oldest first, a page at a time", body = InvitesResponse),
        (status = 400, description = "A cursor this API did not return", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organization, or not its Administrator", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []), ("service_key" = []))
)]
pub async fn invites(
    state: State,
    admin: OrgAdmin,
    query: web::Query<PageQuery>,
) -> AppResult<web::Json<InvitesResponse>> {
    Ok(web::Json(manage::pending_invites(&state, &admin.org_id, &query).await?))
}

#[utoipa::path(
    delete, path = "/api/v1/organizations/{org_id}/invites/{invite_id}", tag = "accounts", operation_id = "revokeInvite",
    summary = "Revoke an invite",
    description = "The invite stops working at once.",
    params(
        ("org_id" = String, Path, description = "Organization id (`org_…`)"),
        ("invite_id" = String, Path, description = "Invite id (`inv_…`)"),
    ),
    responses(
        (status = 204, description = "Revoked: the invite link answers that it was revoked"),
        (status = 404, description = "No such pending invite in this organization", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []), ("service_key" = []))
)]
pub async fn revoke_invite(
    state: State,
    admin: OrgAdmin,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let invite_id: InviteId = second_id(&path)?;
    let actor = admin.actor(&meta);
    manage::revoke_invite(&state, &actor, &admin.org_id, &invite_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    post, path = "/api/v1/organizations/{org_id}/invites/{invite_id}/resend", tag = "accounts", operation_id = "resendInvite",
    summary = "Resend an invite",
    description = "A new link (the old one stops working), valid 7 days from now.",
    params(
        ("org_id" = String, Path, description = "Organization id (`org_…`)"),
        ("invite_id" = String, Path, description = "Invite id (`inv_…`)"),
    ),
    responses(
        (status = 200, description = "A new link, valid 7 days from now; the previous link stops working. Emailed when the server sends mail, otherwise returned here once", body = InviteResponse),
        (status = 404, description = "No such pending invite in this organization", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "This address was mailed too often in the last hour; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []), ("service_key" = []))
)]
pub async fn resend_invite(
    state: State,
    admin: OrgAdmin,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
) -> AppResult<web::Json<InviteResponse>> {
    let invite_id: InviteId = second_id(&path)?;
    let actor = admin.actor(&meta);
    Ok(web::Json(manage::resend_invite(&state, &actor, &admin.org_id, &invite_id).await?))
}

#[utoipa::path(
    get, path = "/api/v1/organizations", tag = "integrators", operation_id = "listOrganizations",
    summary = "List organizations",
    description = "Every organization, oldest first, a page at a time (service keys only).",
    params(PageQuery),
    responses(
        (status = 200, description = "Every organization, oldest first, a page at a time", body = shared::accounts::OrganizationsResponse),
        (status = 400, description = "A cursor this API did not return", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No service key, or one that is not valid or was revoked (a person's session is not enough)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many invalid keys from this address: retry after `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("service_key" = []))
)]
pub async fn list_organizations(
    state: State,
    _caller: crate::auth::service_keys::ServiceCaller,
    query: web::Query<PageQuery>,
) -> AppResult<web::Json<shared::accounts::OrganizationsResponse>> {
    Ok(web::Json(service::organizations(&state, &query).await?))
}

#[utoipa::path(
    post, path = "/api/v1/organizations", tag = "integrators", operation_id = "createOrganization",
    summary = "Create an organization",
    description = "Creates an organization and invites its first Administrator by mail, in one transaction, audited with the key as actor (service keys only).",
    request_body = shared::accounts::CreateOrganizationRequest,
    responses(
        (status = 201, description = "Created; its first Administrator is invited by mail (the invite works once, for 7 days)", body = shared::accounts::OrganizationSummary),
        (status = 400, description = "Not a JSON body of this shape", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No service key, or one that is not valid or was revoked", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`insufficient_scope`: a `read` key", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is refused (`errors[]`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many invalid keys from this address, or too many invite mails to this address", body = Problem, content_type = "application/problem+json"),
    ),
    security(("service_key" = []))
)]
pub async fn create_organization(
    state: State,
    caller: crate::auth::service_keys::ServiceCaller,
    meta: RequestMeta,
    req: actix_web::HttpRequest,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    // The key is checked before the body is read.
    let request: shared::accounts::CreateOrganizationRequest = crate::error::parse_json(&req, &body)?;
    let (name, admin_email) = request.validate().map_err(AppError::Validation)?;
    let created = service::create_organization_by_key(&state, &caller.key_id, &meta, name, admin_email).await?;
    Ok(HttpResponse::Created().json(created))
}
