//! The authorization code flow (OpenID Connect Core 1.0 §3.1, with PKCE,
//! RFC 7636): `/oauth2/authorize` turns the member's Gatehouse session into
//! a one-time code for the application; `/oauth2/token` exchanges it (or a
//! refresh token) for an ID token, an access token and a rotating refresh
//! token; `/oauth2/userinfo` answers the member's claims; `/oauth2/revoke`
//! (RFC 7009) ends a grant.
//!
//! What is checked every time anything is issued or answered: the grant is
//! not revoked, the Gatehouse session it came from is still open, and the
//! membership is active — a suspension, removal or logout ends the
//! application's access at once.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Set};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shared::accounts::Role;

use super::clients::{self, Model as Client};
use super::entity::{code, grant, refresh};
use crate::accounts::entity::{membership, session};
use crate::auth::AuthUser;
use crate::auth::tokens::random_token;
use crate::db::OrganizationScoped;
use crate::error::AppError;
use crate::state::AppState;

/// An authorization code lives this long.
pub const CODE_TTL_SECS: i64 = 60;
/// ID and access tokens live this long.
pub const TOKEN_TTL_SECS: i64 = 600;
/// A refresh token lives this long (each use replaces it).
pub const REFRESH_TTL_DAYS: i64 = 30;
/// The `typ` of access tokens (RFC 9068).
const ACCESS_TYP: &str = "at+jwt";

use crate::auth::tokens::digest as hash;

/// An OAuth error answer: `{error, error_description}` (RFC 6749 §5.2).
#[derive(Debug, Serialize)]
struct OAuthError {
    error: &'static str,
    error_description: String,
}

fn oauth_error(
    status: actix_web::http::StatusCode,
    error: &'static str,
    description: impl Into<String>,
) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    if status == actix_web::http::StatusCode::UNAUTHORIZED {
        res.insert_header((header::WWW_AUTHENTICATE, format!("Bearer error=\"{error}\"")));
    }
    res.json(OAuthError { error, error_description: description.into() })
}

fn bad_request(error: &'static str, description: impl Into<String>) -> HttpResponse {
    oauth_error(actix_web::http::StatusCode::BAD_REQUEST, error, description)
}

fn invalid_grant(description: &str) -> HttpResponse {
    bad_request("invalid_grant", description)
}

fn internal(e: impl std::fmt::Debug) -> HttpResponse {
    tracing::error!(error = ?e, "oauth2: internal error");
    oauth_error(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR, "server_error", "Something went wrong on our side.")
}

// ---------------------------------------------------------------- authorize

#[derive(Debug, Deserialize)]
pub struct AuthorizeQuery {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    /// Seconds (parsed here: a bad one is the client's `invalid_request`).
    pub max_age: Option<String>,
    pub login_hint: Option<String>,
    /// Gatehouse's own: the organization to sign in to (`org_…`).
    pub organization: Option<String>,
}

/// A page for errors that must not go back to an unverified redirect URI.
fn refuse_page(message: &str) -> HttpResponse {
    HttpResponse::BadRequest()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(format!("This sign-in request cannot be used: {message}\n"))
}

