//! Single Sign-On: the connection an IT admin configures through an SSO
//! setup link (SAML 2.0 or OpenID Connect), and sign-ins through the
//! organization's identity provider: the wizard's test sign-in and members'.

mod admin;
pub mod enforcement;
pub mod entity;
pub mod oidc;
pub mod saml;
mod sign_in;
mod wizard;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use shared::provisioning::{Feature, IntegrationStatus};
use shared::setup::SetupKind;
use shared::sso::{
    SamlSource, SsoConnection, SsoConnectionRequest, SsoLoginRequest, SsoProtocol, SsoProvider, SsoRedirect,
};
use shared::validation::Email;
use shared::{ConnectionId, OrganizationId};
use shared::{FieldError, Problem};

pub use self::admin::*;
use self::entity::{connection, request};
pub use self::sign_in::*;
pub use self::wizard::*;
use crate::audit::{self, Event, RequestMeta};
use crate::db::OrganizationScoped;
use crate::error::{AppError, AppResult};
use crate::features;
use crate::setup::service::resolve;
use crate::state::AppState;

/// How long a sign-in may take at the identity provider.
pub const REQUEST_TTL_MINUTES: i64 = 10;
/// Binds a pending sign-in to the browser that started it.
pub const BROWSER_COOKIE: &str = "gatehouse_sso";
pub const PURPOSE_TEST: &str = "test";
pub const PURPOSE_LOGIN: &str = "login";

/// What the identity provider vouches for: a verified ID token or SAML assertion.
#[derive(Debug, Clone)]
pub struct Identity {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

fn redirect_uri(state: &AppState, id: &str) -> String {
    format!("{}/sso/oidc/{id}/callback", state.public_url)
}

/// Our SAML entity ID (also where our metadata is) and ACS URL.
fn saml_sp(state: &AppState, id: &str) -> (String, String) {
    let base = format!("{}/sso/saml/{id}", state.public_url);
    (format!("{base}/metadata"), format!("{base}/acs"))
}

async fn sso_status(state: &AppState, org_id: &str) -> AppResult<IntegrationStatus> {
    crate::features::status(&state.db, org_id, Feature::Sso).await
}

/// The organization's connection, created (empty) on first use so our SP
/// values exist before the provider's side is entered.
async fn connection_of(state: &AppState, org_id: &OrganizationId) -> AppResult<connection::Model> {
    if let Some(c) = connection::Entity::find_in(org_id).one(&state.db).await? {
        return Ok(c);
    }
    let now = state.clock.now();
    let row = connection::ActiveModel {
        id: Set(ConnectionId::generate().to_string()),
        organization_id: Set(org_id.clone()),
        provider: Set(None),
        protocol: Set(None),
        oidc_issuer: Set(None),
        oidc_client_id: Set(None),
        oidc_client_secret: Set(None),
        oidc_authorization_endpoint: Set(None),
        oidc_token_endpoint: Set(None),
        oidc_jwks_uri: Set(None),
        oidc_userinfo_endpoint: Set(None),
        saml_idp_entity_id: Set(None),
        saml_sso_url: Set(None),
        saml_certificates: Set(None),
        saml_metadata_url: Set(None),
        saml_certificate_expires_at: Set(None),
        tested_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    match row.insert(&state.db).await {
        Ok(c) => Ok(c),
        // Created by a concurrent request: use that one.
        Err(_) => connection::Entity::find_in(org_id)
            .one(&state.db)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("connection vanished"))),
    }
}

use crate::auth::tokens::digest as browser_hash;

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
        .route("/setup/{token}/sso-test", web::post().to(start_test))
        .route("/auth/sso", web::post().to(start_login))
        .route("/organizations/{org_id}/sso-enforcement", web::get().to(get_enforcement))
        .route("/organizations/{org_id}/sso-enforcement", web::put().to(put_enforcement))
        .route("/organizations/{org_id}/sso/test", web::post().to(admin_test));
}

/// Largest ACS form accepted (a SAMLResponse is base64 of at most
/// `saml::MAX_XML_BYTES`).
const MAX_ACS_FORM_BYTES: usize = 1024 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/oidc/{connection_id}/callback", web::get().to(oidc_callback))
        .route("/saml/{connection_id}/metadata", web::get().to(saml_metadata))
        .service(
            web::resource("/saml/{connection_id}/acs")
                .app_data(
                    web::FormConfig::default()
                        .limit(MAX_ACS_FORM_BYTES)
                        .error_handler(crate::error::form_error_handler),
                )
                .route(web::post().to(saml_acs)),
        );
}
