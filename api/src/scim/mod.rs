//! Directory Sync: a SCIM 2.0 service provider (RFC 7643/7644) at `/scim/v2`.
//!
//! The bearer token names the organization; everything a request reads or
//! writes is scoped to it. Users become members of the organization (with
//! the Provision Default Plan), groups hold them.

pub mod credentials;
pub mod document;
pub mod entity;
pub mod error;
pub mod filter;
pub mod groups;
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
use sha2::{Digest, Sha256};
use shared::provisioning::IntegrationStatus;

use self::error::{SCIM_JSON, ScimError, ScimResult};
use self::filter::{AttrPath, Filter};
use self::schema::Kind;
use crate::audit::{self, RequestMeta};
use crate::billing::entity::feature;
use crate::billing::service::FEATURE_DIRECTORY_SYNC;
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

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// How long a token's organization and Directory Sync status are trusted
/// without reading them again. This process forgets them at once when they
/// change (a new token, a toggle); other replicas catch up within this.
pub const AUTH_CACHE_SECS: i64 = 5;

#[derive(Clone)]
struct Authorized {
    org_id: String,
    status: Option<IntegrationStatus>,
    at: DateTime<Utc>,
}

/// Process-wide SCIM state: the rate limiter, recently checked tokens, and
/// when each organization's `last_activity_at` was last written.
pub struct Runtime {
    pub limiter: RateLimiter,
    activity: Mutex<HashMap<String, DateTime<Utc>>>,
    tokens: Mutex<HashMap<String, Authorized>>,
    /// Counts `forget` calls, so a status read before one is not remembered after it.
    generation: std::sync::atomic::AtomicU64,
}

impl Runtime {
    pub fn new(requests_per_second: u32) -> Self {
        Self {
            limiter: RateLimiter::per_second(requests_per_second),
            activity: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            generation: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Drops what is cached about an organization's token and status.
    pub fn forget(&self, org_id: &str) {
        let mut map = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        map.retain(|_, a| a.org_id != org_id);
    }

    /// Taken before reading what `remember` will keep.
    fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn cached(&self, hash: &str, now: DateTime<Utc>) -> Option<Authorized> {
        let map = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        map.get(hash).filter(|a| now - a.at < Duration::seconds(AUTH_CACHE_SECS) && a.at <= now).cloned()
    }

    /// Keeps `a`, read since `generation`, unless something was forgotten
    /// in between (it may be stale: the next request reads it again).
    fn remember(&self, hash: String, a: Authorized, generation: u64) {
        let mut map = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        if self.generation() != generation {
            return;
        }
        if map.len() > 10_000 {
            let now = a.at;
            map.retain(|_, x| now - x.at < Duration::seconds(AUTH_CACHE_SECS));
        }
        map.insert(hash, a);
    }

    fn due(&self, org: &str, now: DateTime<Utc>) -> bool {
        let map = self.activity.lock().unwrap_or_else(|p| p.into_inner());
        map.get(org).is_none_or(|t| now - *t >= Duration::seconds(ACTIVITY_WRITE_INTERVAL_SECS))
    }

    fn written(&self, org: &str, now: DateTime<Utc>) {
        self.activity.lock().unwrap_or_else(|p| p.into_inner()).insert(org.to_owned(), now);
    }
}

/// An authenticated directory: the organization its token belongs to.
pub struct Directory {
    pub org_id: String,
    /// `{public_url}/scim/v2`
    pub base: String,
    pub meta: RequestMeta,
    pub now: DateTime<Utc>,
}

impl Directory {
    pub fn location(&self, kind: Kind, id: &str) -> String {
        format!("{}/{}/{id}", self.base, kind.endpoint())
    }

    /// Writes an audit event with the directory as actor.
    pub async fn record(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        action: &str,
        target: &str,
        details: Value,
    ) -> ScimResult<()> {
        let event = audit::Event { organization_id: &self.org_id, actor: DIRECTORY_ACTOR, action, target, details };
        audit::record(db, &self.meta, self.now, event).await?;
        Ok(())
    }
}

/// A POST or PUT body: a resource object, canonicalized for storage.
pub async fn read_resource(req: &HttpRequest, payload: web::Payload, kind: Kind) -> ScimResult<Map<String, Value>> {
    let body = read_json(req, payload).await?;
    let input = body
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax(format!("The body must be a {} object.", kind.name())))?;
    document::canonicalize(kind, input)
}

fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim()).filter(|t| !t.is_empty())
}

