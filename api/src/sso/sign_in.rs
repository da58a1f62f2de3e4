//! Sign-ins through the organization's identity provider: the start (a
//! member's or the wizard's test), the OIDC callback and the SAML ACS, and
//! what a verified identity becomes (the test turns SSO active; a member is
//! found, created just in time or linked, and gets a session).

#[allow(clippy::wildcard_imports)]
use super::*;

/// Records a pending sign-in and answers the identity provider's URL, with
/// the cookie that binds the sign-in to this browser.
pub(super) async fn begin_sign_in(
    state: &AppState,
    c: &connection::Model,
    purpose: &str,
    login_hint: Option<&str>,
    owner: Option<&str>,
) -> AppResult<HttpResponse> {
    let (url, cookie) = prepare_sign_in(state, c, purpose, login_hint, owner, None).await?;
    Ok(HttpResponse::Ok().cookie(cookie).json(SsoRedirect { redirect_url: url }))
}

/// A member's sign-in at `org_id`'s identity provider on behalf of
/// `account`, which just proved itself with its password (a password
/// sign-in Require SSO refuses): the identity provider's answer may link to
/// it. The URL, and the cookie binding it to this browser.
pub async fn start_for_account(
    state: &AppState,
    org_id: &OrganizationId,
    email: &str,
    account: &str,
    return_to: Option<&str>,
) -> AppResult<(String, Cookie<'static>)> {
    let c = connection_of(state, org_id).await?;
    prepare_sign_in(state, &c, PURPOSE_LOGIN, Some(email), Some(account), return_to).await
}

async fn prepare_sign_in(
    state: &AppState,
    c: &connection::Model,
    purpose: &str,
    login_hint: Option<&str>,
    owner: Option<&str>,
    return_to: Option<&str>,
) -> AppResult<(String, Cookie<'static>)> {
    let not_configured =
        || AppError::conflict("not_configured", "Enter your identity provider's details first, then run the test.");
    let now = state.clock.now();
    let state_value = oidc::random_token();
    let browser = oidc::random_token();
    let (url, nonce, verifier) = match c.protocol.as_deref().and_then(SsoProtocol::parse) {
        Some(SsoProtocol::Oidc) => {
            let (Some(endpoint), Some(client_id)) =
                (c.oidc_authorization_endpoint.as_deref(), c.oidc_client_id.as_deref())
            else {
                return Err(not_configured());
            };
            let nonce = oidc::random_token();
            let (verifier, challenge) = oidc::pkce();
            let url = oidc::authorize_url(&oidc::AuthorizeParams {
                authorization_endpoint: endpoint,
                client_id,
                redirect_uri: &redirect_uri(state, &c.id),
                state: &state_value,
                nonce: &nonce,
                code_challenge: &challenge,
                login_hint,
            })
            .map_err(|e| AppError::conflict("not_configured", e.0))?;
            (url, nonce, state.keys.seal(verifier.as_bytes())?)
        }
        Some(SsoProtocol::Saml) => {
            let Some(sso_url) = c.saml_sso_url.as_deref() else {
                return Err(not_configured());
            };
            let (sp_entity_id, acs_url) = saml_sp(state, &c.id);
            let request_id = saml::request_id();
            let url = saml::authn_request_url(&saml::AuthnParams {
                idp_sso_url: sso_url,
                sp_entity_id: &sp_entity_id,
                acs_url: &acs_url,
                request_id: &request_id,
                relay_state: &state_value,
                now,
            })
            .map_err(|e| AppError::conflict("not_configured", capitalize(&e.0)))?;
            (url, request_id, String::new())
        }
        None => return Err(not_configured()),
    };
    // Pending sign-ins nobody finished are purged as new ones start (an
    // index on `expires_at` makes this cheap): anonymous requests cannot
    // grow the table past what the per-address limit lets in per TTL.
    request::Entity::delete_many()
        .filter(request::Column::ExpiresAt.lt(now - Duration::minutes(REQUEST_TTL_MINUTES)))
        .exec(&state.db)
        .await?;
    request::ActiveModel {
        return_to: Set(return_to.filter(|p| shared::sso::valid_continue(p)).map(str::to_owned)),
        user_id: Set(owner.map(str::to_owned)),
        id: Set(state_value.clone()),
        connection_id: Set(c.id.clone()),
        organization_id: Set(c.organization_id.clone()),
        purpose: Set(purpose.to_owned()),
        nonce: Set(nonce),
        code_verifier: Set(verifier),
        browser_hash: Set(browser_hash(&browser)),
        expires_at: Set(now + Duration::minutes(REQUEST_TTL_MINUTES)),
        used_at: Set(None),
        created_at: Set(now),
    }
    .insert(&state.db)
    .await?;
    let cookie = Cookie::build(BROWSER_COOKIE, browser)
        .path("/sso")
        .http_only(true)
        // Lax: the OIDC redirect back is a top-level navigation; a SAML POST
        // from another site is bridged by `saml_acs` to carry it.
        .same_site(SameSite::Lax)
        .secure(state.public_url.starts_with("https://"))
        .max_age(CookieDuration::minutes(REQUEST_TTL_MINUTES))
        .finish();
    Ok((url, cookie))
}

