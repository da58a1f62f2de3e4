use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Options, read, spawn_app, spawn_app_with};

#[actix_web::test]
async fn health_ready_and_request_ids() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let id = res.headers().get("x-request-id").unwrap().to_str().unwrap().to_owned();
    assert!(!id.is_empty());
    assert_eq!(res.headers().get("referrer-policy").unwrap(), "no-referrer");
    let res = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_ne!(res.headers().get("x-request-id").unwrap().to_str().unwrap(), id);
}

#[actix_web::test]
async fn unknown_api_paths_are_problem_json_404() {
    let app = spawn_app().await;
    for path in ["/api/v1/nope", "/api/v2/me", "/nothing-here"] {
        let (status, body) = read(app.client.get(app.url(path)).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["code"], "not_found");
    }
}

#[actix_web::test]
async fn spa_is_served_with_fallback_for_client_routes() {
    let web = tempfile::tempdir().unwrap();
    std::fs::write(web.path().join("index.html"), "<!doctype html><title>spa</title>").unwrap();
    std::fs::write(web.path().join("app.js"), "console.log(1)").unwrap();
    let app = spawn_app_with(Options { web_dir: Some(web.path().to_path_buf()), ..Options::default() }).await;

    for path in ["/", "/login", "/organizations/org_x/members"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(res.text().await.unwrap().contains("<title>spa</title>"), "{path}");
    }
    let js = app.client.get(app.url("/app.js")).send().await.unwrap();
    assert_eq!(js.text().await.unwrap(), "console.log(1)");
    // The API never answers with the SPA.
    let (status, _) = read(app.client.get(app.url("/api/v1/nope")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn openapi_and_swagger_ui_are_served() {
    let app = spawn_app().await;
    let (status, doc) = read(app.client.get(app.url("/api-docs/openapi.json")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["paths"]["/api/v1/auth/signup"]["post"].is_object());
    let res = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("swagger"));
}

#[test]
fn committed_openapi_document_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let generated = api::openapi::json().unwrap();
    assert!(committed == generated, "openapi/openapi.json is stale: run `just openapi` and commit it");
}

/// Every parameter documented as a path parameter is in its path (a query
/// struct without `parameter_in = Query` documents its fields as required
/// path parameters, and generated clients then send them wrongly).
#[test]
fn documented_path_parameters_are_in_their_paths() {
    let doc: Value = serde_json::from_str(&api::openapi::json().unwrap()).unwrap();
    let mut wrong = Vec::new();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            for p in operation["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap();
                if p["in"] == "path" && !path.contains(&format!("{{{name}}}")) {
                    wrong.push(format!("{method} {path}: {name}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "path parameters missing from their paths: {wrong:?}");
}

/// Every JSON request body and answer has an example (the schema's own, or
/// one built from its fields; `just openapi-lint` checks each against its
/// schema), and a problem's example has its answer's status.
#[test]
fn every_json_body_and_answer_has_an_example() {
    let doc: Value = serde_json::from_str(&api::openapi::json().unwrap()).unwrap();
    let mut missing = Vec::new();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, op) in operations.as_object().unwrap() {
            let bodies = op["requestBody"]["content"].as_object().into_iter().flatten().map(|(k, v)| ("request", k, v));
            let answers = op["responses"].as_object().into_iter().flatten().flat_map(|(status, r)| {
                r["content"].as_object().into_iter().flatten().map(move |(k, v)| (status.as_str(), k, v))
            });
            for (what, kind, media) in bodies.chain(answers) {
                if !kind.contains("json") {
                    continue;
                }
                match media.get("example") {
                    None | Some(Value::Null) => missing.push(format!("{method} {path} {what} {kind}")),
                    Some(e) if kind == "application/problem+json" => {
                        assert_eq!(e["status"].as_u64().map(|s| s.to_string()).as_deref(), Some(what), "{path}: {e}");
                    }
                    Some(_) => {}
                }
            }
        }
    }
    assert!(missing.is_empty(), "no example: {missing:?}");
}

#[actix_web::test]
async fn sqlite_runs_in_wal_mode() {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|s| !s.is_empty()) {
        return; // PostgreSQL has no journal mode
    }
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let db = &app.state.db;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "PRAGMA journal_mode"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "journal_mode").unwrap(), "wal");
}

/// The files under `api/src` (but migrations and `allowed` paths) that
/// contain any of `needles` as a whole path (`user::…` does not match
/// `dir_user::…`).
fn sources_containing(needles: &[&str], allowed: &[&str]) -> Vec<String> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src.clone()];
    let mut offenders = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let rel = path.strip_prefix(&src).unwrap().display().to_string();
            if path.is_dir() {
                if !rel.ends_with("migration") {
                    stack.push(path);
                }
                continue;
            }
            if allowed.iter().any(|a| rel.starts_with(a)) {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let whole = |n: &str| {
                text.match_indices(n)
                    .any(|(i, _)| !text[..i].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_'))
            };
            offenders.extend(needles.iter().filter(|n| whole(n)).map(|n| format!("{rel} ({n})")));
        }
    }
    offenders
}

