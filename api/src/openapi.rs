//! The OpenAPI document, generated from the handlers' `#[utoipa::path]`s.
//! `just openapi` writes it to `openapi/openapi.json`; a test fails when the
//! committed file is stale.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::accounts::handlers as accounts;
use crate::billing::handlers as billing;
use crate::domains::handlers as domains;
use crate::health;
use crate::provisioning::handlers as provisioning;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gatehouse API",
        description = "Sell and set up enterprise SSO and SCIM for your business customers. Errors are `application/problem+json` (RFC 9457).",
    ),
    paths(
        health::health, health::ready,
        accounts::signup, accounts::confirm_signup, accounts::login, accounts::logout, accounts::me,
        accounts::members, accounts::update_member, accounts::remove_member,
        accounts::invites, accounts::create_invite, accounts::revoke_invite, accounts::resend_invite,
        accounts::preview_invite, accounts::accept_invite,
        accounts::list_organizations, accounts::create_organization,
        provisioning::plans, provisioning::state, provisioning::set_default_plan,
        domains::add, domains::remove, domains::verify,
        billing::prices, billing::create, billing::confirm, billing::purchases,
        provisioning::set_invite_settings,
        crate::provisioning::integrations::sso, crate::provisioning::integrations::directory_sync,
        crate::audit::read::list,
        crate::setup::handlers::create, crate::setup::handlers::list, crate::setup::handlers::revoke,
        crate::setup::handlers::info, crate::scim::credentials::scim_credentials,
        crate::sso::get_connection, crate::sso::put_connection, crate::sso::start_test, crate::sso::start_login,
        crate::sso::get_enforcement, crate::sso::put_enforcement, crate::sso::admin_test,
        crate::provider::openid_configuration, crate::provider::jwks,
        crate::provider::flow::authorize, crate::provider::flow::token, crate::provider::flow::userinfo,
        crate::provider::flow::userinfo_post, crate::provider::flow::revoke,
        crate::provider::flow::logout, crate::provider::flow::logout_post,
        crate::events::handlers::list,
        crate::webhooks::endpoints::create, crate::webhooks::endpoints::list, crate::webhooks::endpoints::get,
        crate::webhooks::endpoints::update, crate::webhooks::endpoints::delete, crate::webhooks::endpoints::rotate_secret,
        crate::webhooks::endpoints::attempts, crate::webhooks::endpoints::replay,
    ),
    modifiers(&Security, &Unauthorized),
    tags(
        (name = "accounts", description = "Sign-up, login, members and invites"),
        (name = "provisioning", description = "The Single Sign-On / Provision tab: domains, plans, state"),
        (name = "checkout", description = "Buy Single Sign-On and Directory Sync"),
        (name = "audit", description = "The audit log"),
        (name = "setup", description = "24-hour setup links for the customer's IT admin"),
        (name = "sso", description = "Single Sign-On: the connection to the identity provider and test sign-in"),
        (name = "openid", description = "Gatehouse as the OpenID Provider of the SaaS's applications"),
        (name = "service", description = "Liveness and readiness"),
        (name = "webhooks", description = "Signed POSTs of every event to the SaaS's endpoints (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`), at least once, retried for about 3 days; service keys only"),
        (name = "integrators", description = "Server-to-server calls with an operator's service key (`gatehouse keys create`), sent as `Authorization: Bearer gh_sk_…`; a `read` key may only read"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
        components.add_security_scheme(
            "service_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("gh_sk_…")
                    .description(Some("An operator's service key (`gatehouse keys create --scope read|write`)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::extract::SESSION_COOKIE))),
        );
    }
}

/// Answers every operation of a kind can give, documented once here: 401
/// for those that need a session (no token, or one that expired or was
/// logged out); 400 and 413 for those that take a body (not JSON, not the
/// expected shape, larger than 1 MiB).
struct Unauthorized;

impl Modify for Unauthorized {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
                &mut item.head,
                &mut item.options,
                &mut item.trace,
            ];
            let writes = [false, true, true, true, true, false, false, false];
            for (op, writes) in operations.into_iter().zip(writes).filter_map(|(o, w)| Some((o.as_mut()?, w))) {
                let mut add = |status: &str, description: &str| {
                    op.responses.responses.entry(status.to_owned()).or_insert_with(|| {
                        RefOr::T(
                            ResponseBuilder::new()
                                .description(description)
                                .content(
                                    "application/problem+json",
                                    ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
                                )
                                .build(),
                        )
                    });
                };
                if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    add("401", "Not signed in, or the session was logged out or expired");
                }
                let by_key = op
                    .security
                    .iter()
                    .flatten()
                    .any(|r| serde_json::to_value(r).is_ok_and(|v| v.get("service_key").is_some()));
                if by_key && writes {
                    add("403", "A `read` service key cannot change anything (`insufficient_scope`)");
                }
                if op.request_body.is_some() {
                    add(
                        "400",
                        "The body is not JSON of the expected shape (`malformed_json`, `invalid_body`, `unsupported_content_type`)",
                    );
                    add("413", "The body is larger than 1 MiB (`body_too_large`)");
                }
            }
        }
    }
}

