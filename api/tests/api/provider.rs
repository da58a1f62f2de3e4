//! Gatehouse as the OpenID Provider (issue 19, first slice): the discovery
//! document as a certified relying party (npm `openid-client`) reads it, the
//! JWKS through a key rotation, and the operator's `gatehouse clients`
//! command and `[[clients]]` file entries.

use std::path::PathBuf;
use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Options, spawn_app, spawn_app_with};

fn tools() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().join("tools")
}

/// `tools/oidc-rp.mjs` (openid-client) run with `args`; its JSON output,
/// or `None` (skipped) when Node or the package is missing.
fn relying_party(args: &[&str]) -> Option<Result<Value, String>> {
    let installed = tools().join("node_modules/openid-client").exists();
    if !installed {
        assert!(std::env::var("REQUIRE_IDP").is_err(), "tools/node_modules/openid-client is needed: run `just tools`");
        eprintln!("skipping: openid-client missing (run `just tools`)");
        return None;
    }
    let out = Command::new("node").arg(tools().join("oidc-rp.mjs")).args(args).output().expect("node");
    Some(if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).expect("json"))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    })
}

#[actix_web::test]
async fn a_certified_relying_party_accepts_the_discovery_document_and_its_keys() {
    let app = spawn_app().await;
    // The relying party's blocking run happens off the server's thread.
    let base = app.base.clone();
    let found = tokio::task::spawn_blocking(move || relying_party(&["discover", &base, "any-client", "any-secret"]))
        .await
        .unwrap();
    let Some(found) = found else { return };
    let found = found.unwrap();
    let m = &found["metadata"];
    assert_eq!(m["issuer"], app.base.as_str());
    assert_eq!(m["authorization_endpoint"], format!("{}/oauth2/authorize", app.base));
    assert_eq!(m["token_endpoint"], format!("{}/oauth2/token", app.base));
    assert_eq!(m["end_session_endpoint"], format!("{}/oauth2/logout", app.base));
    assert_eq!(m["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(m["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    assert_eq!(m["id_token_signing_alg_values_supported"], serde_json::json!(["RS256"]));
    assert_eq!(m["backchannel_logout_supported"], true);
    let key = &found["jwks"]["keys"][0];
    assert_eq!(
        (key["kty"].as_str(), key["alg"].as_str(), key["use"].as_str()),
        (Some("RSA"), Some("RS256"), Some("sig"))
    );
    assert!(key["kid"].as_str().is_some_and(|k| k.len() >= 40), "{key}");
    assert!(key.get("d").is_none(), "no private part: {key}");

    // Any origin may read them (a browser application discovers us).
    let res = app.client.get(app.url("/oauth2/jwks")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
}

#[actix_web::test]
async fn after_a_key_rotation_the_jwks_publishes_the_previous_key_too() {
    use api::provider::keys::{SigningAlgorithm, generate};
    let old = crate::helpers::provider_key().to_owned();
    let before = spawn_app().await;
    let (_, jwks) = before.get("/oauth2/jwks", None).await;
    let old_kid = jwks["keys"][0]["kid"].as_str().unwrap().to_owned();
    drop(before);

    // Rotated: a new current key (ES256 here), the old one kept as previous.
    static NEW: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    NEW.get_or_init(|| (generate(SigningAlgorithm::ES256).unwrap(), old.clone()));
    let after = spawn_app_with(Options {
        tweak: Some(|s| {
            let (new, old) = NEW.get().unwrap().clone();
            s.oidc_signing_key = Some(new);
            s.oidc_previous_signing_keys = vec![old];
        }),
        ..Options::default()
    })
    .await;
    let (_, jwks) = after.get("/oauth2/jwks", None).await;
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{jwks}");
    assert_eq!(keys[0]["kty"], "EC");
    assert_eq!(keys[1]["kid"], old_kid.as_str());
    let (_, discovery) = after.get("/.well-known/openid-configuration", None).await;
    assert_eq!(discovery["id_token_signing_alg_values_supported"], serde_json::json!(["ES256", "RS256"]));
}

/// `gatehouse clients …`, the real binary, on a server's database.
fn gatehouse(data_dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("clients")
        .args(args)
        .env("GATEHOUSE_DATA_DIR", data_dir)
        .env("GATEHOUSE_CONFIG", data_dir.join("none.toml"))
        .env_remove("DATABASE_URL")
        .output()
        .expect("run gatehouse");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_clients_command_registers_lists_and_removes_with_the_secret_shown_once() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = gatehouse(
        dir.path(),
        &[
            "add",
            "--name",
            "Acme App",
            "--redirect-uri",
            "https://app.example.com/callback",
            "--backchannel-logout-uri",
            "https://app.example.com/logout",
        ],
    );
    assert!(ok, "{err}");
    let field = |name: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("{out}"))
    };
    let (id, secret) = (field("client_id"), field("client_secret"));
    assert!(id.starts_with("cli_") && secret.starts_with("gh_cs_") && secret.len() > 40, "{out}");

    // Stored hashed: the secret is nowhere in the database file.
    let db = std::fs::read(dir.path().join("gatehouse.db")).unwrap();
    let wal = std::fs::read(dir.path().join("gatehouse.db-wal")).unwrap_or_default();
    let contains = |hay: &[u8]| hay.windows(secret.len()).any(|w| w == secret.as_bytes());
    assert!(!contains(&db) && !contains(&wal), "the secret was stored in clear");

    let (ok, out, _) =
        gatehouse(dir.path(), &["add", "--name", "SPA", "--redirect-uri", "http://localhost:5173/cb", "--public"]);
    assert!(ok && out.contains("public client") && !out.contains("client_secret"), "{out}");
    let (_, list, _) = gatehouse(dir.path(), &["list"]);
    assert!(list.contains(&id) && list.contains("Acme App\tconfidential") && list.contains("SPA\tpublic"), "{list}");
    assert!(!list.contains(&secret));

    // Refused with the reason: no redirect URI, an http one elsewhere than this machine.
    let (ok, _, err) = gatehouse(dir.path(), &["add", "--name", "X"]);
    assert!(!ok && err.contains("at least one redirect URI"), "{err}");
    let (ok, _, err) = gatehouse(dir.path(), &["add", "--name", "X", "--redirect-uri", "http://app.example.com/cb"]);
    assert!(!ok && err.contains("https"), "{err}");

    let (ok, out, _) = gatehouse(dir.path(), &["remove", &id]);
    assert!(ok && out.contains("removed"), "{out}");
    let (ok, _, err) = gatehouse(dir.path(), &["remove", &id]);
    assert!(!ok && err.contains("no client"), "{err}");
    let (ok, _, err) = gatehouse(dir.path(), &["frobnicate"]);
    assert!(!ok && err.contains("usage"), "{err}");
}

#[actix_web::test]
async fn clients_in_the_configuration_file_are_kept_in_step() {
    let app = spawn_app_with(Options {
        tweak: Some(|s| {
            s.clients = vec![api::provider::clients::ClientSpec {
                client_id: "acme-web".into(),
                name: "Acme Web".into(),
                client_secret: Some("a-configured-secret-that-is-long-enough".into()),
                redirect_uris: vec!["https://app.example.com/callback".into()],
                ..Default::default()
            }];
        }),
        ..Options::default()
    })
    .await;
    let c = api::provider::clients::find(&app.state.db, "acme-web").await.unwrap().unwrap();
    assert_eq!((c.source.as_str(), c.name.as_str()), ("config", "Acme Web"));
    assert!(c.secret_matches("a-configured-secret-that-is-long-enough"));
    assert_ne!(c.secret_hash.as_deref(), Some("a-configured-secret-that-is-long-enough"));
    let refused = api::provider::cli::run(&app.state.db, &["remove".into(), "acme-web".into()], app.clock_now()).await;
    assert!(refused.unwrap_err().to_string().contains("configuration file"));
    // Gone from the file at the next start: gone from the table.
    api::provider::clients::sync_config(&app.state.db, &[], app.clock_now()).await.unwrap();
    assert!(api::provider::clients::find(&app.state.db, "acme-web").await.unwrap().is_none());
}