/// Back to the application with `params`, its `state` and our `iss` (RFC 9207).
fn back_to(redirect_uri: &str, params: &[(&str, &str)], state_param: Option<&str>, issuer: &str) -> HttpResponse {
    let mut url = match reqwest::Url::parse(redirect_uri) {
        Ok(u) => u,
        Err(_) => return refuse_page("the redirect URI is not a URL"),
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
        if let Some(s) = state_param {
            q.append_pair("state", s);
        }
        q.append_pair("iss", issuer);
    }
    HttpResponse::Found()
        .insert_header((header::LOCATION, url.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// The request's query parameters, decoded.
fn req_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://x/?{}", req.query_string()))
        .map(|u| u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
        .unwrap_or_default()
}

#[utoipa::path(
    get, path = "/oauth2/authorize", tag = "openid", operation_id = "authorize",
    summary = "Authorization endpoint",
    description = "OpenID Connect authorization code flow (PKCE): with a Gatehouse session, redirects to the application with a code; otherwise to the sign-in page first.",
    params(
        ("client_id" = String, Query, description = "A registered application"),
        ("redirect_uri" = String, Query, description = "One of its registered redirect URIs, exactly"),
        ("response_type" = String, Query, description = "`code`"),
        ("scope" = String, Query, description = "`openid`, and `email`, `profile`, `offline_access` (a refresh token)"),
        ("state" = Option<String>, Query, description = "Returned as is"),
        ("nonce" = Option<String>, Query, description = "Put in the ID token"),
        ("code_challenge" = Option<String>, Query, description = "PKCE S256 challenge; required for public clients"),
        ("code_challenge_method" = Option<String>, Query, description = "`S256`"),
        ("prompt" = Option<String>, Query, description = "`none` (never ask: `login_required` without a session) or `login` (sign in again)"),
        ("max_age" = Option<u32>, Query, description = "Sign in again when the session is older (seconds)"),
        ("login_hint" = Option<String>, Query, description = "The member's email, for the sign-in page"),
        ("organization" = Option<String>, Query, description = "The organization to sign in to (`org_…`), for a member of several"),
    ),
    responses(
        (status = 302, description = "To the application with `code`, `state` and `iss`, or with `error` (e.g. `login_required`, `access_denied`); without a Gatehouse session, to the sign-in page first"),
        (status = 200, description = "A member of several organizations, none named: a page to choose one (each choice is this request with `organization`)", content_type = "text/html"),
        (status = 400, description = "Unknown client, or a redirect URI not registered for it: nothing is sent there", content_type = "text/plain"),
    )
)]
pub async fn authorize(state: web::Data<AppState>, req: HttpRequest, signed_in: Option<AuthUser>) -> HttpResponse {
    // Read here, so that even unreadable parameters get this endpoint's answer.
    let Ok(q) = web::Query::<AuthorizeQuery>::from_query(req.query_string()) else {
        return refuse_page("its parameters could not be read (each may appear once).");
    };
    // Who is asking and where the answer goes, before anything is sent there.
    let Some(client_id) = q.client_id.as_deref() else { return refuse_page("client_id is missing.") };
    if !clients::plausible_id(client_id) {
        return refuse_page("the application (client_id) is not registered.");
    }
    let client = match clients::find(&state.db, client_id).await {
        Ok(Some(c)) => c,
        Ok(None) => return refuse_page("the application (client_id) is not registered."),
        Err(e) => return internal(e),
    };
    let Some(redirect_uri) = q.redirect_uri.as_deref() else { return refuse_page("redirect_uri is missing.") };
    if !client.redirect_uris().any(|u| u == redirect_uri) {
        return refuse_page("the redirect_uri is not one registered for this application.");
    }
    let issuer = state.issuer().to_owned();
    let st = q.state.as_deref();
    let fail = |error: &str, description: &str| {
        back_to(redirect_uri, &[("error", error), ("error_description", description)], st, &issuer)
    };
    if q.response_type.as_deref() != Some("code") {
        return fail(
            "unsupported_response_type",
            "Only the authorization code flow (response_type=code) is supported.",
        );
    }
    let scope = q.scope.clone().unwrap_or_default();
    if !scope.split(' ').any(|s| s == "openid") {
        return fail("invalid_scope", "The scope must include openid.");
    }
    if let Some(unknown) = scope.split(' ').find(|s| !s.is_empty() && !super::SCOPES.contains(s)) {
        return fail("invalid_scope", &format!("Unknown scope {unknown}."));
    }
    match (q.code_challenge.as_deref(), q.code_challenge_method.as_deref()) {
        (Some(c), Some("S256"))
            if c.len() == 43 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)) => {}
        (Some(_), _) => {
            return fail("invalid_request", "code_challenge must be S256 of a verifier (code_challenge_method=S256).");
        }
        (None, _) if client.is_public() => return fail("invalid_request", "This application must use PKCE (S256)."),
        (None, _) => {}
    }
    let prompt = q.prompt.as_deref().unwrap_or_default();
    if prompt.split(' ').any(|p| !matches!(p, "" | "none" | "login")) {
        return fail("invalid_request", "prompt may be none or login.");
    }
    if q.nonce.as_ref().is_some_and(|n| n.len() > 512 || n.chars().any(char::is_control))
        || st.is_some_and(|s| s.len() > 2048)
    {
        return fail("invalid_request", "nonce must be at most 512 printable characters, state at most 2048.");
    }
    let max_age = match q.max_age.as_deref().map(str::parse::<u32>) {
        None => None,
        Some(Ok(seconds)) => Some(i64::from(seconds)),
        Some(Err(_)) => return fail("invalid_request", "max_age must be a number of seconds."),
    };

    // The member's Gatehouse session: fresh enough, or a sign-in first.
    let now = state.clock.now();
    let session_row = match &signed_in {
        Some(u) => session::Entity::find_by_id(u.session_id.as_str()).one(&state.db).await.ok().flatten(),
        None => None,
    };
    let again = prompt.split(' ').any(|p| p == "login");
    let fresh = session_row
        .as_ref()
        .is_some_and(|s| !again && max_age.is_none_or(|max| (now - s.created_at).num_seconds() <= max));
    // Signed in, but the application wants a newer sign-in.
    let reauth = session_row.is_some() && !fresh;
    let (Some(user), Some(session_row), true) = (signed_in, session_row, fresh) else {
        if prompt.split(' ').any(|p| p == "none") {
            return fail("login_required", "The member is not signed in to Gatehouse.");
        }
        // The SPA's sign-in (email first: SSO or password), then back here.
        // After a sign-in asked for again, the request continues without
        // what asked for it (the new session is fresh; the application
        // checks `auth_time`), and the sign-in page does not skip ahead.
        let (Ok(mut back), Ok(mut login)) = (
            reqwest::Url::parse(&format!("{issuer}/oauth2/authorize")),
            reqwest::Url::parse(&format!("{issuer}/login")),
        ) else {
            return internal("the issuer is not a URL");
        };
        for (k, v) in req_pairs(&req) {
            if !(reauth && matches!(k.as_str(), "prompt" | "max_age")) {
                back.query_pairs_mut().append_pair(&k, &v);
            }
        }
        let back = format!("/oauth2/authorize?{}", back.query().unwrap_or_default());
        login.query_pairs_mut().append_pair("continue", &back);
        if reauth {
            login.query_pairs_mut().append_pair("reauth", "1");
        }
        if let Some(hint) = q.login_hint.as_deref() {
            login.query_pairs_mut().append_pair("login_hint", hint);
        }
        return HttpResponse::Found()
            .insert_header((header::LOCATION, login.to_string()))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish();
    };

    // Which organization: the session's (an SSO one reaches one only), the
    // one asked for, or the only one.
    let memberships = match membership::Entity::find()
        .filter(membership::Column::UserId.eq(user.user_id.as_str()))
        .filter(membership::Column::SuspendedAt.is_null())
        .all(&state.db)
        .await
    {
        Ok(m) => m,
        Err(e) => return internal(e),
    };
    let reachable: Vec<&membership::Model> =
        memberships.iter().filter(|m| user.scope.as_deref().is_none_or(|s| s == m.organization_id.as_str())).collect();
    let chosen = match q.organization.as_deref() {
        Some(org) => match reachable.iter().find(|m| m.organization_id.as_str() == org) {
            Some(m) => *m,
            None => return fail("access_denied", "The member cannot sign in to that organization."),
        },
        None => match reachable.as_slice() {
            [only] => *only,
            [] => return fail("access_denied", "The member has no active membership to sign in with."),
            _ if prompt.split(' ').any(|p| p == "none") => {
                return fail(
                    "account_selection_required",
                    "The member belongs to several organizations: name one with the organization parameter.",
                );
            }
            several => {
                let ids: Vec<&str> = several.iter().map(|m| m.organization_id.as_str()).collect();
                return match crate::accounts::entity::organization::Entity::find()
                    .filter(crate::accounts::entity::organization::Column::Id.is_in(ids))
                    .all(&state.db)
                    .await
                {
                    Ok(orgs) => {
                        let admin_of: Vec<&str> = several
                            .iter()
                            .filter(|m| m.role == Role::Admin)
                            .map(|m| m.organization_id.as_str())
                            .collect();
                        choose_page(&client, &req, &issuer, orgs, &admin_of)
                    }
                    Err(e) => internal(e),
                };
            }
        },
    };
    // Opened by the organization's identity provider (an invite's session is scoped too).
    let sso_org = session_row.organization_id.as_deref().filter(|_| session_row.method == "sso");
    let sso_connection_id = match sso_org {
        Some(org) => {
            crate::sso::entity::connection::Entity::find_in(org).one(&state.db).await.ok().flatten().map(|c| c.id)
        }
        None => None,
    };

    // The grant and its one-time code.
    let code_value = random_token();
    let grant_id = format!("grt_{}", &hash(&random_token())[..32]);
    let new_grant = grant::Model {
        id: grant_id.clone(),
        client_id: client.id.clone(),
        user_id: user.user_id.to_string(),
        organization_id: chosen.organization_id.to_string(),
        session_id: user.session_id.to_string(),
        scope,
        nonce: q.nonce.clone(),
        auth_time: session_row.created_at,
        sso_connection_id,
        created_at: now,
        revoked_at: None,
    };
    let new_code = code::ActiveModel {
        code_hash: Set(hash(&code_value)),
        grant_id: Set(grant_id),
        redirect_uri: Set(redirect_uri.to_owned()),
        code_challenge: Set(q.code_challenge.clone()),
        expires_at: Set(now + Duration::seconds(CODE_TTL_SECS)),
        used_at: Set(None),
    };
    let saved = async {
        let txn = state.begin_write().await?;
        // Codes nobody exchanged go, now and then, as new ones are made,
        // with their grants (indexed on expiry; one authorization in 64 does it).
        if rand::random::<u8>() < 4 {
            let stale = now - Duration::minutes(10);
            let unexchanged = code::Entity::find()
                .select_only()
                .column(code::Column::GrantId)
                .filter(code::Column::ExpiresAt.lt(stale))
                .filter(code::Column::UsedAt.is_null())
                .into_query();
            grant::Entity::delete_many().filter(grant::Column::Id.in_subquery(unexchanged)).exec(&*txn).await?;
            code::Entity::delete_many().filter(code::Column::ExpiresAt.lt(stale)).exec(&*txn).await?;
        }
        // Only while the session is open and the membership active (checked
        // in the insert itself: see `insert_while_live`).
        if !insert_while_live(&*txn, new_grant).await? {
            return Ok(false);
        }
        new_code.insert(&*txn).await?;
        txn.commit().await?;
        Ok::<_, AppError>(true)
    };
    match saved.await {
        Ok(true) => back_to(redirect_uri, &[("code", &code_value)], st, &issuer),
        Ok(false) => fail("login_required", "The member's Gatehouse session ended; sign in again."),
        Err(e) => internal(e),
    }
}

