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
}

pub fn json() -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(&document())? + "\n")
}