#[utoipa::path(
    post, path = "/api/v1/auth/sso", tag = "accounts", operation_id = "startSsoSignIn",
    summary = "Start a sign-in with SSO",
    description = "Finds the organization's identity provider from a work email and answers where to send the browser.",
    request_body = SsoLoginRequest,
    responses(
        (status = 200, description = "Send the browser here to sign in at the organization's identity provider", body = SsoRedirect),
        (status = 404, description = "No organization uses Single Sign-On for this email's domain (`sso_not_configured`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The organization's Single Sign-On is turned off (`sso_inactive`) or not set up yet (`sso_not_ready`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an email address", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this client address; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn start_login(
    state: web::Data<AppState>,
    meta: RequestMeta,
    signed_in: Option<crate::auth::AuthUser>,
    body: web::Json<SsoLoginRequest>,
) -> AppResult<HttpResponse> {
    state.limit_auth(&meta)?;
    let email = Email::parse(&body.email).map_err(|e| AppError::Validation(vec![e.at("email")]))?;
    // Only a verified domain routes anyone to an identity provider.
    let domain = crate::domains::service::routing_claim(&state, email.domain())
        .await?
        .ok_or_else(|| not_configured(email.domain()))?;
    let status = sso_status(&state, &domain.organization_id).await?;
    match status {
        IntegrationStatus::Active | IntegrationStatus::Error => {}
        IntegrationStatus::Inactive => return Err(inactive()),
        IntegrationStatus::NotPurchased => return Err(not_configured(email.domain())),
        _ => {
            return Err(AppError::conflict(
                "sso_not_ready",
                "Your organization has not finished setting up Single Sign-On. Sign in with your password, or ask your administrator.",
            ));
        }
    }
    let c = connection_of(&state, &domain.organization_id).await?;
    // Started from a session of an account (a password one, or one that
    // reaches this organization): that account may be linked on the way back.
    let owner = signed_in
        .filter(|u| u.scope.as_deref().is_none_or(|s| s == domain.organization_id))
        .map(|u| u.user_id.to_string());
    let return_to = match body.continue_to.as_deref() {
        Some(p) if !shared::sso::valid_continue(p) => {
            return Err(AppError::field(
                "continue_to",
                "invalid",
                "A sign-in continues only with an application's authorization request.",
            ));
        }
        other => other,
    };
    let (url, cookie) =
        prepare_sign_in(&state, &c, PURPOSE_LOGIN, Some(email.as_str()), owner.as_deref(), return_to).await?;
    Ok(HttpResponse::Ok().cookie(cookie).json(SsoRedirect { redirect_url: url }))
}

fn not_configured(domain: &str) -> AppError {
    AppError::NotFoundWith {
        code: "sso_not_configured",
        detail: format!(
            "No organization signs in with Single Sign-On for {domain}. Sign in with your password instead."
        ),
    }
}

fn inactive() -> AppError {
    AppError::conflict(
        "sso_inactive",
        "Single Sign-On is turned off for your organization. Ask your administrator, or sign in with your password if you have one.",
    )
}

/// The authorization endpoint's error codes (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6).
const AUTHORIZE_ERRORS: [&str; 13] = [
    "invalid_request",
    "unauthorized_client",
    "access_denied",
    "unsupported_response_type",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
    "interaction_required",
    "login_required",
    "account_selection_required",
    "consent_required",
    "invalid_request_uri",
    "invalid_request_object",
];

#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Where the browser lands after a sign-in: the SPA's `/sso-result` page
/// shows the outcome and, on failure, what to fix.
fn outcome(state: &AppState, ok: bool, purpose: &str, detail: &str) -> HttpResponse {
    let base = format!("{}/sso-result", state.public_url);
    let params = [("outcome", if ok { "ok" } else { "error" }), ("purpose", purpose), ("detail", detail)];
    let location = reqwest::Url::parse_with_params(&base, &params).map(String::from).unwrap_or(base);
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

/// Sends the browser on after a sign-in: a member with a session to `/`,
/// anything else to the outcome page.
fn respond(state: &AppState, result: Result<Done, Refusal>) -> HttpResponse {
    match result {
        Ok(Done::Login(session, return_to)) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("{}{}", state.public_url, return_to.as_deref().unwrap_or("/"))))
            .cookie(crate::accounts::handlers::session_cookie(state, &session))
            .finish(),
        Ok(Done::Test) => outcome(state, true, PURPOSE_TEST, "Signed in through your identity provider."),
        Err((purpose, detail)) => {
            tracing::info!(detail = %detail, "sso: sign-in refused");
            outcome(state, false, &purpose, &detail)
        }
    }
}

/// `GET /sso/oidc/{connection_id}/callback`: the identity provider sends the browser back here.
pub async fn oidc_callback(
    state: web::Data<AppState>,
    meta: RequestMeta,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<CallbackQuery>,
) -> HttpResponse {
    let result = finish_oidc(&state, &meta, &req, &path, &query).await;
    respond(&state, result)
}

/// Why a sign-in was refused: (purpose, words for the IT admin or member).
type Refusal = (String, String);

enum Done {
    Test,
    /// Signed in; where the browser continues (an application's request).
    Login(crate::accounts::service::NewSession, Option<String>),
}

fn refuse(purpose: &str, detail: impl Into<String>) -> Refusal {
    (purpose.to_owned(), detail.into())
}

fn internal(e: sea_orm::DbErr) -> Refusal {
    tracing::error!(error = %e, "sso: database error");
    refuse(PURPOSE_LOGIN, "Something went wrong on our side; try again.")
}

/// The pending sign-in named by `state`/`RelayState`: it must belong to this
/// connection, have been started by this browser, and not have expired.
async fn pending_request(
    state: &AppState,
    req: &HttpRequest,
    connection_id: &str,
    state_value: Option<&str>,
) -> Result<request::Model, Refusal> {
    // (A NUL is in no state we issued, and PostgreSQL could not compare it.)
    let state_value = state_value.filter(|s| !s.is_empty() && !s.contains('\0')).ok_or_else(|| {
        refuse(PURPOSE_LOGIN, "The identity provider sent no state. Start the sign-in from our login page.")
    })?;
    let pending = request::Entity::find_by_id(state_value)
        .one(&state.db)
        .await
        .map_err(internal)?
        .ok_or_else(|| refuse(PURPOSE_LOGIN, "This sign-in is unknown or was already used. Start again."))?;
    let purpose = pending.purpose.as_str();
    if pending.connection_id != connection_id {
        return Err(refuse(purpose, "This sign-in belongs to another connection."));
    }
    let browser = req.cookie(BROWSER_COOKIE).map(|c| browser_hash(c.value()));
    if browser.as_deref() != Some(pending.browser_hash.as_str()) {
        return Err(refuse(purpose, "This sign-in was started in another browser. Start again here."));
    }
    if pending.expires_at <= state.clock.now() {
        return Err(refuse(purpose, "This sign-in took too long. Start again."));
    }
    Ok(pending)
}

/// Uses the pending sign-in once: only the request that flips `used_at` goes on.
async fn claim(state: &AppState, pending: &request::Model) -> Result<(), Refusal> {
    let claimed = request::Entity::update_many()
        .col_expr(request::Column::UsedAt, Expr::value(state.clock.now()))
        .filter(request::Column::Id.eq(pending.id.as_str()))
        .filter(request::Column::UsedAt.is_null())
        .exec(&state.db)
        .await
        .map_err(internal)?;
    if claimed.rows_affected != 1 {
        return Err(refuse(&pending.purpose, "This sign-in was already used. Start again."));
    }
    Ok(())
}

async fn load_connection(state: &AppState, purpose: &str, id: &str) -> Result<connection::Model, Refusal> {
    connection::Entity::find_by_id(id)
        .one(&state.db)
        .await
        .map_err(internal)?
        .ok_or_else(|| refuse(purpose, "This connection no longer exists."))
}

async fn finish_oidc(
    state: &AppState,
    meta: &RequestMeta,
    req: &HttpRequest,
    connection_id: &str,
    q: &CallbackQuery,
) -> Result<Done, Refusal> {
    let pending = pending_request(state, req, connection_id, q.state.as_deref()).await?;
    claim(state, &pending).await?;
    let purpose = pending.purpose.as_str();
    if let Some(error) = &q.error {
        // The code when it is one of OAuth's; never the text that came with
        // it (anyone can put words in this URL).
        let code = Some(error.as_str()).filter(|e| AUTHORIZE_ERRORS.contains(e)).unwrap_or("an error");
        return Err(refuse(purpose, format!("The identity provider refused the sign-in with {code}.")));
    }
    let code = q.code.as_deref().ok_or_else(|| refuse(purpose, "The identity provider sent no code."))?;
    let c = load_connection(state, purpose, connection_id).await?;
    let (Some(issuer), Some(client_id), Some(sealed), Some(token_endpoint), Some(jwks_uri)) = (
        c.oidc_issuer.as_deref(),
        c.oidc_client_id.as_deref(),
        c.oidc_client_secret.as_deref(),
        c.oidc_token_endpoint.as_deref(),
        c.oidc_jwks_uri.as_deref(),
    ) else {
        return Err(refuse(purpose, "The connection is not configured for OpenID Connect."));
    };
    let open = |s: &str| state.keys.open(s).and_then(|b| String::from_utf8(b).ok());
    let (Some(secret), Some(verifier)) = (open(sealed), open(&pending.code_verifier)) else {
        return Err(refuse(purpose, "The stored client secret cannot be read; enter it again in the setup wizard."));
    };
    let exchanged = oidc::exchange(
        &state.outbound,
        &oidc::Exchange {
            token_endpoint,
            client_id,
            client_secret: &secret,
            code,
            code_verifier: &verifier,
            redirect_uri: &redirect_uri(state, &c.id),
        },
    )
    .await;
    let tokens = match exchanged {
        Ok(tokens) => tokens,
        // A member's sign-in failed on our client's credentials: everyone's
        // will. The Provision tab says so; the member is told who can fix it.
        Err(e) if e.1 == oidc::Cause::ClientRefused && purpose == PURPOSE_LOGIN => {
            connection_failed(state, meta, &c, &e.0).await;
            return Err(refuse(
                purpose,
                "Single Sign-On for your organization is not working: the identity provider refused our connection. \
                 Your administrator can see what to fix; try again later.",
            ));
        }
        Err(e) => return Err(refuse(purpose, capitalize(&e.0))),
    };
    let now = state.clock.now();
    let mut identity = oidc::verify(
        &state.outbound,
        &tokens.id_token,
        &oidc::Expected { issuer, client_id, nonce: &pending.nonce, jwks_uri, now },
    )
    .await
    .map_err(|e| refuse(purpose, capitalize(&e.0)))?;
    if identity.email.is_none()
        && let (Some(endpoint), Some(access)) = (c.oidc_userinfo_endpoint.as_deref(), tokens.access_token.as_deref())
    {
        oidc::complete_from_userinfo(&state.outbound, &mut identity, endpoint, access)
            .await
            .map_err(|e| refuse(purpose, capitalize(&e.0)))?;
    }
    complete(state, meta, &c, &pending, &identity).await
}

/// The form the identity provider's page posts to the ACS.
#[derive(Debug, Deserialize)]
pub struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    pub saml_response: Option<String>,
    #[serde(rename = "RelayState")]
    pub relay_state: Option<String>,
    /// Set by our own bridge page (see `saml_acs`).
    pub bridged: Option<String>,
}