/// Inserts `g` only if its session is still open and its membership still
/// active, in one statement: a sign-out or suspension that commits first
/// leaves no grant behind, and one still in flight (PostgreSQL: the rows are
/// read `FOR SHARE`, so it waits) finds this grant and ends it too. SQLite
/// writes one at a time. Whether it was inserted.
async fn insert_while_live(db: &impl ConnectionTrait, g: grant::Model) -> Result<bool, sea_orm::DbErr> {
    use sea_orm::{DbBackend, Statement};
    let backend = db.get_database_backend();
    let pg = backend == DbBackend::Postgres;
    let p = |i: usize| if pg { format!("${i}") } else { "?".to_owned() };
    let share = if pg { " FOR SHARE" } else { "" };
    let sql = format!(
        "INSERT INTO oauth_grants (id, client_id, user_id, organization_id, session_id, scope, nonce, auth_time, \
         sso_connection_id, created_at) SELECT {}, {}, {}, {}, {}, {}, {}, {}, {}, {} \
         WHERE EXISTS (SELECT 1 FROM sessions WHERE id = {} AND revoked_at IS NULL{share}) \
         AND EXISTS (SELECT 1 FROM memberships WHERE organization_id = {} AND user_id = {} \
         AND suspended_at IS NULL{share})",
        p(1),
        p(2),
        p(3),
        p(4),
        p(5),
        p(6),
        p(7),
        p(8),
        p(9),
        p(10),
        p(11),
        p(12),
        p(13)
    );
    let values: Vec<sea_orm::Value> = vec![
        g.id.into(),
        g.client_id.into(),
        g.user_id.clone().into(),
        g.organization_id.clone().into(),
        g.session_id.clone().into(),
        g.scope.into(),
        g.nonce.into(),
        g.auth_time.into(),
        g.sso_connection_id.into(),
        g.created_at.into(),
        g.session_id.into(),
        g.organization_id.into(),
        g.user_id.into(),
    ];
    let done = db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    Ok(done.rows_affected() == 1)
}

// ---------------------------------------------------------------- token

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub token: Option<String>,
}

/// The form body (`application/x-www-form-urlencoded`, each parameter
/// once); anything else is the client's `invalid_request`, answered as
/// OAuth answers (RFC 6749 §5.2).
fn read_form(req: &HttpRequest, body: &[u8]) -> Result<TokenForm, &'static str> {
    let form_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
    });
    if !form_type {
        return Err("Send the parameters as application/x-www-form-urlencoded.");
    }
    let text = std::str::from_utf8(body).map_err(|_| "The body is not UTF-8.")?;
    // The same encoding as a query string.
    web::Query::<TokenForm>::from_query(text)
        .map(web::Query::into_inner)
        .map_err(|_| "The parameters could not be read (each may appear once).")
}

/// A token or revocation request: its form, and the client it authenticates as.
async fn client_request(state: &AppState, req: &HttpRequest, body: &[u8]) -> Result<(TokenForm, Client), HttpResponse> {
    let form = read_form(req, body).map_err(|why| bad_request("invalid_request", why))?;
    let client = authenticate_client(state, req, &form).await?;
    Ok((form, client))
}