/// The document as served and committed.
pub fn document() -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    tidy(&mut doc);
    doc
}

/// What the derive leaves for client generators and linters to trip on:
/// - `servers`: the operator's `GATEHOUSE_PUBLIC_URL`, as variables;
/// - operations without security are public, said so (`security: []`);
/// - a field that is one other schema is that schema (`$ref`), not a
///   one-element `oneOf`, and a required field has no `default` (the
///   derive copies `#[serde(default)]`'s empty values, which a required
///   field never takes and which break the field's own rules).
fn tidy(doc: &mut serde_json::Value) {
    use serde_json::{Value, json};
    doc["servers"] = json!([{
        "url": "{scheme}://{host}",
        "description": "Your Gatehouse server (GATEHOUSE_PUBLIC_URL)",
        "variables": {
            "scheme": { "default": "http", "enum": ["http", "https"] },
            "host": { "default": "localhost:8080", "description": "Host and port" }
        }
    }]);
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for op in item.values_mut().filter_map(Value::as_object_mut) {
                op.entry("security").or_insert_with(|| json!([]));
            }
        }
    }
    fn fields(schema: &mut Value) {
        let Some(obj) = schema.as_object_mut() else { return };
        let required: Vec<String> = obj
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
            for (name, prop) in props.iter_mut() {
                if let Some(p) = prop.as_object_mut() {
                    let single = p.get("oneOf").and_then(Value::as_array).filter(|a| a.len() == 1).cloned();
                    if let Some(only) = single {
                        let description = p.get("description").cloned();
                        *prop = only[0].clone();
                        if let (Some(d), Some(o)) = (description, prop.as_object_mut())
                            && !o.contains_key("$ref")
                        {
                            o.insert("description".to_owned(), d);
                        }
                    } else if required.contains(name) {
                        p.remove("default");
                    }
                }
                fields(prop);
            }
        }
        for key in ["items", "additionalProperties"] {
            if let Some(inner) = obj.get_mut(key) {
                fields(inner);
            }
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            if let Some(list) = obj.get_mut(key).and_then(Value::as_array_mut) {
                list.iter_mut().for_each(fields);
            }
        }
    }
    if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        schemas.values_mut().for_each(fields);
    }
    examples(doc);
}

