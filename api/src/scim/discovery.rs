//! Discovery (RFC 7644 §4): ServiceProviderConfig, ResourceTypes,
//! Schemas, and the endpoints we answer 501 for (`/.search`, `/Me`).

#[allow(clippy::wildcard_imports)]
use super::*;

pub(crate) async fn service_provider_config(dir: Directory) -> HttpResponse {
    respond(StatusCode::OK, &schema::service_provider_config(&dir.base, MAX_RESULTS as usize, MAX_BODY_BYTES))
}

pub(crate) async fn resource_types(dir: Directory) -> HttpResponse {
    let all: Vec<Value> =
        [Kind::User, Kind::Group].into_iter().map(|k| schema::resource_type_json(k, &dir.base)).collect();
    respond(StatusCode::OK, &list_response(all.len() as u64, 1, all))
}

pub(crate) async fn resource_type(dir: Directory, id: web::Path<String>) -> ScimResult<HttpResponse> {
    let kind = [Kind::User, Kind::Group]
        .into_iter()
        .find(|k| k.name() == id.as_str())
        .ok_or_else(|| ScimError::not_found("ResourceType", &id))?;
    Ok(respond(StatusCode::OK, &schema::resource_type_json(kind, &dir.base)))
}

pub(crate) async fn schemas(dir: Directory) -> HttpResponse {
    let all: Vec<Value> = schema::all_schemas().into_iter().map(|s| schema::schema_json(s, &dir.base)).collect();
    respond(StatusCode::OK, &list_response(all.len() as u64, 1, all))
}

pub(crate) async fn one_schema(dir: Directory, id: web::Path<String>) -> ScimResult<HttpResponse> {
    let s = schema::all_schemas()
        .into_iter()
        .find(|s| s.id == id.as_str())
        .ok_or_else(|| ScimError::not_found("Schema", &id))?;
    Ok(respond(StatusCode::OK, &schema::schema_json(s, &dir.base)))
}

pub(crate) async fn root_search(_dir: Directory) -> ScimResult<HttpResponse> {
    Err(ScimError::new(
        StatusCode::NOT_IMPLEMENTED,
        None,
        "Searching several resource types at once is not supported; use /Users/.search or /Groups/.search.",
    ))
}

/// `/Me` (RFC 7644 §3.11): a directory's bearer token stands for the
/// directory, not for a User, so there is no "me" to answer for.
pub(crate) async fn me(_dir: Directory) -> ScimResult<HttpResponse> {
    Err(ScimError::new(
        StatusCode::NOT_IMPLEMENTED,
        None,
        "/Me is not supported: the bearer token belongs to the directory, not to a User.",
    ))
}