/// One owner per table: only `features/` writes `organization_features`
/// (a purchase, a status transition with its audit event, turning a feature
/// off and on, activity). A write elsewhere would bypass its rules.
#[test]
fn only_the_features_module_writes_feature_status() {
    let writes = [
        "feature::Entity::update",
        "feature::Entity::insert",
        "feature::Entity::delete",
        "feature::ActiveModel",
        "UPDATE organization_features",
        "INSERT INTO organization_features",
        "DELETE FROM organization_features",
    ];
    let offenders = sources_containing(&writes, &["features"]);
    assert!(offenders.is_empty(), "organization_features written outside features/: {offenders:?}");
}

/// Accounts and memberships are made, changed and removed in one place
/// (`accounts/members.rs`, whose rows the SCIM batch writer also inserts),
/// so the rules that protect organizations are written once.
#[test]
fn only_the_members_module_writes_accounts_and_memberships() {
    let mut writes = vec!["INSERT INTO users", "INSERT INTO memberships", "UPDATE users", "UPDATE memberships"];
    writes.extend(["DELETE FROM users", "DELETE FROM memberships"]);
    let entity_writes = ["ActiveModel", "Entity::insert", "Entity::update", "Entity::delete"];
    let names: Vec<String> = ["user", "account", "membership"]
        .iter()
        .flat_map(|table| entity_writes.iter().map(move |w| format!("{table}::{w}")))
        .collect();
    writes.extend(names.iter().map(String::as_str));
    // The account's password changes where passwords are checked.
    let offenders: Vec<String> =
        sources_containing(&writes, &["accounts/members.rs", "accounts/entity"]).into_iter().collect();
    assert!(offenders.is_empty(), "accounts or memberships written outside accounts/members.rs: {offenders:?}");
}

/// Queries of a table whose rows belong to an organization start from
/// `find_in` / `update_in` / `delete_in` (`db::OrganizationScoped`), not an
/// inline filter that a new query could forget. (A session's organization is
/// its scope, not its owner; a user's memberships are read across
/// organizations by design.)
#[test]
fn organization_scoped_tables_are_read_through_their_finders() {
    let inline = ["Column::OrganizationId.eq("];
    let allowed = ["db/scoped.rs", "accounts/members.rs", "auth/extract.rs", "accounts/service.rs"];
    let offenders = sources_containing(&inline, &allowed);
    assert!(offenders.is_empty(), "inline organization filters: {offenders:?}");
}