/// Re-posts the identity provider's form from our own origin so that the
/// browser sends its `SameSite=Lax` sign-in cookie (a cross-site POST does
/// not carry it).
const BRIDGE_SCRIPT: &str = "document.getElementById('saml').submit()";

fn bridge(form: &AcsForm) -> HttpResponse {
    let esc = crate::html::escape;
    let hash = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, Sha256::digest(BRIDGE_SCRIPT));
    let body = format!(
        r#"<!doctype html><html lang="en"><meta charset="utf-8"><title>Signing in…</title>
<form id="saml" method="post"><input type="hidden" name="SAMLResponse" value="{}"><input type="hidden" name="RelayState" value="{}"><input type="hidden" name="bridged" value="1"><noscript><p>Press Continue to finish signing in.</p><button type="submit">Continue</button></noscript></form>
<script>{BRIDGE_SCRIPT}</script></html>"#,
        esc(form.saml_response.as_deref().unwrap_or_default()),
        esc(form.relay_state.as_deref().unwrap_or_default()),
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            format!("default-src 'none'; script-src 'sha256-{hash}'; form-action 'self'"),
        ))
        .body(body)
}

/// `POST /sso/saml/{connection_id}/acs`: the identity provider's page posts the Response here.
pub async fn saml_acs(
    state: web::Data<AppState>,
    meta: RequestMeta,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<AcsForm>,
) -> HttpResponse {
    if req.cookie(BROWSER_COOKIE).is_none() && form.bridged.is_none() {
        return bridge(&form);
    }
    let result = finish_saml(&state, &meta, &req, &path, &form).await;
    respond(&state, result)
}