/// The client the request authenticates as: HTTP Basic (RFC 6749 §2.3.1,
/// form-urlencoded id and secret) or the form's `client_id` and
/// `client_secret`; a public client sends its `client_id` alone.
async fn authenticate_client(state: &AppState, req: &HttpRequest, form: &TokenForm) -> Result<Client, HttpResponse> {
    let unauthorized =
        || oauth_error(actix_web::http::StatusCode::UNAUTHORIZED, "invalid_client", "Client authentication failed.");
    let basic = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| {
        let (scheme, rest) = v.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(rest.trim()).ok()?).ok()?;
        let (id, secret) = decoded.split_once(':')?;
        // Each part is form-urlencoded (RFC 6749 §2.3.1).
        let decode = |s: &str| {
            let mut url = reqwest::Url::parse("http://x/").ok()?;
            url.set_query(Some(&format!("x={s}")));
            url.query_pairs().next().map(|(_, v)| v.into_owned())
        };
        Some((decode(id)?, decode(secret)?))
    });
    let (id, secret) = match (basic, &form.client_id, &form.client_secret) {
        (Some((id, secret)), _, None) => (id, Some(secret)),
        (None, Some(id), secret) => (id.clone(), secret.clone()),
        _ => return Err(unauthorized()),
    };
    if !clients::plausible_id(&id) {
        return Err(unauthorized());
    }
    let client = match clients::find(&state.db, &id).await {
        Ok(Some(c)) => c,
        Ok(None) => return Err(unauthorized()),
        Err(e) => return Err(internal(e)),
    };
    if client.is_public() {
        return if secret.is_none() { Ok(client) } else { Err(unauthorized()) };
    }
    // A secret check is a sign-in: the same limit as a password's (attempts
    // reserved per client, 10 a minute), cleared by a success.
    let key = format!("client:{}", client.id);
    if let Err(retry_after) = state.login_failures.attempt(&key, state.clock.now()) {
        tracing::warn!(client_id = %client.id, "oauth2: client authentication limited after repeated failures");
        return Err(HttpResponse::TooManyRequests()
            .insert_header((header::RETRY_AFTER, retry_after.to_string()))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(OAuthError {
                error: "invalid_client",
                error_description: "Too many failed client authentications; wait a minute and try again.".to_owned(),
            }));
    }
    if secret.is_some_and(|s| client.secret_matches(&s)) {
        state.login_failures.clear(&key);
        return Ok(client);
    }
    tracing::warn!(client_id = %client.id, "oauth2: client authentication failed");
    Err(unauthorized())
}

/// A grant that may still be used, with what its claims say of the member.
struct Live {
    grant: grant::Model,
    email: String,
    name: String,
    org_name: String,
    role: Role,
    /// The member's plan, or else the organization's default plan.
    plan_id: Option<String>,
    /// `name.givenName` and `name.familyName` from the organization's
    /// directory (SCIM), when it provisioned the member and sent them.
    given_name: Option<String>,
    family_name: Option<String>,
}

/// The grant, if it may still be used: not revoked, its session open, the
/// membership active — in one query (every token and userinfo asks it).
async fn live(db: &impl ConnectionTrait, grant_id: &str, now: DateTime<Utc>) -> Result<Option<Live>, sea_orm::DbErr> {
    use sea_orm::{DbBackend, FromQueryResult, Statement};
    let backend = db.get_database_backend();
    let p = if backend == DbBackend::Postgres { "$1" } else { "?" };
    let sql = format!(
        "SELECT g.*, u.email AS u_email, u.name AS u_name, o.name AS o_name, o.default_plan_id AS o_plan, \
         m.role AS m_role, m.plan_id AS m_plan, s.expires_at AS s_expires_at, d.resource AS d_resource \
         FROM oauth_grants g \
         JOIN sessions s ON s.id = g.session_id AND s.revoked_at IS NULL \
         JOIN memberships m ON m.organization_id = g.organization_id AND m.user_id = g.user_id \
              AND m.suspended_at IS NULL \
         JOIN users u ON u.id = g.user_id \
         JOIN organizations o ON o.id = g.organization_id \
         LEFT JOIN directory_users d ON d.organization_id = g.organization_id AND d.user_id = g.user_id \
         WHERE g.id = {p} AND g.revoked_at IS NULL"
    );
    let Some(row) = db.query_one_raw(Statement::from_sql_and_values(backend, sql, [grant_id.into()])).await? else {
        return Ok(None);
    };
    if row.try_get::<DateTime<Utc>>("", "s_expires_at")? <= now {
        return Ok(None);
    }
    let role: String = row.try_get("", "m_role")?;
    let role = role.parse::<Role>().map_err(|e| sea_orm::DbErr::Custom(format!("stored role: {e}")))?;
    let plan: Option<String> = row.try_get("", "m_plan")?;
    let directory: Option<String> = row.try_get("", "d_resource")?;
    let names = directory.and_then(|r| serde_json::from_str::<serde_json::Value>(&r).ok());
    let name_part = |part: &str| {
        names
            .as_ref()
            .and_then(|r| r["name"][part].as_str())
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
    };
    Ok(Some(Live {
        given_name: name_part("givenName"),
        family_name: name_part("familyName"),
        grant: grant::Model::from_query_result(&row, "")?,
        email: row.try_get("", "u_email")?,
        name: row.try_get("", "u_name")?,
        org_name: row.try_get("", "o_name")?,
        role,
        plan_id: plan.or(row.try_get("", "o_plan")?),
    }))
}