/// Every route mounted under `/api/v1` is in the OpenAPI document (so it is
/// also in the robustness matrix that reads the document): the routes are
/// read from the `configure` functions `lib.rs` mounts there.
#[test]
fn every_api_route_is_documented() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mounted = [
        ("accounts/routes.rs", "pub fn configure(", "/api/v1"),
        ("domains/mod.rs", "pub fn configure(", "/api/v1"),
        ("provisioning/mod.rs", "pub fn configure(", "/api/v1"),
        ("billing/mod.rs", "pub fn configure(", "/api/v1"),
        ("audit/read.rs", "pub fn configure(", "/api/v1"),
        ("setup/mod.rs", "pub fn configure(", "/api/v1"),
        ("sso/mod.rs", "pub fn configure_api(", "/api/v1"),
        ("events/mod.rs", "pub fn configure(", "/api/v1"),
        ("webhooks/mod.rs", "pub fn configure(", "/api/v1"),
        // The OpenID Provider's endpoints, at the issuer's root.
        ("provider/mod.rs", "pub fn configure(", ""),
    ];
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    assert_eq!(
        lib.matches(".configure(").count(),
        mounted.len() + 5,
        "lib.rs mounts routes this test does not read (the other five: /scim/v2, /sso, the sign-up confirmation page, `routes` itself, the SPA)"
    );
    let doc: serde_json::Value = api::openapi::document();
    let mut missing = Vec::new();
    let mut seen = 0;
    for (file, function, prefix) in mounted {
        let text = std::fs::read_to_string(src.join(file)).unwrap();
        let body = &text[text.find(function).unwrap_or_else(|| panic!("{file}: no {function}"))..];
        let body = &body[..body.find("\n}\n").unwrap_or(body.len())];
        for route in body.split(".route(\"").skip(1) {
            let path = &route[..route.find('"').unwrap()];
            let method = route.split("web::").nth(1).and_then(|m| m.split("()").next()).unwrap();
            seen += 1;
            if doc["paths"][format!("{prefix}{path}")][method].is_null() {
                missing.push(format!("{} {prefix}{path}", method.to_uppercase()));
            }
        }
    }
    assert!(seen > 20, "read {seen} routes");
    assert!(missing.is_empty(), "mounted but not in the OpenAPI document: {missing:?}");
}

/// A client generated from the committed document by openapi-python-client
/// (PyPI; it leaves out any operation it cannot read, as it once did
/// `confirmCheckout`) has every operation, and drives sign-up → domains →
/// plan → checkout → confirm → setup link (`tools/openapi-client-flow.py`).
#[actix_web::test]
async fn a_generated_client_has_every_operation_and_buys_and_sets_up() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let generator = root.join(".venv/bin/openapi-python-client");
    if !generator.exists() {
        assert!(
            std::env::var("REQUIRE_IDP").is_err(),
            "openapi-python-client is missing from .venv: run `just python-tools`"
        );
        eprintln!("skipping: .venv with openapi-python-client missing");
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let generated = std::process::Command::new(&generator)
        .args(["generate", "--meta", "none", "--path"])
        .arg(root.join("openapi/openapi.json"))
        .arg("--output-path")
        .arg(out.path().join("gatehouse_client"))
        .output()
        .unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&generated.stdout), String::from_utf8_lossy(&generated.stderr));
    assert!(generated.status.success(), "{said}");
    for trouble in ["will not be generated", "Unable to", "Failure to process"] {
        assert!(!said.contains(trouble), "the generator left something out: {said}");
    }
    let app = crate::helpers::spawn_app().await;
    let run = tokio::process::Command::new(root.join(".venv/bin/python"))
        .arg(root.join("tools/openapi-client-flow.py"))
        .arg(root.join("openapi/openapi.json"))
        .arg(&app.base)
        .env("PYTHONPATH", out.path())
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(run.status.success(), "{stdout}{stderr}");
    let seen: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap();
    assert_eq!((seen["sso"].as_str(), seen["card_last4"].as_str()), (Some("awaiting"), Some("4242")), "{seen}");
    assert!(seen["setup_link"].as_str().unwrap().starts_with(&format!("{}/setup/", app.base)), "{seen}");
    assert!(seen["purchase"].as_str().unwrap().starts_with("pur_"), "{seen}");
}