async fn authenticate(req: HttpRequest) -> ScimResult<Directory> {
    let state = req.app_data::<web::Data<AppState>>().ok_or_else(ScimError::internal)?;
    let token = bearer(&req).ok_or_else(|| {
        ScimError::new(StatusCode::UNAUTHORIZED, None, "Send the Directory Sync token as 'Authorization: Bearer …'.")
    })?;
    let now = state.clock.now();
    let hash = token_hash(token);
    let authorized = match state.scim.cached(&hash, now) {
        Some(a) => a,
        None => {
            let generation = state.scim.generation();
            let row = entity::token::Entity::find()
                .filter(entity::token::Column::TokenHash.eq(hash.as_str()))
                .one(&state.db)
                .await?;
            let Some(row) = row else {
                return Err(refused_token(state, &req, &hash, now).await?);
            };
            let feature = feature::Entity::find_by_id((row.organization_id.clone(), FEATURE_DIRECTORY_SYNC.to_owned()))
                .one(&state.db)
                .await?;
            let a = Authorized {
                org_id: row.organization_id,
                status: feature.map(|f| crate::provisioning::service::status_of(&f.status)),
                at: now,
            };
            state.scim.remember(hash.clone(), a.clone(), generation);
            a
        }
    };
    let org_id = authorized.org_id;
    let status = authorized.status.ok_or_else(|| {
        ScimError::new(StatusCode::FORBIDDEN, None, "Directory Sync is not purchased for this organization.")
    })?;
    if status == IntegrationStatus::Inactive {
        return Err(ScimError::new(
            StatusCode::FORBIDDEN,
            None,
            "Directory Sync is turned off for this organization. An administrator can turn it back on.",
        ));
    }
    if let Err(retry_after_secs) = state.scim.limiter.check(&org_id, now) {
        return Err(ScimError {
            retry_after_secs: Some(retry_after_secs),
            ..ScimError::new(
                StatusCode::TOO_MANY_REQUESTS,
                None,
                "Too many requests for this organization; retry later.",
            )
        });
    }
    let meta = RequestMeta::from_request(&req, &mut Payload::None).await.unwrap_or_default();
    record_activity(state, &org_id, status, now, &meta).await?;
    Ok(Directory { org_id, base: format!("{}/scim/v2", state.public_url), meta, now })
}

/// The 401 for a token that is not the organization's current one. A token
/// the organization replaced means its directory was not updated: Directory
/// Sync turns `error`, with the reason, until the new token is used.
async fn refused_token(state: &AppState, req: &HttpRequest, hash: &str, now: DateTime<Utc>) -> ScimResult<ScimError> {
    let remembered = entity::replaced_token::Entity::find_by_id(hash)
        .filter(entity::replaced_token::Column::ReplacedAt.gte(now - credentials::REMEMBER_REPLACED))
        .one(&state.db)
        .await?;
    let Some(old) = remembered else {
        return Ok(ScimError::new(
            StatusCode::UNAUTHORIZED,
            None,
            "This token is not valid: it was mistyped or replaced. Generate a new one from the setup link.",
        ));
    };
    let replaced = old.replaced_at.format("%Y-%m-%d %H:%M UTC");
    let reason = format!(
        "The directory sent a token that was replaced on {replaced}: enter the current token in the identity provider's \
         provisioning settings (or generate a new one with a setup link)."
    );
    // The status and its audit event land together or not at all.
    let txn = state.begin_write().await?;
    let meta = RequestMeta::from_request(req, &mut Payload::None).await.unwrap_or_default();
    let event = audit::Event {
        organization_id: &old.organization_id,
        actor: DIRECTORY_ACTOR,
        action: "directory_sync.error",
        target: FEATURE_DIRECTORY_SYNC,
        details: json!({ "reason": "replaced token", "replaced_at": old.replaced_at }),
    };
    let t = crate::features::Transition {
        org_id: &old.organization_id,
        feature: FEATURE_DIRECTORY_SYNC,
        from: &[IntegrationStatus::Active, IntegrationStatus::Awaiting],
        to: IntegrationStatus::Error,
        reason: Some(&reason),
    };
    let marked = crate::features::transition(&*txn, t, now, &meta, Some(event)).await?;
    txn.commit().await?;
    if marked {
        state.scim.forget(&old.organization_id);
    }
    Ok(ScimError::new(
        StatusCode::UNAUTHORIZED,
        None,
        format!("This token was replaced on {replaced}. Use the organization's current Directory Sync token."),
    ))
}