/// Ends a grant: its codes, refresh and access tokens stop working.
async fn revoke_grant(db: &impl ConnectionTrait, grant_id: &str, now: DateTime<Utc>) -> Result<(), sea_orm::DbErr> {
    grant::Entity::update_many()
        .col_expr(grant::Column::RevokedAt, Expr::value(now))
        .filter(grant::Column::Id.eq(grant_id))
        .filter(grant::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// The claims about the member, for the ID token and userinfo.
fn member_claims(l: &Live) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::json;
    let g = &l.grant;
    let scopes: Vec<&str> = g.scope.split(' ').collect();
    let mut c = serde_json::Map::new();
    c.insert("sub".into(), json!(g.user_id));
    if scopes.contains(&"email") {
        c.insert("email".into(), json!(l.email));
        // Vouched for by the organization's identity provider (an SSO
        // sign-in); a password account's is not.
        c.insert("email_verified".into(), json!(g.sso_connection_id.is_some()));
    }
    if scopes.contains(&"profile") {
        c.insert("name".into(), json!(l.name));
        if let Some(given) = &l.given_name {
            c.insert("given_name".into(), json!(given));
        }
        if let Some(family) = &l.family_name {
            c.insert("family_name".into(), json!(family));
        }
    }
    c.insert("gatehouse_org_id".into(), json!(g.organization_id));
    c.insert("gatehouse_org_name".into(), json!(l.org_name));
    c.insert("gatehouse_role".into(), json!(if l.role == Role::Admin { "admin" } else { "member" }));
    c.insert("gatehouse_plan_id".into(), json!(l.plan_id));
    c.insert("gatehouse_sso".into(), json!(g.sso_connection_id.is_some()));
    if let Some(id) = &g.sso_connection_id {
        c.insert("gatehouse_sso_connection_id".into(), json!(id));
    }
    c
}

#[derive(Debug, Serialize, Deserialize)]
struct AccessClaims {
    iss: String,
    sub: String,
    aud: String,
    client_id: String,
    scope: String,
    sid: String,
    jti: String,
    iat: i64,
    exp: i64,
}

#[derive(Debug, Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    id_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    scope: String,
}

/// An access token we issued, unexpired: its claims.
fn access_claims(state: &AppState, token: &str, now: DateTime<Utc>) -> Option<AccessClaims> {
    let claims: AccessClaims =
        crate::auth::tokens::verify(&state.keys, token, ACCESS_TYP, state.issuer(), &userinfo_audience(state)).ok()?;
    (claims.exp > now.timestamp()).then_some(claims)
}

fn userinfo_audience(state: &AppState) -> String {
    format!("{}/oauth2/userinfo", state.issuer())
}

/// New tokens for a live grant (and a new refresh token when asked for).
async fn issue(
    state: &AppState,
    client: &Client,
    live: &Live,
    now: DateTime<Utc>,
) -> Result<TokenResponse, HttpResponse> {
    use serde_json::json;
    let g = &live.grant;
    let iat = now.timestamp();
    let exp = iat + TOKEN_TTL_SECS;
    let mut id = member_claims(live);
    id.insert("iss".into(), json!(state.issuer()));
    id.insert("aud".into(), json!(client.id));
    id.insert("azp".into(), json!(client.id));
    id.insert("iat".into(), json!(iat));
    id.insert("exp".into(), json!(exp));
    id.insert("auth_time".into(), json!(g.auth_time.timestamp()));
    id.insert("sid".into(), json!(g.session_id));
    if let Some(n) = &g.nonce {
        id.insert("nonce".into(), json!(n));
    }
    let id_token = state.provider_keys.sign("JWT", &id).map_err(internal)?;
    let access = AccessClaims {
        iss: state.issuer().to_owned(),
        sub: g.user_id.clone(),
        aud: userinfo_audience(state),
        client_id: client.id.clone(),
        scope: g.scope.clone(),
        sid: g.session_id.clone(),
        jti: g.id.clone(),
        iat,
        exp,
    };
    // Only our userinfo and revocation endpoints read access tokens (their
    // audience): the server's HMAC key signs them (microseconds, where an
    // RSA signature costs a millisecond); ID tokens are for the applications
    // and use the published asymmetric keys.
    let access_token = crate::auth::tokens::sign(&state.keys, ACCESS_TYP, &access).map_err(internal)?;
    let refresh_token = if g.scope.split(' ').any(|s| s == "offline_access") {
        let value = format!("gh_rt_{}", random_token());
        refresh::ActiveModel {
            token_hash: Set(hash(&value)),
            grant_id: Set(g.id.clone()),
            expires_at: Set(now + Duration::days(REFRESH_TTL_DAYS)),
            used_at: Set(None),
            created_at: Set(now),
        }
        .insert(&state.db)
        .await
        .map_err(internal)?;
        Some(value)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: TOKEN_TTL_SECS,
        id_token,
        refresh_token,
        scope: g.scope.clone(),
    })
}

#[utoipa::path(
    post, path = "/oauth2/token", tag = "openid", operation_id = "exchangeToken",
    summary = "Token endpoint",
    description = "Exchanges an authorization code (with PKCE) or a refresh token for an ID token, access token and refresh token.",
    request_body(content = TokenParams, content_type = "application/x-www-form-urlencoded", description = "`grant_type=authorization_code` with `code`, `redirect_uri`, `code_verifier`; or `grant_type=refresh_token` with `refresh_token`. Client authentication: HTTP Basic, or `client_id` + `client_secret` in the form; a public client sends `client_id` alone"),
    responses(
        (status = 200, description = "`{access_token, token_type: Bearer, expires_in, id_token, refresh_token?, scope}`; a refresh token is rotated on each use", content_type = "application/json"),
        (status = 400, description = "`invalid_grant` (a code used twice revokes what it issued; a refresh token used twice revokes the whole sign-in), `invalid_request`, `unsupported_grant_type`", content_type = "application/json"),
        (status = 401, description = "`invalid_client`", content_type = "application/json"),
        (status = 429, description = "Ten failed client authentications in a minute for this client: `invalid_client` until `Retry-After`", content_type = "application/json"),
    )
)]
pub async fn token(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let (form, client) = match client_request(&state, &req, &body).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    let now = state.clock.now();
    let grant_id = match form.grant_type.as_deref() {
        Some("authorization_code") => match exchange_code(&state, &client, &form, now).await {
            Ok(id) => id,
            Err(res) => return res,
        },
        Some("refresh_token") => match use_refresh(&state, &client, &form, now).await {
            Ok(id) => id,
            Err(res) => return res,
        },
        _ => return bad_request("unsupported_grant_type", "grant_type must be authorization_code or refresh_token."),
    };
    let granted = match live(&state.db, &grant_id, now).await {
        Ok(Some(g)) => g,
        Ok(None) => return invalid_grant("The member's sign-in has ended (signed out, suspended or removed)."),
        Err(e) => return internal(e),
    };
    match issue(&state, &client, &granted, now).await {
        Ok(tokens) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::PRAGMA, "no-cache"))
            .json(tokens),
        Err(res) => res,
    }
}

