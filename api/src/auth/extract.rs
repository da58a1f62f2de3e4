//! Extractors that put authorization in the handler's signature: a handler
//! taking `OrgAdmin` cannot run for anyone but an Administrator of the
//! organization in its path.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryTrait};
use shared::accounts::Role;
use shared::{OrganizationId, SessionId, UserId};

use super::cache::CachedSession;
use super::tokens::{TokenError, verify_access};
use crate::accounts::entity::{membership, session};
use crate::error::AppError;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "gatehouse_session";

/// A caller with a valid access token whose session is still open.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: UserId,
    pub session_id: SessionId,
    /// The organization an SSO session is limited to: that organization's
    /// identity provider vouches for its own members, not for what else the
    /// account may administer. `None` for a password sign-in.
    pub scope: Option<String>,
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim()).filter(|t| !t.is_empty())
}

/// The bearer token, or else (no `Authorization` header at all) the session cookie.
fn bearer_or_cookie(req: &HttpRequest) -> Option<String> {
    if req.headers().contains_key(header::AUTHORIZATION) {
        return bearer(req).map(str::to_owned);
    }
    req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned())
}

fn invalid_token() -> AppError {
    AppError::unauthorized("invalid_token", "Your session is not valid or has ended. Sign in again.")
}

async fn authenticate(req: HttpRequest) -> Result<AuthUser, AppError> {
    Ok(session_of(&req).await?.0)
}

/// The caller's open session, from the cache or the database (then cached
/// with the organizations the user administers).
async fn session_of(req: &HttpRequest) -> Result<(AuthUser, CachedSession), AppError> {
    let state =
        req.app_data::<web::Data<AppState>>().ok_or_else(|| AppError::Internal(anyhow::anyhow!("AppState missing")))?;
    let token = bearer_or_cookie(req).ok_or_else(|| AppError::unauthorized("missing_token", "Sign in to continue."))?;
    let now = state.clock.now();
    let claims = verify_access(&state.keys, &token, state.issuer(), now).map_err(|e| match e {
        TokenError::Expired => AppError::unauthorized("token_expired", "Your session has expired. Sign in again."),
        _ => invalid_token(),
    })?;
    let user_id = UserId::parse(&claims.sub).map_err(|_| invalid_token())?;
    let session_id = SessionId::parse(&claims.sid).map_err(|_| invalid_token())?;
    let cached = match state.sessions.get(session_id.as_str()) {
        Some(c) => c,
        None => {
            let generation = state.sessions.generation();
            let open = session::Entity::find_by_id(session_id.as_str())
                .one(&state.db)
                .await?
                .filter(|s| s.user_id == claims.sub && s.revoked_at.is_none())
                .ok_or_else(invalid_token)?;
            let admin_of = membership::Entity::find()
                .filter(membership::Column::UserId.eq(claims.sub.as_str()))
                .apply_if(open.organization_id.as_deref(), |q, org| {
                    q.filter(membership::Column::OrganizationId.eq(org))
                })
                .filter(membership::Column::Role.eq(Role::Admin))
                .filter(membership::Column::SuspendedAt.is_null())
                .all(&state.db)
                .await?
                .into_iter()
                .map(|m| m.organization_id.into_string())
                .collect();
            let c = CachedSession::new(open.user_id, open.expires_at, admin_of, open.organization_id);
            state.sessions.put(session_id.as_str(), c.clone(), generation);
            c
        }
    };
    if cached.user_id != claims.sub || cached.expires_at <= now {
        return Err(invalid_token());
    }
    Ok((AuthUser { user_id, session_id, scope: cached.scope.clone() }, cached))
}

impl FromRequest for AuthUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(authenticate(req.clone()))
    }
}

/// Who calls an organization's administrative endpoints.
#[derive(Debug, Clone)]
pub enum Caller {
    /// An Administrator of the organization, signed in.
    User(AuthUser),
    /// The operator's service key: an Administrator of every organization.
    Key(super::service_keys::ServiceCaller),
}

/// An Administrator of the organization named by the `{org_id}` path
/// segment, or a service key (`read` keys safe methods only). Anyone else
/// gets 404, so the existence of other organizations never leaks.
#[derive(Debug, Clone)]
pub struct OrgAdmin {
    pub org_id: OrganizationId,
    pub caller: Caller,
}

impl OrgAdmin {
    /// The audit log's actor for what this caller does.
    pub fn actor<'a>(&'a self, meta: &'a crate::audit::RequestMeta) -> crate::audit::Actor<'a> {
        let by = match &self.caller {
            Caller::User(u) => crate::audit::By::User(&u.user_id),
            Caller::Key(k) => crate::audit::By::Key(&k.key_id),
        };
        crate::audit::Actor { by, meta }
    }

    /// `usr_…` or `key_…`.
    pub fn actor_id(&self) -> &str {
        match &self.caller {
            Caller::User(u) => u.user_id.as_str(),
            Caller::Key(k) => &k.key_id,
        }
    }

    /// The signed-in Administrator, for what only a person in a browser can
    /// do (403 `person_required` for a service key).
    pub fn person(&self) -> Result<&AuthUser, AppError> {
        match &self.caller {
            Caller::User(u) => Ok(u),
            Caller::Key(_) => Err(AppError::Forbidden {
                code: "person_required",
                detail: "This runs in an Administrator's browser; sign in to Gatehouse to do it.".to_owned(),
            }),
        }
    }
}

async fn authorize_admin(req: HttpRequest, org_segment: &str) -> Result<OrgAdmin, AppError> {
    if bearer(&req).is_some_and(|t| t.starts_with(super::service_keys::KEY_PREFIX)) {
        let key = super::service_keys::service_caller(req.clone()).await?;
        let org_id = OrganizationId::parse(org_segment).map_err(|_| AppError::NotFound)?;
        let state = req
            .app_data::<web::Data<AppState>>()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("AppState missing")))?;
        crate::accounts::entity::organization::get(&state.db, org_id.as_str()).await?;
        tracing::info!(key = %key.key_id, org = %org_id, method = %req.method(), path = %req.path(), "service key call");
        return Ok(OrgAdmin { org_id, caller: Caller::Key(key) });
    }
    let (user, session) = session_of(&req).await?;
    let org_id = OrganizationId::parse(org_segment).map_err(|_| AppError::NotFound)?;
    if !session.admin_of.iter().any(|o| o == org_id.as_str()) {
        return Err(AppError::NotFound);
    }
    Ok(OrgAdmin { org_id, caller: Caller::User(user) })
}

impl FromRequest for OrgAdmin {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(admin) = req.extensions().get::<OrgAdmin>().cloned() {
            return Box::pin(std::future::ready(Ok(admin)));
        }
        let req = req.clone();
        Box::pin(async move {
            let segment = req.match_info().get("org_id").unwrap_or_default().to_owned();
            authorize_admin(req, &segment).await
        })
    }
}

/// Middleware for `/api/v1/organizations/{org_id}/…`: the caller is
/// authenticated and authorized before any handler argument (a JSON body,
/// say) is read, so outsiders always get 401/404, never a validation error
/// that would depend on which extractor finished first.
pub async fn authorize_organization_paths(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let segment = req
        .path()
        .strip_prefix("/api/v1/organizations/")
        .map(|rest| rest.split('/').next().unwrap_or_default().to_owned());
    if let Some(segment) = segment {
        let admin = authorize_admin(req.request().clone(), &segment).await?;
        req.extensions_mut().insert(admin);
    }
    next.call(req).await
}