/// Every JSON request body and answer gets an example: the schema's own
/// when it has one, else one built from its fields' examples, types and
/// names; a problem's from its status and the answer's description.
fn examples(doc: &mut serde_json::Value) {
    use serde_json::Value;
    let schemas = doc.pointer("/components/schemas").cloned().unwrap_or(Value::Null);
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for op in item.values_mut().filter_map(Value::as_object_mut) {
            let body = op.get_mut("requestBody").and_then(|b| b.get_mut("content")).and_then(Value::as_object_mut);
            if let Some(content) = body {
                for (kind, media) in content.iter_mut() {
                    if kind.contains("json") && media.get("example").is_none() {
                        let example = media.get("schema").map(|s| example_of(s, &schemas, "", 0));
                        if let Some(e) = example.filter(|e| !e.is_null()) {
                            media["example"] = e;
                        }
                    }
                }
            }
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else { continue };
            for (status, answer) in responses.iter_mut() {
                let description = answer.get("description").and_then(Value::as_str).unwrap_or_default().to_owned();
                let Some(content) = answer.get_mut("content").and_then(Value::as_object_mut) else { continue };
                for (kind, media) in content.iter_mut() {
                    if !kind.contains("json") || media.get("example").is_some() {
                        continue;
                    }
                    let example = if kind == "application/problem+json" {
                        problem_example(status, &description)
                    } else if media.get("schema").is_none() {
                        oauth_example(status, &description)
                    } else {
                        media.get("schema").map(|s| example_of(s, &schemas, "", 0)).unwrap_or(Value::Null)
                    };
                    if !example.is_null() {
                        media["example"] = example;
                    }
                }
            }
        }
    }
}

/// The OAuth and OpenID Connect answers (their shapes are the RFCs'): an
/// error is `{error, error_description}` (RFC 6749 § 5.2).
fn oauth_example(status: &str, description: &str) -> serde_json::Value {
    use serde_json::json;
    let jwt = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL2dhdGVob3VzZS5leGFtcGxlLmNvbSJ9.c2lnbmF0dXJl";
    if status.starts_with('2') {
        return if description.starts_with("`{access_token") {
            json!({ "access_token": jwt, "token_type": "Bearer", "expires_in": 300, "id_token": jwt,
                    "refresh_token": "ghr_8xLr0Yf3QpA9mW2sT7vN1cK4", "scope": "openid email profile" })
        } else if description.contains("public keys") {
            json!({ "keys": [{ "kty": "RSA", "use": "sig", "alg": "RS256", "kid": "k1",
                               "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
                               "e": "AQAB" }] })
        } else {
            json!({ "sub": "usr_0193b3a2c5d07c3e9a8b1c2d3e4f5a6b", "email": "ada@acme.com", "email_verified": true,
                    "name": "Ada Lovelace", "org_id": "org_0193b3a2c5d07c3e9a8b1c2d3e4f5a6b", "role": "member", "plan_id": "plan_core" })
        };
    }
    let error = description
        .strip_prefix('`')
        .and_then(|d| d.split_once('`'))
        .map_or("invalid_client", |(code, _)| code)
        .to_owned();
    json!({ "error": error, "error_description": description.replace('`', "") })
}

/// A problem as the server answers one.
fn problem_example(status: &str, description: &str) -> serde_json::Value {
    use serde_json::json;
    let code: u16 = status.parse().unwrap_or(400);
    let title = actix_web::http::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
        .to_owned();
    // The reason's code, when the description names one (`cursor_expired`: …).
    let named = description.strip_prefix('`').and_then(|d| d.split_once('`')).map(|(c, _)| c.to_owned());
    let mut p = json!({ "type": "about:blank", "title": title, "status": code, "detail": description });
    if let Some(c) = named.filter(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_')) {
        p["code"] = json!(c);
    }
    if code == 422 {
        p["code"] = json!("validation_failed");
        p["errors"] = json!([{ "field": "email", "code": "invalid_email", "message": "Enter an email address like ada@acme.com." }]);
    }
    p
}