/// The grant a code or refresh token names, when it is the calling client's.
async fn grant_of(
    state: &AppState,
    grant_id: &str,
    client: &Client,
    not_valid: &'static str,
) -> Result<grant::Model, HttpResponse> {
    let g = grant::Entity::find_by_id(grant_id).one(&state.db).await.map_err(internal)?;
    g.filter(|g| g.client_id == client.id).ok_or_else(|| invalid_grant(not_valid))
}

/// A one-time credential (a code, a refresh token) whose claim changed
/// `claimed` rows: 1 is its first use; otherwise it was used before — it
/// leaked — and the grant it belongs to, with all it issued, is revoked.
async fn first_use(
    state: &AppState,
    claimed: u64,
    grant_id: &str,
    now: DateTime<Utc>,
    reused: &'static str,
) -> Result<(), HttpResponse> {
    if claimed == 1 {
        return Ok(());
    }
    revoke_grant(&state.db, grant_id, now).await.map_err(internal)?;
    Err(invalid_grant(reused))
}

async fn exchange_code(
    state: &AppState,
    client: &Client,
    form: &TokenForm,
    now: DateTime<Utc>,
) -> Result<String, HttpResponse> {
    let Some(value) = form.code.as_deref() else { return Err(bad_request("invalid_request", "code is missing.")) };
    let found = code::Entity::find_by_id(hash(value)).one(&state.db).await.map_err(internal)?;
    let Some(c) = found else { return Err(invalid_grant("The code is not valid.")) };
    let g = grant_of(state, &c.grant_id, client, "The code is not valid.").await?;
    // Used once only: a second use revokes what the first got (RFC 6749 §4.1.2).
    let claimed = code::Entity::update_many()
        .col_expr(code::Column::UsedAt, Expr::value(now))
        .filter(code::Column::CodeHash.eq(c.code_hash.as_str()))
        .filter(code::Column::UsedAt.is_null())
        .exec(&state.db)
        .await
        .map_err(internal)?;
    first_use(
        state,
        claimed.rows_affected,
        &g.id,
        now,
        "The code was already used; the tokens issued with it are revoked.",
    )
    .await?;
    if c.expires_at <= now {
        return Err(invalid_grant("The code has expired."));
    }
    if form.redirect_uri.as_deref() != Some(c.redirect_uri.as_str()) {
        return Err(invalid_grant("redirect_uri differs from the authorization request's."));
    }
    match (&c.code_challenge, form.code_verifier.as_deref()) {
        (Some(challenge), Some(verifier)) => {
            let computed = B64URL.encode(Sha256::digest(verifier.as_bytes()));
            let equal = aws_lc_rs::constant_time::verify_slices_are_equal(computed.as_bytes(), challenge.as_bytes());
            if equal.is_err() || !(43..=128).contains(&verifier.len()) {
                return Err(invalid_grant("The code_verifier does not match the code_challenge."));
            }
        }
        (Some(_), None) => return Err(invalid_grant("code_verifier is missing.")),
        (None, Some(_)) => return Err(invalid_grant("The authorization request had no code_challenge.")),
        (None, None) if client.is_public() => return Err(invalid_grant("A public client must use PKCE.")),
        (None, None) => {}
    }
    Ok(g.id)
}

async fn use_refresh(
    state: &AppState,
    client: &Client,
    form: &TokenForm,
    now: DateTime<Utc>,
) -> Result<String, HttpResponse> {
    let Some(value) = form.refresh_token.as_deref() else {
        return Err(bad_request("invalid_request", "refresh_token is missing."));
    };
    let found = refresh::Entity::find_by_id(hash(value)).one(&state.db).await.map_err(internal)?;
    let Some(r) = found else { return Err(invalid_grant("The refresh token is not valid.")) };
    let g = grant_of(state, &r.grant_id, client, "The refresh token is not valid.").await?;
    // Rotated: each is used once. A second use means it leaked — the whole
    // family (the grant) is revoked.
    let claimed = refresh::Entity::update_many()
        .col_expr(refresh::Column::UsedAt, Expr::value(now))
        .filter(refresh::Column::TokenHash.eq(r.token_hash.as_str()))
        .filter(refresh::Column::UsedAt.is_null())
        .exec(&state.db)
        .await
        .map_err(internal)?;
    let reused = "The refresh token was already used; every token of this sign-in is revoked.";
    first_use(state, claimed.rows_affected, &g.id, now, reused).await?;
    if r.expires_at <= now {
        return Err(invalid_grant("The refresh token has expired."));
    }
    Ok(g.id)
}

// ---------------------------------------------------------------- userinfo

#[utoipa::path(
    get, path = "/oauth2/userinfo", tag = "openid", operation_id = "getUserInfo",
    summary = "UserInfo endpoint",
    description = "The signed-in member's claims for the access token's scopes.",
    responses(
        (status = 200, description = "The member's claims (see the README), for `Authorization: Bearer {access_token}` from the token endpoint (not a Gatehouse session token)", content_type = "application/json"),
        (status = 401, description = "`invalid_token` (RFC 6750): unknown, expired, or its sign-in ended (signed out, suspended, removed)", content_type = "application/json"),
    )
)]
pub async fn userinfo(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let invalid =
        || oauth_error(actix_web::http::StatusCode::UNAUTHORIZED, "invalid_token", "The access token is not valid.");
    let Some(token) = crate::auth::extract::bearer(&req) else { return invalid() };
    let now = state.clock.now();
    let Some(claims) = access_claims(&state, token, now) else {
        return invalid();
    };
    match live(&state.db, &claims.jti, now).await {
        Ok(Some(live)) => {
            HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(member_claims(&live))
        }
        Ok(None) => invalid(),
        Err(e) => internal(e),
    }
}