/// The first authenticated request turns the status `active`; afterwards
/// `last_activity_at` is refreshed at most once a minute per process.
async fn record_activity(
    state: &AppState,
    org_id: &str,
    status: IntegrationStatus,
    now: DateTime<Utc>,
    meta: &RequestMeta,
) -> ScimResult<()> {
    if status != IntegrationStatus::Active {
        // From `awaiting` (first request) or `error` (the current token
        // again); the status and its audit event land together.
        let txn = state.begin_write().await?;
        let event = audit::Event {
            organization_id: org_id,
            actor: DIRECTORY_ACTOR,
            action: "directory_sync.activated",
            target: FEATURE_DIRECTORY_SYNC,
            details: json!({ "reason": if status == IntegrationStatus::Error {
                "authenticated SCIM request after an error"
            } else {
                "first authenticated SCIM request"
            } }),
        };
        let t = crate::features::Transition {
            org_id,
            feature: FEATURE_DIRECTORY_SYNC,
            from: &[IntegrationStatus::Awaiting, IntegrationStatus::Error],
            to: IntegrationStatus::Active,
            reason: None,
        };
        crate::features::transition(&*txn, t, now, meta, Some(event)).await?;
        txn.commit().await?;
        state.scim.written(org_id, now);
        state.scim.forget(org_id);
    } else if state.scim.due(org_id, now) {
        crate::features::touch(&state.db, org_id, FEATURE_DIRECTORY_SYNC, now).await?;
        state.scim.written(org_id, now);
    }
    Ok(())
}

impl FromRequest for Directory {
    type Error = ScimError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(authenticate(req.clone()))
    }
}

/// A JSON request body of at most `MAX_BODY_BYTES` (413 beyond), whatever
/// its content type says (`application/scim+json` or `application/json`).
pub async fn read_json(req: &HttpRequest, payload: web::Payload) -> ScimResult<Value> {
    let too_large = || {
        ScimError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            format!("The request body is larger than {MAX_BODY_BYTES} bytes."),
        )
    };
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(too_large());
    }
    let bytes = payload.to_bytes_limited(MAX_BODY_BYTES).await.map_err(|_| too_large())?.map_err(|e| {
        match e.as_error().is_some_and(crate::error::timed_out) {
            true => ScimError::new(StatusCode::REQUEST_TIMEOUT, None, "The request body did not arrive in time."),
            false => ScimError::invalid_syntax("The request body could not be read."),
        }
    })?;
    let body: Value = serde_json::from_slice(&bytes)
        .map_err(|e| ScimError::invalid_syntax(format!("The body is not valid JSON: {e}.")))?;
    // Refused on every database alike (PostgreSQL cannot store it).
    if holds_nul(&body) {
        return Err(ScimError::invalid_value(crate::error::NUL_REFUSED));
    }
    Ok(body)
}

/// Whether any string (or key) in the document contains a NUL character.
fn holds_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

pub fn respond(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON)))
        .body(body.to_string())
}