async fn finish_saml(
    state: &AppState,
    meta: &RequestMeta,
    req: &HttpRequest,
    connection_id: &str,
    form: &AcsForm,
) -> Result<Done, Refusal> {
    let pending = pending_request(state, req, connection_id, form.relay_state.as_deref()).await?;
    // Used up by this post whatever it carries: a pending sign-in is never
    // a way to try response after response.
    claim(state, &pending).await?;
    let purpose = pending.purpose.as_str();
    let c = load_connection(state, purpose, connection_id).await?;
    let (Some(entity_id), Some(sso_url), Some(certificates)) =
        (c.saml_idp_entity_id.as_deref(), c.saml_sso_url.as_deref(), c.saml_certificates.as_deref())
    else {
        return Err(refuse(purpose, "The connection is not configured for SAML."));
    };
    let idp = saml::IdpConfig::from_stored(entity_id, sso_url, certificates)
        .map_err(|e| refuse(purpose, capitalize(&e.0)))?;
    let response = form
        .saml_response
        .clone()
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| refuse(purpose, "The identity provider sent no SAMLResponse."))?;
    let (sp_entity_id, acs_url) = saml_sp(state, &c.id);
    let request_id = pending.nonce.clone();
    // A few at a time, each bounded in time (see `guard::heavy`).
    let verified = state
        .signatures
        .run(move || {
            saml::verify_response(
                &response,
                &saml::Expected { sp_entity_id: &sp_entity_id, acs_url: &acs_url, idp: &idp, request_id: &request_id },
            )
        })
        .await
        .map_err(|e| refuse(purpose, e.problem().detail.unwrap_or_default()))?
        .map_err(|e| refuse(purpose, capitalize(&e.0)))?;
    // Each assertion once: a replayed one is refused even before its request's state is checked.
    let now = state.clock.now();
    entity::saml_assertion::Entity::delete_many()
        .filter(entity::saml_assertion::Column::ExpiresAt.lt(now))
        .exec(&state.db)
        .await
        .map_err(internal)?;
    let recorded = entity::saml_assertion::ActiveModel {
        connection_id: Set(c.id.clone()),
        assertion_id: Set(verified.assertion_id.clone()),
        expires_at: Set(verified.valid_until.max(now + Duration::minutes(REQUEST_TTL_MINUTES))),
    }
    .insert(&state.db)
    .await;
    if recorded.is_err() {
        return Err(refuse(purpose, "This SAML assertion was already used. Sign in again."));
    }
    complete(state, meta, &c, &pending, &verified.identity).await
}

