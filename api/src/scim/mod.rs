//! Directory Sync: a SCIM 2.0 service provider (RFC 7643/7644) at `/scim/v2`.
//!
//! The bearer token names the organization; everything a request reads or
//! writes is scoped to it. Users become members of the organization (with
//! the Provision Default Plan), groups hold them.

mod auth;
pub mod credentials;
mod discovery;
pub mod document;
pub mod entity;
pub mod error;
pub mod filter;
pub mod groups;
mod http;
pub mod patch;
pub mod resource;
pub mod schema;
pub mod users;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Map, Value, json};
use shared::OrganizationId;
use shared::provisioning::{Feature, IntegrationStatus};

pub use self::auth::*;
use self::discovery::*;
use self::error::{SCIM_JSON, ScimError, ScimResult};
use self::filter::{AttrPath, Filter};
pub use self::http::*;
use self::schema::Kind;
use crate::audit::{self, RequestMeta};
use crate::guard::rate::RateLimiter;
use crate::state::AppState;

/// Largest request body, as RFC 7644 §3.7's `maxPayloadSize` advertises.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Largest page a list answers; `count` above it is clamped.
pub const MAX_RESULTS: u64 = 1000;
pub const DEFAULT_COUNT: u64 = 100;
/// `last_activity_at` is written at most this often per organization.
pub const ACTIVITY_WRITE_INTERVAL_SECS: i64 = 60;
/// The audit log's name for changes made by an organization's directory.
pub const DIRECTORY_ACTOR: &str = "directory";
/// How often a PUT or PATCH starts again from the newest version when other
/// requests keep changing the same resource under it.
pub const SAVE_ATTEMPTS: usize = 5;

/// Longest `userName`, `externalId` or `displayName`, in bytes. They are
/// indexed, and PostgreSQL refuses index entries over ~2.7 kB (SQLite does
/// not): both databases refuse longer ones alike, with a clear error.
pub const MAX_KEY_BYTES: usize = 1024;

/// Refuses a document whose indexed attributes are longer than `MAX_KEY_BYTES`.
pub(crate) fn check_key_lengths(doc: &serde_json::Map<String, serde_json::Value>) -> ScimResult<()> {
    for name in ["userName", "externalId", "displayName"] {
        if doc.get(name).and_then(serde_json::Value::as_str).is_some_and(|v| v.len() > MAX_KEY_BYTES) {
            return Err(ScimError::invalid_value(format!("'{name}' is longer than {MAX_KEY_BYTES} bytes.")));
        }
    }
    Ok(())
}

/// The resource changed under every attempt of a PUT or PATCH.
pub(crate) fn kept_changing(kind: schema::Kind) -> ScimError {
    ScimError::new(
        actix_web::http::StatusCode::CONFLICT,
        None,
        format!("The {} kept changing while this request ran; send it again.", kind.name()),
    )
}

pub use crate::auth::tokens::digest as token_hash;

async fn scim_not_found() -> ScimResult<HttpResponse> {
    Err(ScimError::new(StatusCode::NOT_FOUND, None, "No SCIM endpoint at this address."))
}

async fn method_not_allowed() -> ScimResult<HttpResponse> {
    Err(ScimError::new(StatusCode::METHOD_NOT_ALLOWED, None, "This method is not supported at this address."))
}

/// A resource whose other methods answer 405 with a SCIM error.
fn endpoint(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(endpoint("/ServiceProviderConfig").route(web::get().to(service_provider_config)))
        .service(endpoint("/ResourceTypes").route(web::get().to(resource_types)))
        .service(endpoint("/ResourceTypes/{id}").route(web::get().to(resource_type)))
        .service(endpoint("/Schemas").route(web::get().to(schemas)))
        .service(endpoint("/Schemas/{id}").route(web::get().to(one_schema)))
        .service(endpoint("/.search").route(web::post().to(root_search)))
        .service(web::resource(["/Me", "/Me/{rest:.*}"]).to(me))
        .service(
            endpoint("/Users")
                .route(web::get().to(resource::list::<entity::user::Model>))
                .route(web::post().to(users::create)),
        )
        .service(endpoint("/Users/.search").route(web::post().to(resource::search::<entity::user::Model>)))
        .service(
            endpoint("/Users/{id}")
                .route(web::get().to(resource::get::<entity::user::Model>))
                .route(web::put().to(users::replace))
                .route(web::patch().to(users::patch))
                .route(web::delete().to(users::delete)),
        )
        .service(
            endpoint("/Groups")
                .route(web::get().to(resource::list::<entity::group::Model>))
                .route(web::post().to(groups::create)),
        )
        .service(endpoint("/Groups/.search").route(web::post().to(resource::search::<entity::group::Model>)))
        .service(
            endpoint("/Groups/{id}")
                .route(web::get().to(resource::get::<entity::group::Model>))
                .route(web::put().to(groups::replace))
                .route(web::patch().to(groups::patch))
                .route(web::delete().to(groups::delete)),
        )
        .default_service(web::to(scim_not_found));
}

pub type ListQuery = Query;