pub fn created(location: &str, body: &Value) -> HttpResponse {
    let mut res = respond(StatusCode::CREATED, body);
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// `attributes` and `excludedAttributes`, from a query string or a search body.
#[derive(Default)]
pub struct Projection {
    pub attributes: Vec<AttrPath>,
    pub excluded: Vec<AttrPath>,
}

impl Projection {
    pub fn apply(&self, kind: Kind, resource: &mut Map<String, Value>) {
        document::project(kind, resource, &self.attributes, &self.excluded);
    }

    /// Whether the answer includes this (top-level, core) attribute.
    pub fn includes(&self, name: &str) -> bool {
        if !self.attributes.is_empty() {
            return self.attributes.iter().any(|p| p.name.eq_ignore_ascii_case(name));
        }
        !self.excluded.iter().any(|p| p.name.eq_ignore_ascii_case(name) && p.sub.is_none())
    }
}

pub struct ListParams {
    pub filter: Option<Filter>,
    pub start_index: u64,
    pub count: u64,
    pub projection: Projection,
}

type Query = web::Query<HashMap<String, String>>;

fn param<'a>(q: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

fn projection(attributes: Option<&str>, excluded: Option<&str>) -> ScimResult<Projection> {
    Ok(Projection {
        attributes: document::parse_attribute_list(attributes)?,
        excluded: document::parse_attribute_list(excluded)?,
    })
}

fn list_params(
    kind: Kind,
    filter: Option<&str>,
    start_index: Option<i64>,
    count: Option<i64>,
    projection: Projection,
) -> ScimResult<ListParams> {
    let filter = match filter.filter(|f| !f.trim().is_empty()) {
        None => None,
        Some(f) => {
            let parsed = filter::parse_filter(f).map_err(|e| ScimError::invalid_filter(e.0))?;
            filter::check(kind, &parsed).map_err(|e| ScimError::invalid_filter(e.0))?;
            Some(parsed)
        }
    };
    Ok(ListParams {
        filter,
        // RFC 7644 §3.4.2.4: values below 1 mean 1; negative counts mean 0.
        start_index: start_index.unwrap_or(1).max(1) as u64,
        count: (count.unwrap_or(DEFAULT_COUNT as i64).max(0) as u64).min(MAX_RESULTS),
        projection,
    })
}

fn int_param(q: &HashMap<String, String>, name: &str) -> ScimResult<Option<i64>> {
    param(q, name)
        .map(|v| v.trim().parse::<i64>().map_err(|_| ScimError::invalid_value(format!("'{name}' must be an integer."))))
        .transpose()
}

pub fn query_list_params(kind: Kind, q: &HashMap<String, String>) -> ScimResult<ListParams> {
    list_params(
        kind,
        param(q, "filter"),
        int_param(q, "startIndex")?,
        int_param(q, "count")?,
        projection(param(q, "attributes"), param(q, "excludedAttributes"))?,
    )
}

/// `POST …/.search` (RFC 7644 §3.4.3): the same parameters in a body.
pub fn search_list_params(kind: Kind, body: &Value) -> ScimResult<ListParams> {
    let map = body.as_object().ok_or_else(|| ScimError::invalid_syntax("The body must be a SearchRequest object."))?;
    let get = |name: &str| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v);
    let list = |name: &str| -> ScimResult<Option<String>> {
        match get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Array(items)) => Ok(Some(
                items
                    .iter()
                    .map(|i| i.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| ScimError::invalid_value(format!("'{name}' must be a list of attribute names.")))?
                    .join(","),
            )),
            Some(_) => Err(ScimError::invalid_value(format!("'{name}' must be a list of attribute names."))),
        }
    };
    let int = |name: &str| -> ScimResult<Option<i64>> {
        match get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => {
                v.as_i64().map(Some).ok_or_else(|| ScimError::invalid_value(format!("'{name}' must be an integer.")))
            }
        }
    };
    let filter = match get("filter") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(ScimError::invalid_filter("'filter' must be a string.")),
    };
    let attributes = list("attributes")?;
    let excluded = list("excludedAttributes")?;
    list_params(
        kind,
        filter,
        int("startIndex")?,
        int("count")?,
        projection(attributes.as_deref(), excluded.as_deref())?,
    )
}

