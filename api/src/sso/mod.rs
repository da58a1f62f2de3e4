//! Single Sign-On: the connection an IT admin configures through an SSO
//! setup link, and sign-ins through the organization's identity provider.
//! OpenID Connect is here; SAML 2.0 comes next (see issue 6).

pub mod entity;
pub mod oidc;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use shared::ConnectionId;
use shared::provisioning::IntegrationStatus;
use shared::setup::SetupKind;
use shared::sso::{SsoConnection, SsoConnectionRequest, SsoProtocol, SsoProvider, SsoRedirect};
use shared::{FieldError, Problem};

use self::entity::{connection, request};
use crate::audit::{self, Event, RequestMeta};
use crate::billing::entity::feature;
use crate::billing::service::FEATURE_SSO;
use crate::error::{AppError, AppResult};
use crate::setup::service::resolve;
use crate::state::AppState;

/// How long a sign-in may take at the identity provider.
pub const REQUEST_TTL_MINUTES: i64 = 10;
/// Binds a pending sign-in to the browser that started it.
pub const BROWSER_COOKIE: &str = "gatehouse_sso";
pub const PURPOSE_TEST: &str = "test";

fn redirect_uri(state: &AppState, id: &str) -> String {
    format!("{}/sso/oidc/{id}/callback", state.public_url)
}

fn view(state: &AppState, c: &connection::Model, status: IntegrationStatus) -> SsoConnection {
    let base = format!("{}/sso/saml/{}", state.public_url, c.id);
    SsoConnection {
        id: c.id.clone(),
        provider: c.provider.as_deref().and_then(SsoProvider::parse),
        protocol: c.protocol.as_deref().and_then(SsoProtocol::parse),
        status,
        sp_entity_id: format!("{base}/metadata"),
        acs_url: format!("{base}/acs"),
        metadata_url: format!("{base}/metadata"),
        redirect_uri: redirect_uri(state, &c.id),
        issuer: c.oidc_issuer.clone(),
        client_id: c.oidc_client_id.clone(),
        client_secret_set: c.oidc_client_secret.is_some(),
    }
}

async fn sso_status(state: &AppState, org_id: &str) -> AppResult<IntegrationStatus> {
    Ok(feature::Entity::find_by_id((org_id.to_owned(), FEATURE_SSO.to_owned()))
        .one(&state.db)
        .await?
        .map(|f| crate::provisioning::service::status_of(&f.status))
        .unwrap_or(IntegrationStatus::NotPurchased))
}

/// The organization's connection, created (empty) on first use so our SP
/// values exist before the provider's side is entered.
async fn connection_of(state: &AppState, org_id: &str) -> AppResult<connection::Model> {
    if let Some(c) =
        connection::Entity::find().filter(connection::Column::OrganizationId.eq(org_id)).one(&state.db).await?
    {
        return Ok(c);
    }
    let now = state.clock.now();
    let row = connection::ActiveModel {
        id: Set(ConnectionId::generate().to_string()),
        organization_id: Set(org_id.to_owned()),
        provider: Set(None),
        protocol: Set(None),
        oidc_issuer: Set(None),
        oidc_client_id: Set(None),
        oidc_client_secret: Set(None),
        oidc_authorization_endpoint: Set(None),
        oidc_token_endpoint: Set(None),
        oidc_jwks_uri: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    match row.insert(&state.db).await {
        Ok(c) => Ok(c),
        // Created by a concurrent request: use that one.
        Err(_) => connection::Entity::find()
            .filter(connection::Column::OrganizationId.eq(org_id))
            .one(&state.db)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("connection vanished"))),
    }
}

async fn link_org(state: &AppState, token: &str) -> AppResult<(String, String)> {
    let (link, _) = resolve(state, token, Some(SetupKind::Sso)).await?;
    Ok((link.organization_id, link.id))
}

