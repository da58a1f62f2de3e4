//! SCIM over HTTP: reading bodies (size, JSON, NUL), answering
//! (`application/scim+json`), list parameters, projections and `meta`.

#[allow(clippy::wildcard_imports)]
use super::*;

/// A POST or PUT body: a resource object, canonicalized for storage.
pub async fn read_resource(req: &HttpRequest, payload: web::Payload, kind: Kind) -> ScimResult<Map<String, Value>> {
    let body = read_json(req, payload).await?;
    let input = body
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax(format!("The body must be a {} object.", kind.name())))?;
    document::canonicalize(kind, input)
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
pub(crate) fn holds_nul(v: &Value) -> bool {
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

pub(crate) type Query = web::Query<HashMap<String, String>>;

pub(crate) fn param<'a>(q: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

pub(crate) fn projection(attributes: Option<&str>, excluded: Option<&str>) -> ScimResult<Projection> {
    Ok(Projection {
        attributes: document::parse_attribute_list(attributes)?,
        excluded: document::parse_attribute_list(excluded)?,
    })
}

pub(crate) fn list_params(
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

pub(crate) fn int_param(q: &HashMap<String, String>, name: &str) -> ScimResult<Option<i64>> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
