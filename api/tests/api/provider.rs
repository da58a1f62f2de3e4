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
    relying_party_expecting(args, "RS256")
}

/// The same, for a client registered with ID tokens signed by `alg`.
fn relying_party_expecting(args: &[&str], alg: &str) -> Option<Result<Value, String>> {
    let installed = tools().join("node_modules/openid-client").exists();
    if !installed {
        assert!(std::env::var("REQUIRE_IDP").is_err(), "tools/node_modules/openid-client is needed: run `just tools`");
        eprintln!("skipping: openid-client missing (run `just tools`)");
        return None;
    }
    let out = Command::new("node")
        .arg(tools().join("oidc-rp.mjs"))
        .args(args)
        .env("ID_TOKEN_ALG", alg)
        .output()
        .expect("node");
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
    // A browser application (a public client) may call the token, userinfo
    // and revocation endpoints from its origin: preflight, then the answer
    // (no cookie is ever read there).
    for path in ["/oauth2/token", "/oauth2/userinfo", "/oauth2/revoke"] {
        let res = app
            .client
            .request(reqwest::Method::OPTIONS, app.url(path))
            .header("origin", "https://spa.example.com")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT, "{path}");
        assert_eq!(res.headers()["access-control-allow-origin"], "*");
        assert!(res.headers()["access-control-allow-headers"].to_str().unwrap().contains("authorization"));
        assert!(res.headers().get("access-control-allow-credentials").is_none());
    }
    let res =
        app.client.get(app.url("/oauth2/userinfo")).header("origin", "https://spa.example.com").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    // Not the session's endpoints.
    let res = app.client.get(app.url("/api/v1/me")).header("origin", "https://spa.example.com").send().await.unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
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
    crate::helpers::gatehouse_command(data_dir, "clients", args)
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
    let (id, secret) = (crate::helpers::printed(&out, "client_id"), crate::helpers::printed(&out, "client_secret"));
    assert!(id.starts_with("cli_") && secret.starts_with("gh_cs_") && secret.len() > 40, "{out}");

    // Stored hashed: the secret is nowhere in the database file.
    crate::helpers::assert_not_stored(dir.path(), &secret);

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

/// Registers an application with the command; its id and secret.
async fn register(app: &crate::helpers::TestApp, public: bool) -> (String, Option<String>) {
    let mut args: Vec<String> =
        ["add", "--name", "Test App", "--redirect-uri", REDIRECT].iter().map(|s| (*s).to_owned()).collect();
    if public {
        args.push("--public".into());
    }
    let out = api::provider::cli::run(&app.state.db, &args, app.clock_now()).await.unwrap();
    let field = |name: &str| out.lines().find_map(|l| l.strip_prefix(&format!("{name}: "))).map(str::to_owned);
    (field("client_id").unwrap(), field("client_secret"))
}

const REDIRECT: &str = "http://127.0.0.1:3000/callback";

/// The relying party, off the server's thread.
async fn rp(args: Vec<String>) -> Option<Result<Value, String>> {
    tokio::task::spawn_blocking(move || relying_party(&args.iter().map(String::as_str).collect::<Vec<_>>()))
        .await
        .unwrap()
}

/// The browser at the authorization endpoint with `token`'s session: where it is sent.
async fn authorize(app: &crate::helpers::TestApp, url: &str, token: Option<&str>) -> (StatusCode, String) {
    let mut req = app.client.get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let location = res.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (res.status(), location)
}