/// An example value for `schema`; `name` is the field it is for.
fn example_of(schema: &serde_json::Value, schemas: &serde_json::Value, name: &str, depth: usize) -> serde_json::Value {
    use serde_json::{Value, json};
    if depth > 8 {
        return Value::Null;
    }
    if let Some(e) = schema.get("example") {
        return e.clone();
    }
    if let Some(e) = schema.get("examples").and_then(Value::as_array).and_then(|a| a.first()) {
        return e.clone();
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let target = r.rsplit('/').next().and_then(|n| schemas.get(n)).cloned().unwrap_or(Value::Null);
        return example_of(&target, schemas, name, depth + 1);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(list) = schema.get(key).and_then(Value::as_array) {
            let first = list.iter().find(|s| s.get("type").and_then(Value::as_str) != Some("null"));
            return first.map(|s| example_of(s, schemas, name, depth + 1)).unwrap_or(Value::Null);
        }
    }
    if let Some(list) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = serde_json::Map::new();
        for part in list {
            if let Value::Object(o) = example_of(part, schemas, name, depth + 1) {
                merged.extend(o);
            }
        }
        return Value::Object(merged);
    }
    if let Some(first) = schema.get("enum").and_then(Value::as_array).and_then(|a| a.first()) {
        return first.clone();
    }
    let kind = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => {
            ts.iter().filter_map(Value::as_str).find(|t| *t != "null").unwrap_or("null").to_owned()
        }
        _ if schema.get("properties").is_some() => "object".to_owned(),
        _ => return Value::Null,
    };
    match kind.as_str() {
        "object" => {
            let mut out = serde_json::Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                let person = props.contains_key("email");
                for (field, s) in props {
                    let hint = if field == "name" && person { "person_name" } else { field.as_str() };
                    let v = example_of(s, schemas, hint, depth + 1);
                    out.insert(field.clone(), v);
                }
            }
            Value::Object(out)
        }
        "array" => {
            let item = schema.get("items").map(|s| example_of(s, schemas, name, depth + 1)).unwrap_or(Value::Null);
            if item.is_null() { json!([]) } else { json!([item]) }
        }
        "boolean" => json!(matches!(name, "enabled" | "active" | "required" | "verified")),
        "integer" | "number" => {
            let n = match name {
                "status" => 200,
                "amount" | "amount_cents" | "total" => 12_900,
                "latency_ms" => 87,
                "limit" => 50,
                "queued" => 10,
                _ => 1,
            };
            let min = schema.get("minimum").and_then(Value::as_i64).unwrap_or(i64::MIN);
            json!(n.max(min))
        }
        "string" => json!(string_example(schema, name)),
        _ => Value::Null,
    }
}

/// A plausible string for a field of this name and format.
fn string_example(schema: &serde_json::Value, name: &str) -> String {
    let format = schema.get("format").and_then(serde_json::Value::as_str).unwrap_or_default();
    let id = |prefix: &str| format!("{prefix}0193b3a2c5d07c3e9a8b1c2d3e4f5a6b");
    match (format, name) {
        ("date-time", _) => "2026-12-01T09:30:00Z".to_owned(),
        ("date", _) => "2026-12-01".to_owned(),
        ("uri" | "url", _) => "https://app.example.com/webhooks/gatehouse".to_owned(),
        (_, "organization_id" | "org_id") => id("org_"),
        (_, "user_id") => id("usr_"),
        (_, "invite_id") => id("inv_"),
        (_, "domain_id") => id("dom_"),
        (_, "checkout_id") => id("chk_"),
        (_, "purchase_id") => id("pur_"),
        (_, "event_id") => id("evt_"),
        (_, "link_id") => id("lnk_"),
        (_, "endpoint_id") => id("whe_"),
        (_, "delivery_id") => id("whd_"),
        (_, "connection_id") => id("con_"),
        (_, "group_id") => id("grp_"),
        (_, "plan_id") => "plan_core".to_owned(),
        (_, "email" | "admin_email" | "user_email") => "ada@acme.com".to_owned(),
        (_, "domain") => "acme.com".to_owned(),
        (_, "person_name") => "Ada Lovelace".to_owned(),
        (_, "name" | "organization_name") => "Acme".to_owned(),
        (_, "currency") => "usd".to_owned(),
        (_, "secret") => "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned(),
        (_, "next_cursor" | "cursor") => "MjAyNi0xMi0wMVQwOTozMDowMFp8dXNyXzAxOTM".to_owned(),
        (_, "url" | "redirect_url" | "setup_url") => "https://gatehouse.example.com/setup/…".to_owned(),
        (_, "description") => "Provisioning sync".to_owned(),
        (_, n) if n.ends_with("_at") => "2026-12-01T09:30:00Z".to_owned(),
        (_, "") => "string".to_owned(),
        (_, n) => n.replace('_', " "),
    }
}

pub fn json() -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(&document())? + "\n")
}