// ---------------------------------------------------------------- revoke

/// The same, by POST (OpenID Connect Core §5.3.1).
#[utoipa::path(
    post, path = "/oauth2/userinfo", tag = "openid", operation_id = "getUserInfoPost",
    summary = "UserInfo endpoint (POST)",
    description = "The same, by POST (OpenID Connect Core §5.3.1).",
    responses(
        (status = 200, description = "The member's claims, for `Authorization: Bearer {access_token}`", content_type = "application/json"),
        (status = 401, description = "`invalid_token` (RFC 6750)", content_type = "application/json"),
    )
)]
pub async fn userinfo_post(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    userinfo(state, req).await
}

/// `POST /oauth2/revoke` (RFC 7009): a refresh or access token of the
/// calling client; its grant ends. Unknown tokens answer 200 too.
#[utoipa::path(
    post, path = "/oauth2/revoke", tag = "openid", operation_id = "revokeToken",
    summary = "Revoke a token",
    description = "RFC 7009: a refresh or access token of the calling client; its grant ends. Unknown tokens answer 200 too.",
    request_body(content = RevokeParams, content_type = "application/x-www-form-urlencoded", description = "`token`, with client authentication as at the token endpoint"),
    responses(
        (status = 200, description = "Revoked (or unknown: the same answer)"),
        (status = 400, description = "`invalid_request`: no token, or not a form body", content_type = "application/json"),
        (status = 401, description = "`invalid_client`", content_type = "application/json"),
        (status = 429, description = "Ten failed client authentications in a minute for this client", content_type = "application/json"),
    )
)]
pub async fn revoke(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let (form, client) = match client_request(&state, &req, &body).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    let Some(value) = form.token.as_deref() else { return bad_request("invalid_request", "token is missing.") };
    let now = state.clock.now();
    let grant_id = match refresh::Entity::find_by_id(hash(value)).one(&state.db).await {
        Ok(Some(r)) => Some(r.grant_id),
        Ok(None) => access_claims(&state, value, now).map(|c| c.jti),
        Err(e) => return internal(e),
    };
    if let Some(id) = grant_id {
        let owned = grant::Entity::find_by_id(id.as_str()).one(&state.db).await.ok().flatten();
        if owned.is_some_and(|g| g.client_id == client.id)
            && let Err(e) = revoke_grant(&state.db, &id, now).await
        {
            return internal(e);
        }
    }
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).finish()
}

// ---------------------------------------------------------------- logout

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct LogoutParams {
    pub id_token_hint: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub client_id: Option<String>,
    /// Our own confirmation form's (a request without a valid hint is asked first).
    pub confirm: Option<String>,
}

/// The provider's own small pages (choose an organization, sign out): a
/// card in the SPA's colours, no script.
fn html_page(title: &str, body: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        // No script, no frame, no other base. (No form-action: the sign-out
        // form's answer redirects to the application, which it would block.)
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .body(
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
             content=\"width=device-width, initial-scale=1\"><title>{title} · Gatehouse</title><style>{PAGE_CSS}</style>\
             </head><body><main><p class=\"brand\">Gatehouse</p><h1>{title}</h1>{body}</main></body></html>"
        ),
    )
}

/// The SPA's look (web/style/main.css: its colours, card and buttons).
const PAGE_CSS: &str = "body{margin:0;background:#f6f8fa;color:#1b1f24;font:16px/1.5 system-ui,-apple-system,\
    'Segoe UI',Roboto,sans-serif}main{max-width:420px;margin:3rem auto;padding:1.5rem;background:#fff;\
    border:1px solid #d0d7de;border-radius:8px;box-sizing:border-box}@media(max-width:480px){main{margin:0;\
    min-height:100vh;border:0;border-radius:0}}.brand{font-weight:700;margin:0 0 1rem}h1{font-size:1.5rem;\
    margin:0 0 .5rem}p{color:#57606a}ul{list-style:none;padding:0;margin:1.25rem 0 0}li+li{margin-top:.5rem}\
    a.choice,button{display:flex;justify-content:space-between;align-items:center;gap:1rem;width:100%;\
    box-sizing:border-box;padding:.75rem 1rem;border:1px solid #d0d7de;border-radius:6px;background:#fff;\
    color:#1b1f24;text-decoration:none;font:inherit;font-weight:600;cursor:pointer}a.choice:hover,\
    a.choice:focus-visible,button:focus-visible{border-color:#2f5bd3;outline:2px solid #2f5bd3;outline-offset:1px}\
    button.primary{background:#2f5bd3;color:#fff;border:0;justify-content:center}.meta{font-weight:400;\
    font-size:.85rem;color:#57606a}";

/// A member of several organizations picks the one to sign in to the
/// application with: each choice is the same request naming it.
fn choose_page(
    client: &Client,
    req: &HttpRequest,
    issuer: &str,
    mut orgs: Vec<crate::accounts::entity::organization::Model>,
    admin_of: &[&str],
) -> HttpResponse {
    orgs.sort_by_key(|o| o.name.to_lowercase());
    let choices: String = orgs
        .iter()
        .map(|o| {
            // The same request, naming this organization.
            let mut url = reqwest::Url::parse(&format!("{issuer}/oauth2/authorize")).ok()?;
            url.query_pairs_mut().extend_pairs(req_pairs(req)).append_pair("organization", o.id.as_str());
            Some(format!(
                "<li><a class=\"choice\" href=\"{}\">{}<span class=\"meta\">{}</span></a></li>",
                crate::html::escape(url.as_str()),
                crate::html::escape(&o.name),
                if admin_of.contains(&o.id.as_str()) { "Administrator" } else { "Member" }
            ))
        })
        .collect::<Option<String>>()
        .unwrap_or_default();
    html_page(
        "Choose an organization",
        &format!(
            "<p>You belong to several organizations. Which one do you want to use with <strong>{}</strong>?</p>\
             <ul>{choices}</ul>",
            crate::html::escape(&client.name)
        ),
    )
}