fn param(url: &str, name: &str) -> Option<String> {
    reqwest::Url::parse(url).unwrap().query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

#[actix_web::test]
async fn a_certified_relying_party_signs_members_in_refreshes_and_loses_them_at_suspension() {
    let app = spawn_app().await;
    let (id, secret) = register(&app, false).await;
    let secret = secret.unwrap();
    let admin = app.signup("Acme", "ada@acme.com").await;
    let (status, bob) = app.invite_and_accept(&admin, "bob@acme.com").await;
    assert_eq!(status, StatusCode::CREATED, "{bob}");
    let bob_session = bob["access_token"].as_str().unwrap().to_owned();
    let base = app.base.clone();
    let scope = "openid email profile offline_access".to_owned();

    let start = |who: &str| {
        let _ = who;
        vec!["start".into(), base.clone(), id.clone(), secret.clone(), REDIRECT.into(), scope.clone()]
    };
    let Some(started) = rp(start("bob")).await else { return };
    let started = started.unwrap();
    let (status, callback) = authorize(&app, started["url"].as_str().unwrap(), Some(&bob_session)).await;
    assert_eq!(status, StatusCode::FOUND);
    assert!(callback.starts_with(REDIRECT) && param(&callback, "code").is_some(), "{callback}");
    assert_eq!(param(&callback, "iss").as_deref(), Some(app.base.as_str()));

    // openid-client exchanges the code (HTTP Basic), validates the ID token
    // against our JWKS and reads userinfo.
    let finish = |auth: &str, callback: &str, s: &Value| {
        vec![
            "finish".to_owned(),
            base.clone(),
            id.clone(),
            secret.clone(),
            auth.to_owned(),
            callback.to_owned(),
            s["verifier"].as_str().unwrap().to_owned(),
            s["state"].as_str().unwrap().to_owned(),
            s["nonce"].as_str().unwrap().to_owned(),
        ]
    };
    let done = rp(finish("basic", &callback, &started)).await.unwrap().unwrap();
    let claims = &done["claims"];
    assert_eq!(claims["sub"], bob["user"]["id"]);
    assert_eq!(claims["email"], "bob@acme.com");
    assert_eq!(claims["name"], "Invited Person");
    assert_eq!(claims["gatehouse_org_id"], admin.org_id.as_str());
    assert_eq!(claims["gatehouse_org_name"], "Acme");
    assert_eq!(claims["gatehouse_role"], "member");
    assert_eq!(claims["gatehouse_sso"], false);
    assert!(claims["sid"].is_string() && claims["auth_time"].is_number(), "{claims}");
    assert_eq!(done["userinfo"]["sub"], claims["sub"]);
    assert_eq!(done["userinfo"]["gatehouse_role"], "member");

    // Refreshed (client_secret_post): a new refresh token each time; the
    // old one used again revokes the whole sign-in.
    let first = done["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |token: &str| {
        vec!["refresh".to_owned(), base.clone(), id.clone(), secret.clone(), "post".into(), token.to_owned()]
    };
    let refreshed = rp(refresh(&first)).await.unwrap().unwrap();
    let second = refreshed["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    assert!(rp(refresh(&first)).await.unwrap().unwrap_err().contains("invalid_grant"));
    assert!(rp(refresh(&second)).await.unwrap().unwrap_err().contains("invalid_grant"), "the family is revoked");

    // Signed in again, then suspended: no refresh, no userinfo, no new code.
    let started = rp(start("bob")).await.unwrap().unwrap();
    let (_, callback) = authorize(&app, started["url"].as_str().unwrap(), Some(&bob_session)).await;
    let done = rp(finish("post", &callback, &started)).await.unwrap().unwrap();
    let path = format!("/api/v1/organizations/{}/members/{}", admin.org_id, bob["user"]["id"].as_str().unwrap());
    let (status, _) = app
        .send(reqwest::Method::PATCH, &path, Some(&serde_json::json!({ "suspended": true })), Some(&admin.token))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(rp(refresh(done["refresh_token"].as_str().unwrap())).await.unwrap().unwrap_err().contains("invalid_grant"));
    let res = app
        .client
        .get(app.url("/oauth2/userinfo"))
        .bearer_auth(done["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let started = rp(start("bob")).await.unwrap().unwrap();
    let (_, refused) = authorize(&app, started["url"].as_str().unwrap(), Some(&bob_session)).await;
    assert!(param(&refused, "code").is_none(), "{refused}");
}

/// The token endpoint by hand (form, optional HTTP Basic).
async fn token(
    app: &crate::helpers::TestApp,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (StatusCode, Value) {
    let mut req = app.client.post(app.url("/oauth2/token")).form(form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[actix_web::test]
async fn the_authorization_and_token_endpoints_refuse_what_they_must() {
    let app = spawn_app().await;
    let (id, secret) = register(&app, false).await;
    let secret = secret.unwrap();
    let (public_id, _) = register(&app, true).await;
    let ada = app.signup("Acme", "ada@acme.com").await;
    let other = app.signup("Globex", "gus@globex.com").await;
    let verifier = "a-code-verifier-that-is-long-enough-to-be-valid-0123456789";
    let challenge = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
    };
    let url = |client: &str, redirect: &str, extra: &str| {
        format!(
            "{}/oauth2/authorize?response_type=code&client_id={client}&redirect_uri={}&scope=openid%20offline_access&state=xyz{extra}",
            app.base,
            urlencoding(redirect)
        )
    };
    let pkce = format!("&code_challenge={challenge}&code_challenge_method=S256");

    // Never to an unregistered redirect URI, nor for an unknown client.
    let (status, location) = authorize(&app, &url(&id, "https://evil.example/cb", ""), Some(&ada.token)).await;
    assert_eq!((status, location.as_str()), (StatusCode::BAD_REQUEST, ""));
    let (status, location) = authorize(&app, &url("cli_unknown", REDIRECT, ""), Some(&ada.token)).await;
    assert_eq!((status, location.as_str()), (StatusCode::BAD_REQUEST, ""));
    // Text no database column takes (NUL) is refused before any query.
    let (status, _) = authorize(&app, &url("cli_%00x", REDIRECT, ""), Some(&ada.token)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, location) = authorize(&app, &url(&id, REDIRECT, "&nonce=a%00b"), Some(&ada.token)).await;
    assert_eq!(param(&location, "error").as_deref(), Some("invalid_request"), "{location}");
    let (status, body) =
        token(&app, &[("grant_type", "refresh_token"), ("refresh_token", "x"), ("client_id", "a\0b")], None).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
    // prompt=none without a session; without a session otherwise, the sign-in page.
    let (_, location) = authorize(&app, &url(&id, REDIRECT, "&prompt=none"), None).await;
    assert_eq!(
        (param(&location, "error").as_deref(), param(&location, "state").as_deref()),
        (Some("login_required"), Some("xyz"))
    );
    let (_, location) = authorize(&app, &url(&id, REDIRECT, ""), None).await;
    assert!(location.starts_with(&format!("{}/login?continue=", app.base)), "{location}");
    // A public client without PKCE; another organization asked for.
    let (_, location) = authorize(&app, &url(&public_id, REDIRECT, ""), Some(&ada.token)).await;
    assert_eq!(param(&location, "error").as_deref(), Some("invalid_request"));
    let (_, location) =
        authorize(&app, &url(&id, REDIRECT, &format!("&organization={}", other.org_id)), Some(&ada.token)).await;
    assert_eq!(param(&location, "error").as_deref(), Some("access_denied"));

    // A good code, then: a wrong secret, a PKCE mismatch, reuse.
    let code_for = |location: &str| param(location, "code").unwrap();
    let (_, location) = authorize(&app, &url(&id, REDIRECT, &pkce), Some(&ada.token)).await;
    let code = code_for(&location);
    let form = |code: &str, verifier: &str| {
        vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_owned()))
        .collect::<Vec<_>>()
    };
    let as_refs = |f: &Vec<(&'static str, String)>| f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let send = |f: Vec<(&'static str, String)>, basic: Option<(String, String)>| {
        let app = &app;
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            token(app, &pairs, basic.as_ref().map(|(a, b)| (a.as_str(), b.as_str()))).await
        }
    };
    let (status, body) = send(as_refs(&form(&code, verifier)), Some((id.clone(), "wrong".into()))).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
    let (status, body) = send(as_refs(&form(&code, "x".repeat(50).as_str())), Some((id.clone(), secret.clone()))).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{body}");
    // That attempt used the code: a second use fails and revokes what it got.
    let (status, body) = send(as_refs(&form(&code, verifier)), Some((id.clone(), secret.clone()))).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));

    let (_, location) = authorize(&app, &url(&id, REDIRECT, &pkce), Some(&ada.token)).await;
    let code = code_for(&location);
    let (status, tokens) = send(as_refs(&form(&code, verifier)), Some((id.clone(), secret.clone()))).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let (status, again) = send(as_refs(&form(&code, verifier)), Some((id.clone(), secret.clone()))).await;
    assert_eq!((status, again["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    let res = app
        .client
        .get(app.url("/oauth2/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "the reused code's tokens are revoked");

    // An expired code (60 s).
    let (_, location) = authorize(&app, &url(&id, REDIRECT, &pkce), Some(&ada.token)).await;
    app.clock.advance(chrono::Duration::seconds(61));
    let (status, body) = send(as_refs(&form(&code_for(&location), verifier)), Some((id.clone(), secret.clone()))).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
}

fn urlencoding(s: &str) -> String {
    let mut url = reqwest::Url::parse("http://x/").unwrap();
    url.query_pairs_mut().append_pair("v", s);
    url.query().unwrap()[2..].to_owned()
}

#[actix_web::test]
async fn logout_ends_the_session_and_every_grant_from_it_but_asks_without_a_hint() {
    let app = spawn_app().await;
    let args: Vec<String> = [
        "add",
        "--name",
        "Test App",
        "--redirect-uri",
        REDIRECT,
        "--post-logout-redirect-uri",
        "http://127.0.0.1:3000/bye",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let out = api::provider::cli::run(&app.state.db, &args, app.clock_now()).await.unwrap();
    let (id, secret) = (crate::helpers::printed(&out, "client_id"), crate::helpers::printed(&out, "client_secret"));
    let ada = app.signup("Acme", "ada@acme.com").await;
    let url = format!(
        "{}/oauth2/authorize?response_type=code&client_id={id}&redirect_uri={}&scope=openid%20offline_access&nonce=n",
        app.base,
        urlencoding(REDIRECT)
    );
    let (_, location) = authorize(&app, &url, Some(&ada.token)).await;
    let code = param(&location, "code").unwrap();
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", REDIRECT)];
    let (status, tokens) = token(&app, &form, Some((&id, &secret))).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let id_token = tokens["id_token"].as_str().unwrap();

    // No hint: a link on another site must not sign anyone out; asked first.
    let res = app.client.get(app.url("/oauth2/logout")).bearer_auth(&ada.token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Sign out of Gatehouse?"));
    assert_eq!(app.get("/api/v1/me", Some(&ada.token)).await.0, StatusCode::OK);

    // An unregistered place to return to is never followed.
    let logout = |back: &str| {
        format!("/oauth2/logout?id_token_hint={id_token}&post_logout_redirect_uri={}&state=s1", urlencoding(back))
    };
    let res = app.client.get(app.url(&logout("https://evil.example/"))).send().await.unwrap();
    assert_eq!((res.status(), res.headers().get("location")), (StatusCode::OK, None));

    // With the hint naming the session: signed out, grants ended, back with state.
    let res =
        app.client.get(app.url(&logout("http://127.0.0.1:3000/bye"))).bearer_auth(&ada.token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(res.headers()["location"], "http://127.0.0.1:3000/bye?state=s1");
    assert_eq!(app.get("/api/v1/me", Some(&ada.token)).await.0, StatusCode::UNAUTHORIZED);
    let refresh = [("grant_type", "refresh_token"), ("refresh_token", tokens["refresh_token"].as_str().unwrap())];
    let (status, body) = token(&app, &refresh, Some((&id, &secret))).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
}

/// A member who signs in through their organization's SSO reaches the
/// application: the SSO sign-in carries the application's request
/// (`continue_to`) and continues it, and the ID token says it was SSO.
#[actix_web::test]
async fn an_sso_sign_in_continues_the_applications_request() {
    let app = spawn_app().await;
    let s = crate::sso::sso_org(&app).await;
    let Some(idp) = crate::sso::start_idp(s.connection["redirect_uri"].as_str().unwrap()).await else { return };
    crate::sso::activate(&app, &s, &idp).await;
    let (id, secret) = register(&app, false).await;
    let secret = secret.unwrap();
    let base = app.base.clone();
    let Some(started) =
        rp(vec!["start".into(), base.clone(), id.clone(), secret.clone(), REDIRECT.into(), "openid email".into()])
            .await
    else {
        return;
    };
    let started = started.unwrap();
    let path = started["url"].as_str().unwrap().strip_prefix(&base).unwrap().to_owned();

    // Only our authorization endpoint may be continued.
    let (status, refused) = app
        .post(
            "/api/v1/auth/sso",
            &serde_json::json!({ "email": "bob@acme.com", "continue_to": "https://evil.example/" }),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");

    let b = crate::sso::browser();
    let res = b
        .post(app.url("/api/v1/auth/sso"))
        .json(&serde_json::json!({ "email": "bob@acme.com", "continue_to": path }))
        .send()
        .await
        .unwrap();
    let redirect: Value = res.json().await.unwrap();
    let callback =
        crate::sso::sign_in_at_idp(&b, &idp, redirect["redirect_url"].as_str().unwrap(), "bob@acme.com").await;
    let res = b.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let next = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(next, format!("{base}{path}"));
    // The browser, with its new SSO session cookie, continues: a code.
    let res = b.get(&next).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let callback = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(callback.starts_with(REDIRECT) && param(&callback, "code").is_some(), "{callback}");
    let finish = vec![
        "finish".to_owned(),
        base.clone(),
        id.clone(),
        secret.clone(),
        "basic".into(),
        callback,
        started["verifier"].as_str().unwrap().to_owned(),
        started["state"].as_str().unwrap().to_owned(),
        started["nonce"].as_str().unwrap().to_owned(),
    ];
    let done = rp(finish).await.unwrap().unwrap();
    let claims = &done["claims"];
    assert_eq!(claims["email"], "bob@acme.com");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["gatehouse_sso"], true);
    assert_eq!(claims["gatehouse_sso_connection_id"], s.connection["id"]);
    assert_eq!(claims["gatehouse_org_id"], s.admin.org_id.as_str());
}

/// A client secret is checked like a password: ten wrong ones in a minute
/// and the client is held off (429 with Retry-After), the right one too,
/// until the minute has passed; nothing of the secret reaches the log.
#[actix_web::test]
async fn guessing_a_client_secret_is_limited_like_a_password() {
    let app = spawn_app().await;
    let (id, secret) = register(&app, false).await;
    let secret = secret.unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", "x")];
    for n in 0..10 {
        let guess = format!("gh_cs_guess-number-{n}-that-is-long-enough");
        let (status, body) = token(&app, &form, Some((&id, &guess))).await;
        assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
    }
    let res =
        app.client.post(app.url("/oauth2/token")).basic_auth(&id, Some(&secret)).form(&form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("retry-after").is_some());
    app.clock.advance(chrono::Duration::seconds(61));
    let (status, body) = token(&app, &form, Some((&id, &secret))).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "authenticated");
    assert!(!crate::helpers::captured_logs().contains("guess-number"));
}

/// The SaaS's application (`tools/oidc-host-app.mjs`: openid-client, and
/// jose for logout tokens) registered with a back-channel logout URI and
/// listening on its own port; `None` (skipped) without Node's packages.
pub(crate) struct HostApp {
    pub base: String,
    client_id: String,
    secret: String,
    _child: tokio::process::Child,
}

pub(crate) async fn host_app(app: &crate::helpers::TestApp) -> Option<HostApp> {
    if !tools().join("node_modules/openid-client").exists() {
        assert!(std::env::var("REQUIRE_IDP").is_err(), "tools/node_modules/openid-client is needed: run `just tools`");
        eprintln!("skipping: openid-client missing (run `just tools`)");
        return None;
    }
    let port = crate::helpers::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let args: Vec<String> = [
        "add",
        "--name",
        "Host App",
        "--redirect-uri",
        &format!("{base}/callback"),
        "--backchannel-logout-uri",
        &format!("{base}/backchannel-logout"),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let out = api::provider::cli::run(&app.state.db, &args, app.clock_now()).await.unwrap();
    let (client_id, secret) =
        (crate::helpers::printed(&out, "client_id"), crate::helpers::printed(&out, "client_secret"));
    let mut command = tokio::process::Command::new("node");
    command.arg(tools().join("oidc-host-app.mjs")).args([&app.base, &client_id, &secret, &port.to_string()]);
    let child = crate::helpers::spawn_ready(command, "the host application").await;
    Some(HostApp { base, client_id, secret, _child: child })
}

impl HostApp {
    /// The member with Gatehouse session `token` signs in to the application
    /// (its /login → our authorization endpoint → its callback): the
    /// application's session cookie.
    pub(crate) async fn sign_in(&self, app: &crate::helpers::TestApp, token: &str, query: &str) -> String {
        let location = |res: &reqwest::Response| res.headers()["location"].to_str().unwrap().to_owned();
        let res = app.client.get(format!("{}/login{query}", self.base)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FOUND);
        let (status, callback) = authorize(app, &location(&res), Some(token)).await;
        assert_eq!(status, StatusCode::FOUND);
        assert!(callback.starts_with(&self.base) && param(&callback, "code").is_some(), "{callback}");
        let res = app.client.get(&callback).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FOUND, "{}", res.text().await.unwrap());
        let cookie = res.headers()["set-cookie"].to_str().unwrap();
        cookie.split(';').next().unwrap().to_owned()
    }

    pub(crate) async fn state(&self, app: &crate::helpers::TestApp) -> Value {
        app.client.get(format!("{}/state", self.base)).send().await.unwrap().json().await.unwrap()
    }

    /// Waits (up to 10 s) until the application received a logout for `sid`.
    pub(crate) async fn logged_out(&self, app: &crate::helpers::TestApp, sid: &str) -> Value {
        for _ in 0..100 {
            let state = self.state(app).await;
            if state["logouts"].as_array().unwrap().iter().any(|l| l["sid"] == sid) {
                return state;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("no back-channel logout for {sid}: {}", self.state(app).await);
    }
}

/// The directory creates (or takes over) the User `email`, with its given
/// and family names when given: the SCIM resource it answered.
async fn directory_user(
    app: &crate::helpers::TestApp,
    s: &crate::helpers::Scim,
    email: &str,
    names: Option<(&str, &str)>,
) -> Value {
    let mut user = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": email, "active": true,
        "emails": [{ "value": email, "primary": true }]
    });
    if let Some((given, family)) = names {
        user["name"] = serde_json::json!({ "givenName": given, "familyName": family });
    }
    let (status, created) = app.scim(s, reqwest::Method::POST, "/Users", Some(&user)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

#[actix_web::test]
async fn a_scim_suspension_reaches_the_application_by_back_channel_logout() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    let Some(host) = host_app(&app).await else { return };
    let (status, bob) = app.invite_and_accept(&s.admin, "bob@acme.com").await;
    assert_eq!(status, StatusCode::CREATED, "{bob}");
    let bob_session = bob["access_token"].as_str().unwrap();

    // Bob signs in to the application; Ada (the Administrator) too.
    host.sign_in(&app, bob_session, "").await;
    host.sign_in(&app, &s.admin.token, "").await;
    let state = host.state(&app).await;
    let sessions = state["sessions"].as_array().unwrap();
    let bobs = sessions.iter().find(|x| x["claims"]["email"] == "bob@acme.com").unwrap();
    assert_eq!(bobs["userinfo"]["gatehouse_org_id"], s.admin.org_id.as_str());
    let (sid, refresh) = (bobs["sid"].as_str().unwrap().to_owned(), bobs["refresh_token"].as_str().unwrap().to_owned());

    // The directory takes Bob over, then suspends him.
    let created = directory_user(&app, &s, "bob@acme.com", Some(("Bob", "Jensen"))).await;
    // Signed in again: the directory's names are claims now.
    let cookie = host.sign_in(&app, bob_session, "").await;
    let page = app.client.get(format!("{}/", host.base)).header("cookie", &cookie).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(
        page.contains("data-claim=\"given_name\">Bob<") && page.contains("data-claim=\"family_name\">Jensen<"),
        "{page}"
    );
    let patch = serde_json::json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{ "op": "Replace", "path": "active", "value": false }] });
    let path = format!("/Users/{}", created["id"].as_str().unwrap());
    let (status, _) = app.scim(&s, reqwest::Method::PATCH, &path, Some(&patch)).await;
    assert_eq!(status, StatusCode::OK);

    // The application verified the logout token (jose: signature against
    // our JWKS, iss, aud, typ logout+jwt, iat, the event, no nonce) and
    // ended Bob's session there; Ada's stays.
    let state = host.logged_out(&app, &sid).await;
    assert_eq!(state["rejected"], serde_json::json!([]), "{state}");
    let logout = state["logouts"].as_array().unwrap().iter().find(|l| l["sid"] == sid.as_str()).unwrap().clone();
    assert_eq!(logout["sub"], bob["user"]["id"]);
    let left: Vec<&Value> = state["sessions"].as_array().unwrap().iter().map(|x| &x["claims"]["email"]).collect();
    assert_eq!(left, vec!["admin@acme.com"]);
    assert_eq!(app.count("oauth_logout_deliveries").await, 0, "delivered, nothing left to send");
    // Bob's refresh token stopped at once.
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())];
    let (status, body) = token(&app, &form, Some((&host.client_id, &host.secret))).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{body}");
}

#[actix_web::test]
async fn back_channel_logouts_are_retried_with_backoff_and_sent_once_by_two_processes() {
    use api::provider::entity::logout_delivery as delivery;
    use sea_orm::{ActiveValue::Set, EntityTrait};
    let first = spawn_app().await;
    let Some(host) = host_app(&first).await else { return };
    // A second server process on the same database, address and keys: both
    // look for due deliveries every second.
    let second = spawn_app_with(Options {
        database_url: Some(first.database_url.clone()),
        public_url: Some(first.base.clone()),
        ..Options::default()
    })
    .await;
    let ada = first.signup("Acme", "ada@acme.com").await;
    host.sign_in(&first, &ada.token, "").await;
    let sid = host.state(&first).await["sessions"][0]["sid"].as_str().unwrap().to_owned();

    // The application is down for two attempts.
    let res = first.client.post(format!("{}/fail-next?count=2", host.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // Ada signs out of Gatehouse.
    let (status, _) = first.post("/api/v1/auth/logout", &serde_json::json!({}), Some(&ada.token)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let nows = [first.clock_now(), second.clock_now()];
    let after_attempt = |n: i32| {
        let db = first.state.db.clone();
        async move {
            for _ in 0..100 {
                let rows = delivery::Entity::find().all(&db).await.unwrap();
                if let [row] = rows.as_slice()
                    && row.attempts == n
                {
                    return row.clone();
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            panic!("attempt {n} never happened: {:?}", delivery::Entity::find().all(&db).await.unwrap());
        }
    };
    let rewind = |row: delivery::Model| {
        let db = first.state.db.clone();
        let due = nows[0].min(nows[1]) - chrono::Duration::seconds(1);
        async move {
            let mut row: delivery::ActiveModel = row.into();
            row.next_attempt_at = Set(Some(due));
            sea_orm::ActiveModelTrait::update(row, &db).await.unwrap();
        }
    };
    // Each failure waits longer (10 s, then 1 min, …), in our words.
    let failed = after_attempt(1).await;
    assert_eq!(failed.last_error.as_deref(), Some("the back-channel logout URI answered HTTP 503"));
    let waited = |row: &delivery::Model| nows.map(|now| (row.next_attempt_at.unwrap() - now).num_seconds());
    assert!(waited(&failed).contains(&10), "{failed:?}");
    rewind(failed).await;
    let failed = after_attempt(2).await;
    assert!(waited(&failed).contains(&60), "{failed:?}");
    rewind(failed).await;

    // Then delivered, once, whichever process sent it.
    let state = host.logged_out(&first, &sid).await;
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    let state_later = host.state(&first).await;
    assert_eq!(state_later["logouts"], state["logouts"], "one delivery");
    assert_eq!(state_later["logouts"].as_array().unwrap().len(), 1);
    assert_eq!(state_later["rejected"], serde_json::json!([]));
    assert_eq!(state_later["sessions"], serde_json::json!([]));
    assert_eq!(first.count("oauth_logout_deliveries").await, 0);
}

/// `email`'s existing account joins `org` as a member (an invite accepted with its password).
async fn join(app: &crate::helpers::TestApp, org: &crate::helpers::Signed, email: &str) {
    let (status, invite) = app
        .post(
            &format!("/api/v1/organizations/{}/invites", org.org_id),
            &serde_json::json!({ "email": email, "role": "member" }),
            Some(&org.token),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{invite}");
    let (status, joined) = app
        .post(
            "/api/v1/invites/accept",
            &serde_json::json!({ "token": invite["token"], "name": "Ada", "password": crate::helpers::PASSWORD }),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{joined}");
}

#[actix_web::test]
async fn a_member_of_several_organizations_chooses_one_unless_the_application_names_it() {
    let app = spawn_app().await;
    let (id, _) = register(&app, false).await;
    let acme = app.signup("Acme", "ada@acme.com").await;
    let beta = app.signup("Beta & Co", "bea@beta.io").await;
    // Ada belongs to both (invited into Beta with the same account).
    join(&app, &beta, "ada@acme.com").await;
    let url = format!(
        "{}/oauth2/authorize?response_type=code&client_id={id}&redirect_uri={}&scope=openid&state=s1",
        app.base,
        urlencoding(REDIRECT)
    );

    // Asked: a page with both, each choice the same request naming it.
    let res = app.client.get(&url).bearer_auth(&acme.token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = res.text().await.unwrap();
    assert!(page.contains("Choose an organization") && page.contains("Test App"), "{page}");
    assert!(page.contains("Beta &amp; Co") && page.contains(">Acme<"), "{page}");
    let beta_choice = page
        .split("href=\"")
        .skip(1)
        .map(|h| h.split('"').next().unwrap().replace("&amp;", "&"))
        .find(|h| h.ends_with(&format!("organization={}", beta.org_id)))
        .expect("a choice for Beta");
    assert!(beta_choice.starts_with(&format!("{}/oauth2/authorize?", app.base)), "{beta_choice}");
    let (status, callback) = authorize(&app, &beta_choice, Some(&acme.token)).await;
    assert_eq!(status, StatusCode::FOUND);
    let code = param(&callback, "code").expect("a code for Beta");
    assert_eq!(param(&callback, "state").as_deref(), Some("s1"));
    let (_, tokens) = token(
        &app,
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT), ("client_id", &id)],
        None,
    )
    .await;
    assert_eq!(tokens["error"], "invalid_client", "a confidential client authenticates");

    // Never asked with prompt=none; named by the application, no question.
    let (_, location) = authorize(&app, &format!("{url}&prompt=none"), Some(&acme.token)).await;
    assert_eq!(param(&location, "error").as_deref(), Some("account_selection_required"));
    let (status, location) = authorize(&app, &format!("{url}&organization={}", acme.org_id), Some(&acme.token)).await;
    assert_eq!(status, StatusCode::FOUND);
    assert!(param(&location, "code").is_some(), "{location}");
}

#[actix_web::test]
async fn members_signing_in_at_gatehouse_are_sent_to_the_default_application() {
    use api::provider::clients::ClientSpec;
    let app = spawn_app_with(Options {
        tweak: Some(|s| {
            let app = |id: &str, name: &str, start: &str| ClientSpec {
                client_id: id.into(),
                name: name.into(),
                client_secret: Some("s".repeat(40)),
                redirect_uris: vec![format!("{start}/callback")],
                initiate_login_uri: Some(format!("{start}/login?from=gatehouse")),
                ..ClientSpec::default()
            };
            s.clients = vec![
                app("reports", "Reports", "https://reports.example.com"),
                app("acme-web", "Acme Web", "https://app.example.com"),
                ClientSpec { initiate_login_uri: None, ..app("api-only", "API Only", "https://api.example.com") },
            ];
            s.oidc_default_client = Some("acme-web".into());
        }),
        ..Options::default()
    })
    .await;
    let admin = app.signup("Acme", "ada@acme.com").await;
    let (_, bob) = app.invite_and_accept(&admin, "bob@acme.com").await;
    let (status, me) = app.get("/api/v1/me", bob["access_token"].as_str()).await;
    assert_eq!(status, StatusCode::OK);
    // The default first, then by name; only applications one can start a sign-in at.
    let iss = urlencoding(&app.base);
    assert_eq!(
        me["applications"],
        serde_json::json!([
            { "name": "Acme Web", "login_url": format!("https://app.example.com/login?from=gatehouse&iss={iss}"), "default": true },
            { "name": "Reports", "login_url": format!("https://reports.example.com/login?from=gatehouse&iss={iss}"), "default": false },
        ])
    );
    // A default that cannot be started at is refused when the server starts.
    let err = api::provider::clients::check_default(&app.state.db, "api-only").await.unwrap_err().to_string();
    assert!(err.contains("no initiate_login_uri"), "{err}");
    let err = api::provider::clients::check_default(&app.state.db, "nope").await.unwrap_err().to_string();
    assert!(err.contains("not a registered client"), "{err}");
}

/// A slow application never holds up another's logouts: at most a few of its
/// deliveries are in flight at once, and the rest of the slots serve others.
#[actix_web::test]
async fn a_slow_application_does_not_hold_up_another_applications_logouts() {
    let app = spawn_app().await;
    let Some(slow) = host_app(&app).await else { return };
    let Some(quick) = host_app(&app).await else { return };
    let admin = app.signup("Acme", "ada@acme.com").await;
    let (_, bob) = app.invite_and_accept(&admin, "bob@acme.com").await;
    // Bob signs in to the slow application from twenty browsers, then to the quick one.
    for _ in 0..20 {
        let (status, login) = app.login("bob@acme.com", crate::helpers::PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "{login}");
        slow.sign_in(&app, login["access_token"].as_str().unwrap(), "").await;
    }
    quick.sign_in(&app, bob["access_token"].as_str().unwrap(), "").await;
    let quick_sid = quick.state(&app).await["sessions"][0]["sid"].as_str().unwrap().to_owned();
    // Each of the slow one's answers takes 3 s.
    let res = app.client.post(format!("{}/slow?ms=3000", slow.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // Suspended: 21 logouts at once.
    let path = format!("/api/v1/organizations/{}/members/{}", admin.org_id, bob["user"]["id"].as_str().unwrap());
    let (status, _) = app
        .send(reqwest::Method::PATCH, &path, Some(&serde_json::json!({ "suspended": true })), Some(&admin.token))
        .await;
    assert_eq!(status, StatusCode::OK);
    let started = std::time::Instant::now();
    quick.logged_out(&app, &quick_sid).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "waited {:?}", started.elapsed());
    let slow_state = slow.state(&app).await;
    assert!(slow_state["logouts"].as_array().unwrap().len() < 20, "{slow_state}");
}

/// A session serving two organizations: a suspension in one ends the
/// application's sign-ins into that one only (the logout token names it in
/// `gatehouse_org_id`), and the other keeps working.
#[actix_web::test]
async fn a_suspension_in_one_organization_logs_out_only_its_sign_ins() {
    let app = spawn_app().await;
    let Some(host) = host_app(&app).await else { return };
    let acme = app.signup("Acme", "ada@acme.com").await;
    let beta = app.signup("Beta", "bea@beta.io").await;
    join(&app, &beta, "ada@acme.com").await;
    host.sign_in(&app, &acme.token, &format!("?organization={}", acme.org_id)).await;
    host.sign_in(&app, &acme.token, &format!("?organization={}", beta.org_id)).await;
    let state = host.state(&app).await;
    let sid = state["sessions"][0]["sid"].as_str().unwrap().to_owned();
    assert_eq!(state["sessions"][1]["sid"], sid.as_str(), "one Gatehouse session, two organizations");

    let path = format!("/api/v1/organizations/{}/members/{}", beta.org_id, acme.user_id);
    let (status, _) = app
        .send(reqwest::Method::PATCH, &path, Some(&serde_json::json!({ "suspended": true })), Some(&beta.token))
        .await;
    assert_eq!(status, StatusCode::OK);
    let state = host.logged_out(&app, &sid).await;
    assert_eq!(state["logouts"][0]["org"], beta.org_id.as_str());
    let left: Vec<&Value> =
        state["sessions"].as_array().unwrap().iter().map(|s| &s["claims"]["gatehouse_org_id"]).collect();
    assert_eq!(left, vec![acme.org_id.as_str()]);
    // Acme's sign-in still refreshes; Ada is still signed in to Gatehouse.
    let refresh = state["sessions"][0]["refresh_token"].as_str().unwrap();
    let (status, body) = token(
        &app,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        Some((&host.client_id, &host.secret)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app.get("/api/v1/me", Some(&acme.token)).await.0, StatusCode::OK);
}

/// A session just ended in another server process (whose session cache may
/// still trust it for up to a second) gets no new grant: the grant is
/// written only while the session is open, checked in the insert itself.
#[actix_web::test]
async fn a_session_ended_in_another_process_gets_no_new_code() {
    let (first, second) = crate::helpers::spawn_pair().await;
    let (id, _) = register(&first, false).await;
    let ada = first.signup("Acme", "ada@acme.com").await;
    let url = format!(
        "{}/oauth2/authorize?response_type=code&client_id={id}&redirect_uri={}&scope=openid&state=s",
        second.base,
        urlencoding(REDIRECT)
    );
    // The second process knows the session (and caches it).
    let (_, location) = authorize(&second, &url, Some(&ada.token)).await;
    assert!(param(&location, "code").is_some(), "{location}");
    // Signed out through the first.
    let (status, _) = first.post("/api/v1/auth/logout", &serde_json::json!({}), Some(&ada.token)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, location) = authorize(&second, &url, Some(&ada.token)).await;
    assert!(param(&location, "code").is_none(), "{location}");
    // Refused by the grant's insert (cache still trusting the session) or
    // by the session check (cache expired): either way, no grant.
    let error = param(&location, "error");
    assert!(error.is_none() || error.as_deref() == Some("login_required"), "{location}");
    assert_eq!(first.count_where("oauth_grants", "revoked_at IS NULL").await, 0);
}

/// `prompt=login` and an exceeded `max_age` ask for a new sign-in once: the
/// sign-in page is told not to skip ahead (`reauth`), and the request
/// continues without what asked for it, so the new session gets a code.
#[actix_web::test]
async fn prompt_login_and_max_age_ask_for_one_new_sign_in() {
    let app = spawn_app().await;
    let (id, secret) = register(&app, false).await;
    let secret = secret.unwrap();
    let ada = app.signup("Acme", "ada@acme.com").await;
    let url = format!(
        "{}/oauth2/authorize?response_type=code&client_id={id}&redirect_uri={}&scope=openid&state=s&login_hint=ada%40acme.com",
        app.base,
        urlencoding(REDIRECT)
    );
    let (_, location) = authorize(&app, &format!("{url}&max_age=3600"), Some(&ada.token)).await;
    assert!(param(&location, "code").is_some(), "a recent enough session goes straight through: {location}");
    app.clock.advance(chrono::Duration::seconds(5));
    for extra in ["&prompt=login", "&max_age=2"] {
        let (status, location) = authorize(&app, &format!("{url}{extra}"), Some(&ada.token)).await;
        assert_eq!(status, StatusCode::FOUND);
        assert!(location.starts_with(&format!("{}/login?", app.base)), "{location}");
        assert_eq!(param(&location, "reauth").as_deref(), Some("1"));
        assert_eq!(param(&location, "login_hint").as_deref(), Some("ada@acme.com"));
        let next = param(&location, "continue").unwrap();
        assert!(
            next.starts_with("/oauth2/authorize?") && !next.contains("prompt") && !next.contains("max_age"),
            "{next}"
        );
        // Signed in again: a new session, and the request continues with it.
        let (_, login) = app.login("ada@acme.com", crate::helpers::PASSWORD).await;
        let fresh = login["access_token"].as_str().unwrap();
        let (_, callback) = authorize(&app, &format!("{}{next}", app.base), Some(fresh)).await;
        let code = param(&callback, "code").unwrap_or_else(|| panic!("{callback}"));
        let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", REDIRECT)];
        let (status, tokens) = token(&app, &form, Some((&id, &secret))).await;
        assert_eq!(status, StatusCode::OK, "{tokens}");
    }
    // Without a session at all, no `reauth`: the page may continue at once
    // once signed in.
    let (_, location) = authorize(&app, &format!("{url}&prompt=login"), None).await;
    assert_eq!(param(&location, "reauth"), None);
}

/// RFC 7009: revoking a refresh token (or an access token) ends the whole
/// sign-in; an unknown token, or another application's, answers 200 and
/// changes nothing.
#[actix_web::test]
async fn revocation_ends_the_sign_in_and_nothing_else() {
    let app = spawn_app().await;
    let (id, secret) = register(&app, false).await;
    let secret = secret.unwrap();
    let (other_id, other_secret) = register(&app, false).await;
    let other_secret = other_secret.unwrap();
    let ada = app.signup("Acme", "ada@acme.com").await;
    let sign_in = |client: String, secret: String| {
        let (app, ada) = (&app, &ada);
        async move {
            let url = format!(
                "{}/oauth2/authorize?response_type=code&client_id={client}&redirect_uri={}&scope=openid%20offline_access",
                app.base,
                urlencoding(REDIRECT)
            );
            let (_, callback) = authorize(app, &url, Some(&ada.token)).await;
            let code = param(&callback, "code").unwrap();
            let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", REDIRECT)];
            let (status, tokens) = token(app, &form, Some((&client, &secret))).await;
            assert_eq!(status, StatusCode::OK, "{tokens}");
            tokens
        }
    };
    let revoke = |token_value: String, client: String, secret: String| {
        let app = &app;
        async move {
            let res = app
                .client
                .post(app.url("/oauth2/revoke"))
                .basic_auth(client, Some(secret))
                .form(&[("token", token_value.as_str())])
                .send()
                .await
                .unwrap();
            res.status()
        }
    };
    let userinfo = |access: String| {
        let app = &app;
        async move { app.client.get(app.url("/oauth2/userinfo")).bearer_auth(access).send().await.unwrap().status() }
    };
    let mine = sign_in(id.clone(), secret.clone()).await;
    let theirs = sign_in(other_id.clone(), other_secret.clone()).await;
    let s = |v: &Value, k: &str| v[k].as_str().unwrap().to_owned();
    // Unknown, and another application's: 200, nothing changes.
    assert_eq!(revoke("gh_rt_unknown".into(), id.clone(), secret.clone()).await, StatusCode::OK);
    assert_eq!(revoke(s(&theirs, "refresh_token"), id.clone(), secret.clone()).await, StatusCode::OK);
    assert_eq!(userinfo(s(&theirs, "access_token")).await, StatusCode::OK);
    // Mine, by its refresh token: refresh and userinfo stop.
    assert_eq!(userinfo(s(&mine, "access_token")).await, StatusCode::OK);
    assert_eq!(revoke(s(&mine, "refresh_token"), id.clone(), secret.clone()).await, StatusCode::OK);
    assert_eq!(userinfo(s(&mine, "access_token")).await, StatusCode::UNAUTHORIZED);
    let form = [("grant_type", "refresh_token"), ("refresh_token", mine["refresh_token"].as_str().unwrap())];
    let (status, body) = token(&app, &form, Some((&id, &secret))).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    // Theirs, by its access token.
    assert_eq!(revoke(s(&theirs, "access_token"), other_id.clone(), other_secret.clone()).await, StatusCode::OK);
    assert_eq!(userinfo(s(&theirs, "access_token")).await, StatusCode::UNAUTHORIZED);
    // The token endpoint wants the authorization's redirect URI exactly.
    let url = format!(
        "{}/oauth2/authorize?response_type=code&client_id={id}&redirect_uri={}&scope=openid",
        app.base,
        urlencoding(REDIRECT)
    );
    let (_, callback) = authorize(&app, &url, Some(&ada.token)).await;
    let code = param(&callback, "code").unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "http://127.0.0.1:3000/other"),
    ];
    let (status, body) = token(&app, &form, Some((&id, &secret))).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{body}");
}

/// A removal by an Administrator and a directory's DELETE reach the
/// application too; a removed member gets no new code.
#[actix_web::test]
async fn a_removal_and_a_directory_delete_log_the_member_out_of_the_application() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    let Some(host) = host_app(&app).await else { return };
    let (_, bob) = app.invite_and_accept(&s.admin, "bob@acme.com").await;
    let (_, carl) = app.invite_and_accept(&s.admin, "carl@acme.com").await;
    host.sign_in(&app, bob["access_token"].as_str().unwrap(), "").await;
    host.sign_in(&app, carl["access_token"].as_str().unwrap(), "").await;
    let state = host.state(&app).await;
    let sid_of = |email: &str| {
        state["sessions"].as_array().unwrap().iter().find(|x| x["claims"]["email"] == email).unwrap()["sid"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (bob_sid, carl_sid) = (sid_of("bob@acme.com"), sid_of("carl@acme.com"));

    // Bob removed by the Administrator.
    let path = format!("/api/v1/organizations/{}/members/{}", s.admin.org_id, bob["user"]["id"].as_str().unwrap());
    let (status, _) = app.send(reqwest::Method::DELETE, &path, None, Some(&s.admin.token)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    host.logged_out(&app, &bob_sid).await;

    // Carl taken over by the directory, then deleted there.
    let created = directory_user(&app, &s, "carl@acme.com", None).await;
    let (status, _) =
        app.scim(&s, reqwest::Method::DELETE, &format!("/Users/{}", created["id"].as_str().unwrap()), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let state = host.logged_out(&app, &carl_sid).await;
    assert_eq!(state["rejected"], serde_json::json!([]));
    assert_eq!(state["sessions"], serde_json::json!([]));

    // Bob, removed, signs in again with his password: no code for Acme.
    let (_, login) = app.login("bob@acme.com", crate::helpers::PASSWORD).await;
    let res = app.client.get(format!("{}/login", host.base)).send().await.unwrap();
    let (_, refused) =
        authorize(&app, res.headers()["location"].to_str().unwrap(), login["access_token"].as_str()).await;
    assert!(param(&refused, "code").is_none() && param(&refused, "error").is_some(), "{refused}");
}

/// A public client (a browser or native application: no secret) signs in
/// with PKCE alone, against a provider signing with ES256; openid-client
/// validates the ES256 ID token against the JWKS.
#[actix_web::test]
async fn a_public_client_signs_in_with_pkce_alone_and_es256_id_tokens() {
    use api::provider::keys::{SigningAlgorithm, generate};
    static KEY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    KEY.get_or_init(|| generate(SigningAlgorithm::ES256).unwrap());
    let app =
        spawn_app_with(Options { tweak: Some(|s| s.oidc_signing_key = KEY.get().cloned()), ..Options::default() })
            .await;
    let (id, secret) = register(&app, true).await;
    assert!(secret.is_none());
    let ada = app.signup("Acme", "ada@acme.com").await;
    let base = app.base.clone();
    let es256 = |args: Vec<String>| async move {
        tokio::task::spawn_blocking(move || {
            relying_party_expecting(&args.iter().map(String::as_str).collect::<Vec<_>>(), "ES256")
        })
        .await
        .unwrap()
    };
    let start = vec!["start".into(), base.clone(), id.clone(), "-".into(), REDIRECT.into(), "openid email".into()];
    let Some(started) = es256(start).await else { return };
    let started = started.unwrap();
    let (_, callback) = authorize(&app, started["url"].as_str().unwrap(), Some(&ada.token)).await;
    assert!(param(&callback, "code").is_some(), "{callback}");
    let field = |k: &str| started[k].as_str().unwrap().to_owned();
    let finish = vec![
        "finish".to_owned(),
        base,
        id,
        "-".into(),
        "post".into(),
        callback,
        field("verifier"),
        field("state"),
        field("nonce"),
    ];
    let done = es256(finish).await.unwrap().unwrap();
    assert_eq!(done["claims"]["email"], "ada@acme.com");
    assert_eq!(done["userinfo"]["sub"], ada.user_id.as_str());
    assert!(done["refresh_token"].is_null(), "no offline_access asked");
}

/// Without `allow_private_network_urls`, a back-channel logout URI on this
/// machine is not called: the delivery fails with the guard's reason, and is
/// retried (the operator may still fix the URI or allow private networks).
#[actix_web::test]
async fn a_back_channel_logout_to_a_private_address_is_refused_by_the_guard() {
    use api::provider::entity::logout_delivery as delivery;
    use sea_orm::EntityTrait;
    let app =
        spawn_app_with(Options { tweak: Some(|s| s.allow_private_network_urls = false), ..Options::default() }).await;
    let args: Vec<String> = [
        "add",
        "--name",
        "Internal App",
        "--redirect-uri",
        REDIRECT,
        "--backchannel-logout-uri",
        "http://127.0.0.1:9/backchannel-logout",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let out = api::provider::cli::run(&app.state.db, &args, app.clock_now()).await.unwrap();
    let id = crate::helpers::printed(&out, "client_id");
    let ada = app.signup("Acme", "ada@acme.com").await;
    let url = format!(
        "{}/oauth2/authorize?response_type=code&client_id={id}&redirect_uri={}&scope=openid",
        app.base,
        urlencoding(REDIRECT)
    );
    let (_, callback) = authorize(&app, &url, Some(&ada.token)).await;
    assert!(param(&callback, "code").is_some(), "{callback}");
    let (status, _) = app.post("/api/v1/auth/logout", &serde_json::json!({}), Some(&ada.token)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for _ in 0..50 {
        let rows = delivery::Entity::find().all(&app.state.db).await.unwrap();
        if let [row] = rows.as_slice()
            && row.attempts == 1
        {
            let why = row.last_error.as_deref().unwrap_or_default();
            assert!(why.contains("must be an https:// URL"), "{why}");
            assert!(row.next_attempt_at.is_some(), "retried later");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no attempt was recorded");
}