/// Active SSO turns `error`, with the reason for the Provision tab and one
/// audit event, when the identity provider refuses our client on a
/// member's sign-in (a rotated client secret, a removed app). A failure to
/// record it is logged; the member's refusal stands either way.
async fn connection_failed(state: &AppState, meta: &RequestMeta, c: &connection::Model, why: &str) {
    // The provider's words, but not an unbounded amount of them.
    let why: String = why.chars().take(300).collect();
    let now = state.clock.now();
    let reason = format!(
        "On {} the identity provider refused our client credentials ({why}): its client secret may have been \
         rotated, or the app removed or changed there. Send the IT admin a new setup link to enter the current client \
         ID and secret.",
        now.format("%Y-%m-%d %H:%M UTC")
    );
    let event = Event {
        organization_id: &c.organization_id,
        actor: "identity_provider",
        action: "sso.error",
        target: &c.id,
        details: serde_json::json!({ "reason": why }),
    };
    let to = (IntegrationStatus::Error, Some(reason.as_str()));
    if let Err(e) = change_status(state, meta, c, IntegrationStatus::Active, to, event).await {
        tracing::error!(error = ?e, "sso: could not record the connection's error");
    }
}

/// Moves the organization's SSO status `from` → `to` (with its reason), and
/// records `event` in the same transaction when it moved.
async fn change_status(
    state: &AppState,
    meta: &RequestMeta,
    c: &connection::Model,
    from: IntegrationStatus,
    (to, reason): (IntegrationStatus, Option<&str>),
    event: Event<'_>,
) -> AppResult<()> {
    let now = state.clock.now();
    let txn = state.begin_write().await?;
    let t = features::Transition { org_id: &c.organization_id, feature: Feature::Sso, from: &[from], to, reason };
    features::transition(&*txn, t, now, meta, Some(event)).await?;
    txn.commit().await?;
    Ok(())
}