/// `GET|POST /oauth2/logout` (OpenID Connect RP-Initiated Logout 1.0): ends
/// the member's Gatehouse session and the applications' grants from it.
/// With an `id_token_hint` naming the current session it happens at once
/// and the browser returns to a registered `post_logout_redirect_uri`;
/// without one, the member is asked first (a link on another site must not
/// sign anyone out).
#[utoipa::path(
    get, path = "/oauth2/logout", tag = "openid", operation_id = "logoutRp",
    summary = "RP-initiated logout",
    description = "OpenID Connect RP-Initiated Logout 1.0: ends the member's Gatehouse session and the applications' grants from it.",
    params(
        ("id_token_hint" = Option<String>, Query, description = "An ID token we issued for the session (expired is fine)"),
        ("post_logout_redirect_uri" = Option<String>, Query, description = "Registered for the client; where the browser returns"),
        ("state" = Option<String>, Query, description = "Returned as is"),
        ("client_id" = Option<String>, Query, description = "The application, when no hint names it"),
    ),
    responses(
        (status = 302, description = "Signed out; back to the application"),
        (status = 200, description = "Signed out, or asked to confirm (no valid hint)", content_type = "text/html"),
    )
)]
pub async fn logout(state: web::Data<AppState>, req: HttpRequest, signed_in: Option<AuthUser>) -> HttpResponse {
    let params =
        web::Query::<LogoutParams>::from_query(req.query_string()).map(web::Query::into_inner).unwrap_or_default();
    end_and_leave(&state, signed_in, params).await
}

/// The same by POST (form body), and our confirmation form's target.
#[utoipa::path(
    post, path = "/oauth2/logout", tag = "openid", operation_id = "logoutRpPost",
    summary = "RP-initiated logout (form post)",
    description = "The same by POST (form body), and the confirmation form's target.",
    request_body(content = LogoutParams, content_type = "application/x-www-form-urlencoded", description = "The GET's parameters"),
    responses(
        (status = 302, description = "Signed out; back to the application"),
        (status = 200, description = "Signed out, or asked to confirm", content_type = "text/html"),
    )
)]
pub async fn logout_post(state: web::Data<AppState>, signed_in: Option<AuthUser>, body: web::Bytes) -> HttpResponse {
    let params = std::str::from_utf8(&body)
        .ok()
        .and_then(|t| web::Query::<LogoutParams>::from_query(t).ok())
        .map(web::Query::into_inner)
        .unwrap_or_default();
    end_and_leave(&state, signed_in, params).await
}

async fn end_and_leave(state: &AppState, signed_in: Option<AuthUser>, p: LogoutParams) -> HttpResponse {
    let hint = p.id_token_hint.as_deref().and_then(|t| state.provider_keys.verify_hint(t, state.issuer()));
    let client_id = p
        .client_id
        .clone()
        .or_else(|| hint.as_ref().and_then(|h| h.get("aud")).and_then(|a| a.as_str()).map(str::to_owned));
    let client = match client_id.as_deref().filter(|id| clients::plausible_id(id)) {
        Some(id) => clients::find(&state.db, id).await.ok().flatten(),
        None => None,
    };
    let back = p
        .post_logout_redirect_uri
        .as_deref()
        .filter(|uri| client.as_ref().is_some_and(|c| c.post_logout_redirect_uris().any(|u| u == *uri)));
    let names_session =
        |u: &AuthUser| hint.as_ref().and_then(|h| h.get("sid")).and_then(|s| s.as_str()) == Some(u.session_id.as_str());
    let confirmed = p.confirm.as_deref() == Some("1");
    match &signed_in {
        Some(u) if names_session(u) || confirmed => {
            // The grants from the session end with it (and the applications are told).
            if let Err(e) = crate::accounts::service::logout(state, &u.session_id).await {
                return internal(e);
            }
        }
        Some(_) => {
            // Asked first: a form posting back here, from our own page.
            let keep = |name: &str, value: &Option<String>| {
                value.as_deref().map_or(String::new(), |v| {
                    format!("<input type=\"hidden\" name=\"{name}\" value=\"{}\">", crate::html::escape(v))
                })
            };
            let fields = [
                keep("post_logout_redirect_uri", &back.map(str::to_owned)),
                keep("state", &p.state),
                keep("client_id", &client.as_ref().map(|c| c.id.clone())),
            ]
            .concat();
            let who = client.as_ref().map_or("An application".to_owned(), |c| crate::html::escape(&c.name));
            return html_page(
                "Sign out of Gatehouse?",
                &format!(
                    "<p>{who} asks to sign you out.</p><form method=\"post\" action=\"/oauth2/logout\">{fields}\
                     <input type=\"hidden\" name=\"confirm\" value=\"1\"><button class=\"primary\" type=\"submit\">Sign out</button></form>"
                ),
            );
        }
        None => {}
    }
    match back {
        Some(uri) => {
            let mut url = match reqwest::Url::parse(uri) {
                Ok(u) => u,
                Err(_) => return html_page("Signed out", "<p>You are signed out of Gatehouse.</p>"),
            };
            if let Some(s) = &p.state {
                url.query_pairs_mut().append_pair("state", s);
            }
            HttpResponse::Found()
                .insert_header((header::LOCATION, url.to_string()))
                .cookie(crate::accounts::handlers::expired_session_cookie())
                .finish()
        }
        None => {
            let mut res = html_page("Signed out", "<p>You are signed out of Gatehouse.</p>");
            let _ = res.add_cookie(&crate::accounts::handlers::expired_session_cookie());
            res
        }
    }
}

/// The token endpoint's form (documentation: the handler reads the form
/// field by field, with client authentication from HTTP Basic or the form).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct TokenParams {
    /// `authorization_code` or `refresh_token`.
    grant_type: String,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// The revocation endpoint's form (RFC 7009).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct RevokeParams {
    token: String,
    /// `refresh_token` or `access_token`.
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}