#[utoipa::path(
    get, path = "/api/v1/setup/{token}/sso-connection", tag = "sso",
    params(("token" = String, Path, description = "The token from an SSO setup link")),
    responses(
        (status = 200, description = "Our values to paste into the identity provider, and what is configured (no secrets)", body = SsoConnection),
        (status = 401, description = "Not an SSO setup link we issued", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Expired or replaced link", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_connection(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<web::Json<SsoConnection>> {
    let (org_id, _) = link_org(&state, &token).await?;
    let c = connection_of(&state, &org_id).await?;
    Ok(web::Json(view(&state, &c, sso_status(&state, &org_id).await?)))
}

#[utoipa::path(
    put, path = "/api/v1/setup/{token}/sso-connection", tag = "sso",
    params(("token" = String, Path, description = "The token from an SSO setup link")),
    request_body = SsoConnectionRequest,
    responses(
        (status = 200, description = "Saved; run a test sign-in to turn SSO active", body = SsoConnection),
        (status = 401, description = "Not an SSO setup link we issued", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Expired or replaced link", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing or invalid, or the issuer's discovery document could not be used (`issuer`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_connection(
    state: web::Data<AppState>,
    meta: RequestMeta,
    token: web::Path<String>,
    body: web::Json<SsoConnectionRequest>,
) -> AppResult<web::Json<SsoConnection>> {
    let (org_id, link_id) = link_org(&state, &token).await?;
    let c = connection_of(&state, &org_id).await?;
    match body.protocol {
        Some(SsoProtocol::Oidc) => {}
        Some(SsoProtocol::Saml) => {
            return Err(AppError::field(
                "protocol",
                "not_available",
                "SAML connections are not available yet; use OpenID Connect.",
            ));
        }
        None => return Err(AppError::field("protocol", "required", "Choose SAML or OpenID Connect.")),
    }
    let valid = body.validate_oidc(c.oidc_client_secret.is_some()).map_err(|e| AppError::Validation(e.into_vec()))?;
    let discovered = oidc::discover(&valid.issuer).await.map_err(|e| {
        AppError::Validation(vec![FieldError::new(
            "issuer",
            "discovery_failed",
            format!("Could not use this issuer: {e}."),
        )])
    })?;
    let secret = match &valid.client_secret {
        Some(s) => Some(state.keys.seal(s.as_bytes())?),
        None => c.oidc_client_secret.clone(),
    };
    let now = state.clock.now();
    let txn = state.begin_write().await?;
    let mut m: connection::ActiveModel = c.into();
    m.provider = Set(Some(valid.provider.as_str().to_owned()));
    m.protocol = Set(Some(SsoProtocol::Oidc.as_str().to_owned()));
    m.oidc_issuer = Set(Some(discovered.issuer.clone()));
    m.oidc_client_id = Set(Some(valid.client_id.clone()));
    m.oidc_client_secret = Set(secret);
    m.oidc_authorization_endpoint = Set(Some(discovered.authorization_endpoint));
    m.oidc_token_endpoint = Set(Some(discovered.token_endpoint));
    m.oidc_jwks_uri = Set(Some(discovered.jwks_uri));
    m.updated_at = Set(now);
    let saved = m.update(&txn).await?;
    // A changed configuration must pass a new test sign-in.
    feature::Entity::update_many()
        .col_expr(feature::Column::Status, Expr::value(IntegrationStatus::Awaiting.as_str()))
        .filter(feature::Column::OrganizationId.eq(org_id.as_str()))
        .filter(feature::Column::Feature.eq(FEATURE_SSO))
        .filter(feature::Column::Status.is_in([IntegrationStatus::Active.as_str(), IntegrationStatus::Error.as_str()]))
        .exec(&txn)
        .await?;
    let event = Event {
        organization_id: &org_id,
        actor: "setup_link",
        action: "sso.connection_saved",
        target: &saved.id,
        details: serde_json::json!({ "link_id": link_id, "protocol": "oidc", "issuer": discovered.issuer, "client_id": valid.client_id }),
    };
    audit::record(&txn, &meta, now, event).await?;
    txn.commit().await?;
    Ok(web::Json(view(&state, &saved, sso_status(&state, &org_id).await?)))
}

fn browser_hash(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

#[utoipa::path(
    post, path = "/api/v1/setup/{token}/sso-test", tag = "sso",
    params(("token" = String, Path, description = "The token from an SSO setup link")),
    responses(
        (status = 200, description = "Send the browser here to sign in at the identity provider; a cookie binds the sign-in to this browser", body = SsoRedirect),
        (status = 401, description = "Not an SSO setup link we issued", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The connection is not configured yet (`not_configured`)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Expired or replaced link", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn start_test(state: web::Data<AppState>, token: web::Path<String>) -> AppResult<HttpResponse> {
    let (org_id, _) = link_org(&state, &token).await?;
    let c = connection_of(&state, &org_id).await?;
    let (Some(endpoint), Some(client_id)) = (c.oidc_authorization_endpoint.as_deref(), c.oidc_client_id.as_deref())
    else {
        return Err(AppError::conflict(
            "not_configured",
            "Enter your identity provider's details first, then run the test.",
        ));
    };
    let now = state.clock.now();
    let state_value = oidc::random_token();
    let nonce = oidc::random_token();
    let browser = oidc::random_token();
    let (verifier, challenge) = oidc::pkce();
    request::ActiveModel {
        id: Set(state_value.clone()),
        connection_id: Set(c.id.clone()),
        organization_id: Set(org_id),
        purpose: Set(PURPOSE_TEST.to_owned()),
        nonce: Set(nonce.clone()),
        code_verifier: Set(state.keys.seal(verifier.as_bytes())?),
        browser_hash: Set(browser_hash(&browser)),
        expires_at: Set(now + Duration::minutes(REQUEST_TTL_MINUTES)),
        used_at: Set(None),
        created_at: Set(now),
    }
    .insert(&state.db)
    .await?;
    let url = oidc::authorize_url(&oidc::AuthorizeParams {
        authorization_endpoint: endpoint,
        client_id,
        redirect_uri: &redirect_uri(&state, &c.id),
        state: &state_value,
        nonce: &nonce,
        code_challenge: &challenge,
        login_hint: None,
    })
    .map_err(|e| AppError::conflict("not_configured", e.0))?;
    let cookie = Cookie::build(BROWSER_COOKIE, browser)
        .path("/sso")
        .http_only(true)
        // Lax: the identity provider's redirect back is a top-level navigation.
        .same_site(SameSite::Lax)
        .secure(state.public_url.starts_with("https://"))
        .max_age(CookieDuration::minutes(REQUEST_TTL_MINUTES))
        .finish();
    Ok(HttpResponse::Ok().cookie(cookie).json(SsoRedirect { redirect_url: url }))
}

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

/// `GET /sso/oidc/{connection_id}/callback`: the identity provider sends the browser back here.
pub async fn oidc_callback(
    state: web::Data<AppState>,
    meta: RequestMeta,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<CallbackQuery>,
) -> HttpResponse {
    match finish_oidc(&state, &meta, &req, &path, &query).await {
        Ok(purpose) => outcome(&state, true, &purpose, "Signed in through your identity provider."),
        Err((purpose, detail)) => {
            tracing::info!(detail = %detail, "sso: sign-in refused");
            outcome(&state, false, &purpose, &detail)
        }
    }
}

type Refusal = (String, String);

async fn finish_oidc(
    state: &AppState,
    meta: &RequestMeta,
    req: &HttpRequest,
    connection_id: &str,
    q: &CallbackQuery,
) -> Result<String, Refusal> {
    let refuse = |purpose: &str, detail: String| (purpose.to_owned(), detail);
    let internal = |e: sea_orm::DbErr| {
        tracing::error!(error = %e, "sso: database error");
        ("login".to_owned(), "Something went wrong on our side; try again.".to_owned())
    };
    let state_value =
        q.state.as_deref().ok_or_else(|| refuse("login", "The identity provider sent no state.".to_owned()))?;
    let pending = request::Entity::find_by_id(state_value)
        .one(&state.db)
        .await
        .map_err(internal)?
        .ok_or_else(|| refuse("login", "This sign-in is unknown or was already used. Start again.".to_owned()))?;
    let purpose = pending.purpose.clone();
    if pending.connection_id != connection_id {
        return Err(refuse(&purpose, "This sign-in belongs to another connection.".to_owned()));
    }
    let browser = req.cookie(BROWSER_COOKIE).map(|c| browser_hash(c.value()));
    if browser.as_deref() != Some(pending.browser_hash.as_str()) {
        return Err(refuse(&purpose, "This sign-in was started in another browser. Start again here.".to_owned()));
    }
    let now = state.clock.now();
    if pending.expires_at <= now {
        return Err(refuse(&purpose, "This sign-in took too long. Start again.".to_owned()));
    }
    // Use the state once: only the request that flips `used_at` goes on.
    let claimed = request::Entity::update_many()
        .col_expr(request::Column::UsedAt, Expr::value(now))
        .filter(request::Column::Id.eq(state_value))
        .filter(request::Column::UsedAt.is_null())
        .exec(&state.db)
        .await
        .map_err(internal)?;
    if claimed.rows_affected != 1 {
        return Err(refuse(&purpose, "This sign-in was already used. Start again.".to_owned()));
    }
    if let Some(error) = &q.error {
        let detail = q.error_description.as_deref().unwrap_or("");
        return Err(refuse(
            &purpose,
            format!("The identity provider refused the sign-in: {error} {detail}").trim().to_owned(),
        ));
    }
    let code = q.code.as_deref().ok_or_else(|| refuse(&purpose, "The identity provider sent no code.".to_owned()))?;
    let c = connection::Entity::find_by_id(connection_id)
        .one(&state.db)
        .await
        .map_err(internal)?
        .ok_or_else(|| refuse(&purpose, "This connection no longer exists.".to_owned()))?;
    let (Some(issuer), Some(client_id), Some(sealed), Some(token_endpoint), Some(jwks_uri)) = (
        c.oidc_issuer.as_deref(),
        c.oidc_client_id.as_deref(),
        c.oidc_client_secret.as_deref(),
        c.oidc_token_endpoint.as_deref(),
        c.oidc_jwks_uri.as_deref(),
    ) else {
        return Err(refuse(&purpose, "The connection is not fully configured.".to_owned()));
    };
    let open = |s: &str| state.keys.open(s).and_then(|b| String::from_utf8(b).ok());
    let (Some(secret), Some(verifier)) = (open(sealed), open(&pending.code_verifier)) else {
        return Err(refuse(
            &purpose,
            "The stored client secret cannot be read; enter it again in the setup wizard.".to_owned(),
        ));
    };
    let id_token = oidc::exchange(&oidc::Exchange {
        token_endpoint,
        client_id,
        client_secret: &secret,
        code,
        code_verifier: &verifier,
        redirect_uri: &redirect_uri(state, &c.id),
    })
    .await
    .map_err(|e| refuse(&purpose, capitalize(&e.0)))?;
    let identity = oidc::verify(&id_token, &oidc::Expected { issuer, client_id, nonce: &pending.nonce, jwks_uri, now })
        .await
        .map_err(|e| refuse(&purpose, capitalize(&e.0)))?;
    if purpose == PURPOSE_TEST {
        let activated = feature::Entity::update_many()
            .col_expr(feature::Column::Status, Expr::value(IntegrationStatus::Active.as_str()))
            .col_expr(feature::Column::ActivatedAt, Expr::value(now))
            .col_expr(feature::Column::LastActivityAt, Expr::value(now))
            .filter(feature::Column::OrganizationId.eq(c.organization_id.as_str()))
            .filter(feature::Column::Feature.eq(FEATURE_SSO))
            .filter(feature::Column::Status.ne(IntegrationStatus::Inactive.as_str()))
            .exec(&state.db)
            .await
            .map_err(internal)?;
        if activated.rows_affected == 0 {
            return Err(refuse(&purpose, "Single Sign-On is turned off for this organization.".to_owned()));
        }
        let event = Event {
            organization_id: &c.organization_id,
            actor: "setup_link",
            action: "sso.test_succeeded",
            target: &c.id,
            details: serde_json::json!({ "subject": identity.subject, "email": identity.email }),
        };
        audit::record(&state.db, meta, now, event).await.map_err(|e| {
            tracing::error!(error = ?e, "sso: audit failed");
            refuse(&purpose, "Something went wrong on our side; try again.".to_owned())
        })?;
        return Ok(purpose);
    }
    Err(refuse(&purpose, "Member sign-in through SSO is not available yet.".to_owned()))
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => format!("{}{}.", f.to_uppercase(), c.as_str().trim_end_matches('.')),
        None => String::new(),
    }
}

pub fn configure_api(cfg: &mut web::ServiceConfig) {
    cfg.route("/setup/{token}/sso-connection", web::get().to(get_connection))
        .route("/setup/{token}/sso-connection", web::put().to(put_connection))
        .route("/setup/{token}/sso-test", web::post().to(start_test));
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/oidc/{connection_id}/callback", web::get().to(oidc_callback));
}