/// After a verified sign-in: a test turns SSO `active`; a member gets a session.
async fn complete(
    state: &AppState,
    meta: &RequestMeta,
    c: &connection::Model,
    pending: &request::Model,
    identity: &Identity,
) -> Result<Done, Refusal> {
    let purpose = pending.purpose.as_str();
    let now = state.clock.now();
    if purpose == PURPOSE_TEST {
        // The status and its audit event: one transaction.
        let txn = state.begin_write().await.map_err(internal)?;
        let event = Event {
            organization_id: &c.organization_id,
            // An Administrator's test from the tab, or the IT admin's through a setup link.
            actor: pending.user_id.as_deref().unwrap_or("setup_link"),
            action: "sso.test_succeeded",
            target: &c.id,
            details: serde_json::json!({ "subject": identity.subject, "email": identity.email, "protocol": c.protocol }),
        };
        let failed = |e: &dyn std::fmt::Debug| {
            tracing::error!(error = ?e, "sso: recording the test sign-in failed");
            refuse(purpose, "Something went wrong on our side; try again.")
        };
        let activate = features::Transition {
            org_id: &c.organization_id,
            feature: Feature::Sso,
            from: &[IntegrationStatus::Awaiting, IntegrationStatus::Active, IntegrationStatus::Error],
            to: IntegrationStatus::Active,
            reason: None,
        };
        let activated = features::transition(&*txn, activate, now, meta, Some(event)).await.map_err(|e| failed(&e))?;
        if !activated {
            return Err(refuse(purpose, "Single Sign-On is turned off for this organization."));
        }
        crate::setup::service::mark_completed(&*txn, &c.organization_id, SetupKind::Sso, now)
            .await
            .map_err(|e| failed(&e))?;
        super::enforcement::record_test(&*txn, &c.organization_id, now).await.map_err(|e| failed(&e))?;
        txn.commit().await.map_err(|e| failed(&e))?;
        return Ok(Done::Test);
    }
    let session = sign_in_member(state, meta, c, pending.user_id.as_deref(), identity).await.map_err(|e| match e {
        AppError::Internal(_) => {
            tracing::error!(error = ?e, "sso: member sign-in failed");
            refuse(purpose, "Something went wrong on our side; try again.")
        }
        other => refuse(purpose, other.problem().detail.unwrap_or_default()),
    })?;
    // A member got through after an error: the connection works again.
    if sso_status(state, &c.organization_id).await.is_ok_and(|s| s == IntegrationStatus::Error) {
        let event = Event {
            organization_id: &c.organization_id,
            actor: "identity_provider",
            action: "sso.activated",
            target: &c.id,
            details: serde_json::json!({ "reason": "member sign-in after an error" }),
        };
        let to = (IntegrationStatus::Active, None);
        if let Err(e) = change_status(state, meta, c, IntegrationStatus::Error, to, event).await {
            tracing::error!(error = ?e, "sso: could not record the connection's recovery");
        }
    }
    Ok(Done::Login(session, pending.return_to.clone()))
}