pub fn list_response(total: u64, start_index: u64, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [schema::LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

/// `meta` of a stored resource.
pub fn meta(
    dir: &Directory,
    kind: Kind,
    id: &str,
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
    version: i64,
) -> Value {
    json!({
        "resourceType": kind.name(),
        "created": created.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "lastModified": updated.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "location": dir.location(kind, id),
        "version": format!("W/\"{version}\""),
    })
}

// ---- discovery -------------------------------------------------------------

async fn service_provider_config(dir: Directory) -> HttpResponse {
    respond(StatusCode::OK, &schema::service_provider_config(&dir.base, MAX_RESULTS as usize, MAX_BODY_BYTES))
}

async fn resource_types(dir: Directory) -> HttpResponse {
    let all: Vec<Value> =
        [Kind::User, Kind::Group].into_iter().map(|k| schema::resource_type_json(k, &dir.base)).collect();
    respond(StatusCode::OK, &list_response(all.len() as u64, 1, all))
}

async fn resource_type(dir: Directory, id: web::Path<String>) -> ScimResult<HttpResponse> {
    let kind = [Kind::User, Kind::Group]
        .into_iter()
        .find(|k| k.name() == id.as_str())
        .ok_or_else(|| ScimError::not_found("ResourceType", &id))?;
    Ok(respond(StatusCode::OK, &schema::resource_type_json(kind, &dir.base)))
}

async fn schemas(dir: Directory) -> HttpResponse {
    let all: Vec<Value> = schema::all_schemas().into_iter().map(|s| schema::schema_json(s, &dir.base)).collect();
    respond(StatusCode::OK, &list_response(all.len() as u64, 1, all))
}

async fn one_schema(dir: Directory, id: web::Path<String>) -> ScimResult<HttpResponse> {
    let s = schema::all_schemas()
        .into_iter()
        .find(|s| s.id == id.as_str())
        .ok_or_else(|| ScimError::not_found("Schema", &id))?;
    Ok(respond(StatusCode::OK, &schema::schema_json(s, &dir.base)))
}

async fn root_search(_dir: Directory) -> ScimResult<HttpResponse> {
    Err(ScimError::new(
        StatusCode::NOT_IMPLEMENTED,
        None,
        "Searching several resource types at once is not supported; use /Users/.search or /Groups/.search.",
    ))
}

/// `/Me` (RFC 7644 §3.11): a directory's bearer token stands for the
/// directory, not for a User, so there is no "me" to answer for.
async fn me(_dir: Directory) -> ScimResult<HttpResponse> {
    Err(ScimError::new(
        StatusCode::NOT_IMPLEMENTED,
        None,
        "/Me is not supported: the bearer token belongs to the directory, not to a User.",
    ))
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// A status read before Directory Sync is turned off is not remembered
    /// after it (it would keep the token working for up to AUTH_CACHE_SECS).
    #[test]
    fn a_status_read_before_a_forget_is_not_remembered() {
        let runtime = Runtime::new(0);
        let now = Utc::now();
        let authorized = || Authorized { org_id: "org_a".into(), status: Some(IntegrationStatus::Active), at: now };
        let read_at = runtime.generation();
        runtime.forget("org_a");
        runtime.remember("h".into(), authorized(), read_at);
        assert!(runtime.cached("h", now).is_none());
        runtime.remember("h".into(), authorized(), runtime.generation());
        assert!(runtime.cached("h", now).is_some());
    }

    #[test]
    fn paging_parameters_are_clamped() {
        let q = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
        };
        let p = query_list_params(Kind::User, &q(&[("count", "5000"), ("startIndex", "0")])).ok();
        assert_eq!(p.map(|p| (p.count, p.start_index)), Some((MAX_RESULTS, 1)));
        let p = query_list_params(Kind::User, &q(&[("COUNT", "-3"), ("startindex", "7")])).ok();
        assert_eq!(p.map(|p| (p.count, p.start_index)), Some((0, 7)), "parameter names are case-insensitive");
        let p = query_list_params(Kind::User, &q(&[])).ok();
        assert_eq!(p.map(|p| (p.count, p.start_index)), Some((DEFAULT_COUNT, 1)));
        assert!(query_list_params(Kind::User, &q(&[("count", "lots")])).is_err());
    }
}
