//! Gatehouse as the OpenID Provider of the SaaS's own applications: members
//! signed in here (with a password or their organization's SSO) reach the
//! product through standard OpenID Connect. Issuer = the public URL.
//!
//! - `clients`: the registered applications (`gatehouse clients …`, `[[clients]]`);
//! - `keys`: the asymmetric keys ID tokens are signed with, and the JWKS;
//! - the discovery document and the JWKS endpoint (below).

pub mod backchannel;
pub mod cli;
pub mod clients;
pub mod entity;
pub mod flow;
pub mod keys;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::state::AppState;

/// The scopes a client may ask for.
pub const SCOPES: [&str; 4] = ["openid", "email", "profile", "offline_access"];
/// The claims ID tokens and userinfo carry; the organization's are
/// namespaced with `gatehouse_` so they never collide with registered ones.
pub const CLAIMS: [&str; 19] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "sid",
    "email",
    "email_verified",
    "name",
    "given_name",
    "family_name",
    "gatehouse_org_id",
    "gatehouse_org_name",
    "gatehouse_role",
    "gatehouse_plan_id",
    "gatehouse_sso",
    "gatehouse_sso_connection_id",
];

/// OpenID Connect Discovery 1.0 (§3), with RFC 8414's additions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
    pub jwks_uri: String,
    pub revocation_endpoint: String,
    pub end_session_endpoint: String,
    pub scopes_supported: Vec<&'static str>,
    pub response_types_supported: Vec<&'static str>,
    pub response_modes_supported: Vec<&'static str>,
    pub grant_types_supported: Vec<&'static str>,
    pub subject_types_supported: Vec<&'static str>,
    pub id_token_signing_alg_values_supported: Vec<&'static str>,
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    pub code_challenge_methods_supported: Vec<&'static str>,
    pub claims_supported: Vec<&'static str>,
    pub prompt_values_supported: Vec<&'static str>,
    pub backchannel_logout_supported: bool,
    pub backchannel_logout_session_supported: bool,
    pub frontchannel_logout_supported: bool,
    pub claims_parameter_supported: bool,
    pub request_parameter_supported: bool,
    pub request_uri_parameter_supported: bool,
    pub authorization_response_iss_parameter_supported: bool,
}

pub fn discovery(state: &AppState) -> Discovery {
    let base = state.issuer();
    let at = |path: &str| format!("{base}{path}");
    let auth_methods = vec!["client_secret_basic", "client_secret_post", "none"];
    Discovery {
        issuer: base.to_owned(),
        authorization_endpoint: at("/oauth2/authorize"),
        token_endpoint: at("/oauth2/token"),
        userinfo_endpoint: at("/oauth2/userinfo"),
        jwks_uri: at("/oauth2/jwks"),
        revocation_endpoint: at("/oauth2/revoke"),
        end_session_endpoint: at("/oauth2/logout"),
        scopes_supported: SCOPES.to_vec(),
        response_types_supported: vec!["code"],
        response_modes_supported: vec!["query"],
        grant_types_supported: vec!["authorization_code", "refresh_token"],
        subject_types_supported: vec!["public"],
        id_token_signing_alg_values_supported: state.provider_keys.algorithms(),
        token_endpoint_auth_methods_supported: auth_methods.clone(),
        revocation_endpoint_auth_methods_supported: auth_methods,
        code_challenge_methods_supported: vec!["S256"],
        claims_supported: CLAIMS.to_vec(),
        prompt_values_supported: vec!["none", "login"],
        backchannel_logout_supported: true,
        backchannel_logout_session_supported: true,
        frontchannel_logout_supported: false,
        claims_parameter_supported: false,
        request_parameter_supported: false,
        request_uri_parameter_supported: false,
        authorization_response_iss_parameter_supported: true,
    }
}

/// Public metadata any origin may read (a browser application discovers us).
fn public_json<T: Serialize>(body: &T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(body)
}

#[utoipa::path(
    get, path = "/.well-known/openid-configuration", tag = "openid", operation_id = "getOpenIdConfiguration",
    summary = "OpenID Provider discovery document",
    description = "The OpenID Connect Discovery 1.0 document of Gatehouse as the OpenID Provider of the SaaS's applications: its endpoints, algorithms and claims.",
    responses((status = 200, description = "The OpenID Provider's metadata (OpenID Connect Discovery 1.0)", body = Discovery))
)]
pub async fn openid_configuration(state: web::Data<AppState>) -> HttpResponse {
    public_json(&discovery(&state))
}

#[utoipa::path(
    get, path = "/oauth2/jwks", tag = "openid", operation_id = "getJwks",
    summary = "JSON Web Key Set",
    description = "The public keys ID tokens and logout tokens are signed with (the previous key too during a rotation).",
    responses((status = 200, description = "The public keys ID tokens and logout tokens are signed with (RFC 7517): the current one first, then those of earlier keys still in rotation", content_type = "application/json"))
)]
pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    public_json(&state.provider_keys.jwks())
}

/// The endpoints a browser application (a public client) calls from its own
/// origin with a bearer token or a form, never a cookie: any origin may
/// read their answers, and a preflight is answered here.
const CORS_PATHS: [&str; 3] = ["/oauth2/token", "/oauth2/userinfo", "/oauth2/revoke"];

pub async fn cors(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    use actix_web::http::header::HeaderValue;
    if !CORS_PATHS.contains(&req.path()) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    if req.method() == actix_web::http::Method::OPTIONS
        && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        let res = HttpResponse::NoContent()
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, "authorization, content-type"))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
            .finish();
        return Ok(req.into_response(res));
    }
    let mut res = next.call(req).await?.map_into_boxed_body();
    res.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    res.headers_mut().insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("www-authenticate"));
    Ok(res)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/.well-known/openid-configuration", web::get().to(openid_configuration))
        .route("/oauth2/jwks", web::get().to(jwks))
        .route("/oauth2/authorize", web::get().to(flow::authorize))
        .route("/oauth2/token", web::post().to(flow::token))
        .route("/oauth2/userinfo", web::get().to(flow::userinfo))
        .route("/oauth2/userinfo", web::post().to(flow::userinfo_post))
        .route("/oauth2/revoke", web::post().to(flow::revoke))
        .route("/oauth2/logout", web::get().to(flow::logout))
        .route("/oauth2/logout", web::post().to(flow::logout_post));
}