fn refused(detail: impl Into<String>) -> AppError {
    AppError::unauthorized("sso_refused", detail)
}

/// The member behind a verified identity: found by (connection, subject);
/// on a first sign-in, created just in time, or linked to the
/// organization's existing member with that email — never matched by email
/// alone to an account outside the organization, and never, without that
/// account proving itself, to one that has a password or administers the
/// organization (whoever holds a setup link configures the provider, and
/// could otherwise sign in as the Administrator). `owner` is the account
/// whose session started the sign-in: that proof.
async fn sign_in_member(
    state: &AppState,
    meta: &RequestMeta,
    c: &connection::Model,
    owner: Option<&str>,
    identity: &Identity,
) -> AppResult<crate::accounts::service::NewSession> {
    use crate::accounts::members;
    use shared::accounts::Role;
    let org_id = &c.organization_id;
    match sso_status(state, org_id).await? {
        // `error`: sign-ins are still tried; one that succeeds clears it.
        IntegrationStatus::Active | IntegrationStatus::Error => {}
        IntegrationStatus::Inactive => {
            return Err(refused("Single Sign-On is turned off for your organization. Ask your administrator."));
        }
        _ => return Err(refused("Your organization has not finished setting up Single Sign-On.")),
    }
    let now = state.clock.now();
    let known = entity::identity::Entity::find_by_id((c.id.clone(), identity.subject.clone())).one(&state.db).await?;
    let user_id = match known {
        Some(i) => i.user_id,
        None => {
            let email = identity
                .email
                .clone()
                .filter(|_| identity.email_verified)
                .ok_or_else(|| refused("Your identity provider did not send a verified email address; ask your administrator to include the email claim."))?;
            let parsed = Email::parse(&email).map_err(|_| refused(format!("'{email}' is not an email address.")))?;
            match crate::domains::service::refusal(state, org_id, parsed.domain()).await? {
                None => {}
                Some(why) if why.contains("not verified") => {
                    return Err(refused(format!(
                        "{email} cannot join yet: your organization's domain {} is not verified. Ask your administrator.",
                        parsed.domain()
                    )));
                }
                Some(_) => return Err(refused(format!("{email} is not in one of your organization's domains."))),
            }
            let existing = members::account_by_email(&state.db, parsed.as_str()).await?;
            let txn = state.begin_write().await?;
            let (uid, action) = match existing {
                Some(u) => {
                    let member = match members::find(&*txn, org_id, &u.id).await? {
                        Some(m) => m,
                        // One this organization's directory or SSO created,
                        // deleted since, and nobody else's: its own again.
                        None if members::relinkable(&*txn, &u.id, org_id).await? => {
                            members::add_provisioned_member(&*txn, org_id, &u.id, now).await?
                        }
                        None => {
                            return Err(refused(format!(
                                "An account with {email} already exists outside your organization; ask your administrator to invite it."
                            )));
                        }
                    };
                    // Also under Require SSO: a password sign-in it refuses starts
                    // the SSO sign-in with the account as its owner (the proof).
                    let needs_proof = u.password_hash.is_some() || member.role == Role::Admin;
                    if needs_proof && owner != Some(u.id.as_str()) {
                        return Err(refused(format!(
                            "{email} already has an account here. To link it to your identity provider once, sign in \
                             with your password, then choose Sign in with SSO on the sign-in page."
                        )));
                    }
                    (u.id, "sso.identity_linked")
                }
                None => {
                    let id = shared::UserId::generate();
                    let name = identity.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| email.clone());
                    let account = members::NewAccount {
                        id: &id,
                        email: parsed.as_str(),
                        name: &name.chars().take(200).collect::<String>(),
                        password_hash: None,
                        provisioned_by: Some(org_id),
                        now,
                    };
                    members::create_account(&*txn, account).await?;
                    members::add_provisioned_member(&*txn, org_id, &id, now).await?;
                    (id, "sso.member_created")
                }
            };
            entity::identity::ActiveModel {
                connection_id: Set(c.id.clone()),
                subject: Set(identity.subject.clone()),
                user_id: Set(uid.clone()),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
            let event = Event {
                organization_id: org_id,
                actor: &uid,
                action,
                target: &email,
                details: serde_json::json!({ "connection_id": c.id, "subject": identity.subject }),
            };
            audit::record(&txn, meta, now, event).await?;
            txn.commit().await?;
            uid
        }
    };
    let mut member = members::find(&state.db, org_id, &user_id).await?;
    if member.is_none() {
        // Known to this provider, removed since (a directory's DELETE), and
        // still nobody else's: a member again, as on a first sign-in.
        let txn = state.begin_write().await?;
        if members::relinkable(&*txn, &user_id, org_id).await? {
            member = Some(members::add_provisioned_member(&*txn, org_id, &user_id, now).await?);
            let event = Event {
                organization_id: org_id,
                actor: &user_id,
                action: "sso.member_created",
                target: &user_id,
                details: serde_json::json!({ "connection_id": c.id, "subject": identity.subject, "relinked": true }),
            };
            audit::record(&*txn, meta, now, event).await?;
        }
        txn.commit().await?;
    }
    match member {
        Some(m) if m.suspended_at.is_none() => {}
        Some(_) => return Err(refused("Your membership in this organization is suspended. Ask your administrator.")),
        None => return Err(refused("You are no longer a member of this organization. Ask your administrator.")),
    }
    let sso = crate::accounts::service::SessionMethod::Sso;
    let session = crate::accounts::service::open_session(&state.db, state, &user_id, Some(org_id), sso).await?;
    features::touch(&state.db, org_id, Feature::Sso, now).await?;
    let email = crate::accounts::entity::user::Entity::find_by_id(user_id.clone())
        .one(&state.db)
        .await?
        .map(|u| u.email)
        .unwrap_or_default();
    let event = Event {
        organization_id: org_id,
        actor: &user_id,
        action: "login.succeeded",
        target: &email,
        details: serde_json::json!({ "method": "sso", "connection_id": c.id }),
    };
    audit::record(&state.db, meta, now, event).await?;
    Ok(session)
}
