//! Single Sign-On over OpenID Connect against a real provider: npm
//! `oidc-provider` (OpenID Certified), started by the test from
//! `tools/node_modules` (`just tools` installs it).

use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Signed, TestApp, buy, free_port, link, spawn_app, spawn_ready, toggle, token_of};

pub(crate) const CLIENT_ID: &str = "gatehouse-test";
pub(crate) const CLIENT_SECRET: &str = "a-client-secret-that-is-long-enough";

/// A running oidc-provider; killed on drop.
pub(crate) struct Idp {
    pub issuer: String,
    _child: tokio::process::Child,
}

pub(crate) fn tools_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().join("tools")
}

/// Starts the provider for `redirect_uri`, or `None` (test skipped) when
/// Node or the package is missing and `REQUIRE_IDP` is not set.
pub(crate) async fn start_idp(redirect_uri: &str) -> Option<Idp> {
    start_idp_with(redirect_uri, false).await
}

/// `conform`: the provider keeps email and name for its UserInfo endpoint
/// (OIDC Core's default) instead of putting them in the ID token.
async fn start_idp_with(redirect_uri: &str, conform: bool) -> Option<Idp> {
    let script = tools_dir().join("oidc-provider.mjs");
    let installed = tools_dir().join("node_modules/oidc-provider").exists();
    let node = std::process::Command::new("node").arg("--version").output().is_ok();
    if !(installed && node) {
        assert!(
            std::env::var("REQUIRE_IDP").is_err(),
            "node and tools/node_modules/oidc-provider are needed: run `just tools`"
        );
        eprintln!("skipping: node or oidc-provider missing (run `just tools`)");
        return None;
    }
    let port = free_port();
    let mut command = tokio::process::Command::new("node");
    command
        .arg(script)
        .args([&port.to_string(), CLIENT_ID, CLIENT_SECRET, redirect_uri])
        .env("IDP_CONFORM", if conform { "1" } else { "0" });
    let child = spawn_ready(command, "oidc-provider").await;
    Some(Idp { issuer: format!("http://127.0.0.1:{port}"), _child: child })
}

pub(crate) struct Sso {
    pub admin: Signed,
    pub setup: String,
    pub connection: Value,
}

pub(crate) async fn sso_org(app: &TestApp) -> Sso {
    sso_org_named(app, "Acme", "acme.com").await
}

/// An organization that bought SSO, with an SSO setup link and its (empty) connection.
pub(crate) async fn sso_org_named(app: &TestApp, name: &str, domain: &str) -> Sso {
    let admin = app.ready_org(name, domain).await;
    buy(app, &admin, "sso").await;
    let (_, l) = link(app, &admin, "sso").await;
    let setup = token_of(&l);
    let (status, connection) = app.get(&format!("/api/v1/setup/{setup}/sso-connection"), None).await;
    assert_eq!(status, StatusCode::OK, "{connection}");
    Sso { admin, setup, connection }
}

pub(crate) async fn put_connection(app: &TestApp, setup: &str, body: &Value) -> (StatusCode, Value) {
    let res =
        app.client.put(app.url(&format!("/api/v1/setup/{setup}/sso-connection"))).json(body).send().await.unwrap();
    crate::helpers::read(res).await
}

pub(crate) fn attr(html: &str, after: &str, name: &str) -> Option<String> {
    let start = html.find(after)?;
    let rest = &html[start..];
    let i = rest.find(&format!("{name}=\""))? + name.len() + 2;
    Some(rest[i..i + rest[i..].find('"')?].replace("&amp;", "&"))
}

/// Drives a browser-like client from `url` through the provider's login and
/// consent pages until it is sent to our callback; returns that URL.
pub(crate) async fn sign_in_at_idp(browser: &reqwest::Client, idp: &Idp, url: &str, login: &str) -> String {
    let mut next = url.to_owned();
    for _ in 0..20 {
        let res = browser.get(&next).send().await.unwrap();
        if res.status().is_redirection() {
            let location = res.headers()["location"].to_str().unwrap().to_owned();
            let absolute = if location.starts_with('/') { format!("{}{location}", idp.issuer) } else { location };
            if !absolute.starts_with(&idp.issuer) {
                return absolute;
            }
            next = absolute;
            continue;
        }
        let html = res.text().await.unwrap();
        let action = attr(&html, "<form", "action").unwrap_or_else(|| panic!("no form in {html}"));
        let action = if action.starts_with('/') { format!("{}{action}", idp.issuer) } else { action };
        let mut fields: Vec<(String, String)> = Vec::new();
        if html.contains("name=\"login\"") {
            fields.push(("login".into(), login.into()));
            fields.push(("password".into(), "any".into()));
        }
        for part in html.split("<input").skip(1) {
            if part.contains("type=\"hidden\"")
                && let (Some(n), Some(v)) = (attr(part, "", "name"), attr(part, "", "value"))
            {
                fields.push((n, v));
            }
        }
        let res = browser.post(&action).form(&fields).send().await.unwrap();
        assert!(res.status().is_redirection(), "posting {action}: {}", res.status());
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        next = if location.starts_with('/') { format!("{}{location}", idp.issuer) } else { location };
        if !next.starts_with(&idp.issuer) {
            return next;
        }
    }
    panic!("the provider never sent the browser back");
}

pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

pub(crate) async fn sso_status(app: &TestApp, s: &Sso) -> String {
    let (_, p) = app.get(&format!("/api/v1/organizations/{}/provisioning", s.admin.org_id), Some(&s.admin.token)).await;
    p["sso"]["status"].as_str().unwrap().to_owned()
}

pub(crate) fn outcome(location: &str) -> (String, String) {
    let url = reqwest::Url::parse(location).unwrap();
    assert_eq!(url.path(), "/sso-result", "{location}");
    let get = |k: &str| url.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned()).unwrap_or_default();
    (get("outcome"), get("detail"))
}

#[actix_web::test]
async fn oidc_connection_test_sign_in_turns_sso_active() {
    let app = spawn_app().await;
    let s = sso_org(&app).await;
    let redirect_uri = s.connection["redirect_uri"].as_str().unwrap().to_owned();
    let id = s.connection["id"].as_str().unwrap();
    assert!(id.starts_with("con_"));
    assert_eq!(redirect_uri, format!("{}/sso/oidc/{id}/callback", app.base));
    assert_eq!(s.connection["acs_url"], format!("{}/sso/saml/{id}/acs", app.base));
    let Some(idp) = start_idp(&redirect_uri).await else { return };

    // Refusals first: nothing saved.
    let (status, err) = put_connection(&app, &s.setup, &json!({ "protocol": "oidc" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let (status, err) = put_connection(
        &app,
        &s.setup,
        &json!({ "protocol": "oidc", "issuer": "http://127.0.0.1:9", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET }),
    )
    .await;
    assert_eq!(
        (status, err["errors"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("discovery_failed")),
        "{err}"
    );
    let (status, err) = app.post(&format!("/api/v1/setup/{}/sso-test", s.setup), &json!({}), None).await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::CONFLICT, Some("not_configured")));

    let (status, saved) = put_connection(
        &app,
        &s.setup,
        &json!({ "provider": "custom_oidc", "protocol": "oidc", "issuer": idp.issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(
        (saved["client_secret_set"].as_bool(), saved["issuer"].as_str()),
        (Some(true), Some(idp.issuer.as_str()))
    );
    assert!(!saved.to_string().contains(CLIENT_SECRET), "the secret is never returned");
    assert_eq!(sso_status(&app, &s).await, "awaiting");

    // The secret is stored sealed.
    use sea_orm::{ConnectionTrait, Statement};
    let db = &app.state.db;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT oidc_client_secret FROM sso_connections",
        ))
        .await
        .unwrap();
    let stored: String = rows[0].try_get("", "oidc_client_secret").unwrap();
    assert!(stored.starts_with("v1.") && !stored.contains(CLIENT_SECRET));

    // The test sign-in, in one browser.
    let b = browser();
    let res = b.post(app.url(&format!("/api/v1/setup/{}/sso-test", s.setup))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let start: Value = res.json().await.unwrap();
    let authorize = start["redirect_url"].as_str().unwrap();
    assert!(authorize.contains("code_challenge_method=S256") && authorize.contains("nonce="), "{authorize}");
    let callback = sign_in_at_idp(&b, &idp, authorize, "ada@acme.com").await;
    assert!(callback.starts_with(&redirect_uri), "{callback}");

    // Another browser cannot finish it.
    let res = browser().get(&callback).send().await.unwrap();
    let (result, detail) = outcome(res.headers()["location"].to_str().unwrap());
    assert_eq!(result, "error");
    assert!(detail.contains("another browser"), "{detail}");
    assert_eq!(sso_status(&app, &s).await, "awaiting");

    let res = b.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (result, detail) = outcome(res.headers()["location"].to_str().unwrap());
    assert_eq!(result, "ok", "{detail}");
    assert_eq!(sso_status(&app, &s).await, "active");

    // The same response again: the state is used up.
    let res = b.get(&callback).send().await.unwrap();
    let (result, detail) = outcome(res.headers()["location"].to_str().unwrap());
    assert_eq!(result, "error");
    assert!(detail.contains("already used"), "{detail}");

    // A made-up state.
    let forged = callback.replace("state=", "state=x");
    let res = b.get(&forged).send().await.unwrap();
    assert_eq!(outcome(res.headers()["location"].to_str().unwrap()).0, "error");
}

#[actix_web::test]
async fn a_wrong_client_secret_is_reported_in_words() {
    let app = spawn_app().await;
    let s = sso_org(&app).await;
    let redirect_uri = s.connection["redirect_uri"].as_str().unwrap().to_owned();
    let Some(idp) = start_idp(&redirect_uri).await else { return };
    let (status, _) = put_connection(
        &app,
        &s.setup,
        &json!({ "protocol": "oidc", "issuer": idp.issuer, "client_id": CLIENT_ID, "client_secret": "not-the-secret" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let b = browser();
    let start: Value =
        b.post(app.url(&format!("/api/v1/setup/{}/sso-test", s.setup))).send().await.unwrap().json().await.unwrap();
    let callback = sign_in_at_idp(&b, &idp, start["redirect_url"].as_str().unwrap(), "ada@acme.com").await;
    let res = b.get(&callback).send().await.unwrap();
    let (result, detail) = outcome(res.headers()["location"].to_str().unwrap());
    assert_eq!(result, "error");
    assert!(detail.contains("invalid_client"), "{detail}");
    assert_eq!(sso_status(&app, &s).await, "awaiting");
}

#[actix_web::test]
async fn a_rotated_client_secret_turns_sso_error_until_a_member_signs_in_again() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = spawn_app().await;
    let s = sso_org(&app).await;
    let Some(idp) = start_idp(s.connection["redirect_uri"].as_str().unwrap()).await else { return };
    activate(&app, &s, &idp).await;
    let store_secret = |secret: &str| {
        let sealed = app.state.keys.seal(secret.as_bytes()).unwrap();
        let db = &app.state.db;
        let id = s.connection["id"].as_str().unwrap().to_owned();
        async move {
            let sql = match db.get_database_backend() {
                sea_orm::DbBackend::Postgres => "UPDATE sso_connections SET oidc_client_secret = $1 WHERE id = $2",
                _ => "UPDATE sso_connections SET oidc_client_secret = ? WHERE id = ?",
            };
            let stmt = Statement::from_sql_and_values(db.get_database_backend(), sql, [sealed.into(), id.into()]);
            db.execute_raw(stmt).await.unwrap();
        }
    };
    let sso = || {
        let path = format!("/api/v1/organizations/{}/provisioning", s.admin.org_id);
        let (app, token) = (&app, s.admin.token.clone());
        async move { app.get(&path, Some(&token)).await.1["sso"].clone() }
    };

    // The secret was rotated at the identity provider (ours is now stale):
    // members are told who can fix it; the tab says what to do, once.
    store_secret("a-secret-the-provider-rotated-away").await;
    for _ in 0..2 {
        let refused = member_sign_in(&app, &idp, "bob@acme.com").await.unwrap_err();
        assert!(refused.contains("administrator"), "{refused}");
    }
    let state = sso().await;
    assert_eq!(state["status"], "error", "{state}");
    let reason = state["reason"].as_str().unwrap();
    assert!(reason.contains("invalid_client") && reason.contains("setup link"), "{reason}");
    assert!(!reason.contains(CLIENT_SECRET), "no secret in the reason");
    let errors = app.audit_actions(&s.admin).await.iter().filter(|a| *a == "sso.error").count();
    assert_eq!(errors, 1);
    assert_eq!(app.count("sso_identities").await, 0, "nobody signed in");

    // Fixed (here: the right secret again): the next member gets through
    // and the status is active again.
    store_secret(CLIENT_SECRET).await;
    member_sign_in(&app, &idp, "bob@acme.com").await.unwrap();
    let state = sso().await;
    assert_eq!(state["status"], "active", "{state}");
    assert!(state.get("reason").is_none_or(Value::is_null), "{state}");
    assert!(app.audit_actions(&s.admin).await.iter().any(|a| a == "sso.activated"));

    // Or fixed through the setup link: saving the connection asks for a new
    // test sign-in, and the old reason goes.
    store_secret("rotated-again").await;
    member_sign_in(&app, &idp, "bob@acme.com").await.unwrap_err();
    assert_eq!(sso().await["status"], "error");
    let body =
        json!({ "protocol": "oidc", "issuer": idp.issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET });
    assert_eq!(put_connection(&app, &s.setup, &body).await.0, StatusCode::OK);
    let state = sso().await;
    assert_eq!(state["status"], "awaiting", "{state}");
    assert!(state.get("reason").is_none_or(Value::is_null), "{state}");
}

/// Configures the connection against `idp` and passes the test sign-in.
pub(crate) async fn activate(app: &TestApp, s: &Sso, idp: &Idp) {
    let (status, saved) = put_connection(
        app,
        &s.setup,
        &json!({ "provider": "okta", "protocol": "oidc", "issuer": idp.issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let b = browser();
    let start: Value =
        b.post(app.url(&format!("/api/v1/setup/{}/sso-test", s.setup))).send().await.unwrap().json().await.unwrap();
    let callback = sign_in_at_idp(&b, idp, start["redirect_url"].as_str().unwrap(), "it-admin@acme.com").await;
    let res = b.get(&callback).send().await.unwrap();
    assert_eq!(outcome(res.headers()["location"].to_str().unwrap()).0, "ok");
}

/// A member's SSO sign-in from the login page; the session token, or the refusal.
pub(crate) async fn member_sign_in(app: &TestApp, idp: &Idp, email: &str) -> Result<String, String> {
    member_sign_in_from(app, idp, email, None).await
}

/// The same, started by a browser that holds `session` (a signed-in account).
pub(crate) async fn member_sign_in_from(
    app: &TestApp,
    idp: &Idp,
    email: &str,
    session: Option<&str>,
) -> Result<String, String> {
    let b = browser();
    let mut start = b.post(app.url("/api/v1/auth/sso")).json(&json!({ "email": email }));
    if let Some(token) = session {
        start = start.bearer_auth(token);
    }
    let res = start.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let start: Value = res.json().await.unwrap();
    let url = start["redirect_url"].as_str().unwrap();
    assert!(url.contains("login_hint="), "{url}");
    finish_sign_in(app, idp, &b, url, email).await
}

/// From the identity provider's URL (`browser` holds the cookie that binds
/// the sign-in): the session token, or the refusal.
pub(crate) async fn finish_sign_in(
    app: &TestApp,
    idp: &Idp,
    b: &reqwest::Client,
    url: &str,
    email: &str,
) -> Result<String, String> {
    let callback = sign_in_at_idp(b, idp, url, email).await;
    let res = b.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    if location == format!("{}/", app.base) {
        let cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with("gatehouse_session="));
        let token = cookie
            .expect("a session cookie")
            .trim_start_matches("gatehouse_session=")
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        return Ok(token);
    }
    Err(outcome(&location).1)
}

#[actix_web::test]
async fn members_sign_in_through_sso_and_are_created_just_in_time() {
    let app = spawn_app().await;
    let s = sso_org(&app).await;
    let Some(idp) = start_idp(s.connection["redirect_uri"].as_str().unwrap()).await else { return };

    // Not set up yet: the login page says so.
    let (status, err) = app.post("/api/v1/auth/sso", &json!({ "email": "bob@acme.com" }), None).await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::CONFLICT, Some("sso_not_ready")), "{err}");
    activate(&app, &s, &idp).await;

    let (status, err) = app.post("/api/v1/auth/sso", &json!({ "email": "someone@elsewhere.com" }), None).await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::NOT_FOUND, Some("sso_not_configured")), "{err}");
    let (status, _) = app.post("/api/v1/auth/sso", &json!({ "email": "not an email" }), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // A first sign-in creates the member with the default plan.
    let users_before = app.count("users").await;
    let token = member_sign_in(&app, &idp, "bob@acme.com").await.unwrap();
    let (status, me) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["user"]["email"], "bob@acme.com");
    assert_eq!(
        (me["memberships"][0]["organization_id"].as_str(), me["memberships"][0]["role"].as_str()),
        (Some(s.admin.org_id.as_str()), Some("member"))
    );
    let (_, members) =
        app.get(&format!("/api/v1/organizations/{}/members", s.admin.org_id), Some(&s.admin.token)).await;
    let bob = members["data"].as_array().unwrap().iter().find(|m| m["email"] == "bob@acme.com").cloned().unwrap();
    assert_eq!(bob["plan_id"], "plan_core");
    assert_eq!(app.count("users").await, users_before + 1);
    // The second time it is the same member.
    let again = member_sign_in(&app, &idp, "bob@acme.com").await.unwrap();
    let (_, me2) = app.get("/api/v1/me", Some(&again)).await;
    assert_eq!(me2["user"]["id"], me["user"]["id"]);
    assert_eq!(app.count("users").await, users_before + 1);
    assert_eq!(app.count("sso_identities").await, 1);

    // An existing member with a password (here the Administrator) is not
    // linked by email alone: whoever configured the provider could be
    // anyone holding the setup link. Signed in with the password first, the
    // account proves itself and is linked, not duplicated.
    let refused = member_sign_in(&app, &idp, "admin@acme.com").await.unwrap_err();
    assert!(refused.contains("sign in with your password"), "{refused}");
    assert_eq!(app.count("sso_identities").await, 1);
    let other = app.signup("Elsewhere", "someone@elsewhere.com").await;
    let refused = member_sign_in_from(&app, &idp, "admin@acme.com", Some(&other.token)).await.unwrap_err();
    assert!(refused.contains("sign in with your password"), "another account's session proves nothing: {refused}");
    let token = member_sign_in_from(&app, &idp, "admin@acme.com", Some(&s.admin.token)).await.unwrap();
    let (_, me) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me["user"]["id"], s.admin.user_id.as_str());
    // Linked once, the provider alone signs the Administrator in from now on.
    let token = member_sign_in(&app, &idp, "admin@acme.com").await.unwrap();
    let (_, me) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me["user"]["id"], s.admin.user_id.as_str());

    // An account outside the organization is never taken over by email.
    let outsider = app.signup("Other", "carol@acme.com").await;
    let refused = member_sign_in(&app, &idp, "carol@acme.com").await.unwrap_err();
    assert!(refused.contains("outside your organization"), "{refused}");
    let (_, me) = app.get("/api/v1/me", Some(&outsider.token)).await;
    assert_eq!(me["memberships"].as_array().map(Vec::len), Some(1));

    let (_, p) = app.get(&format!("/api/v1/organizations/{}/provisioning", s.admin.org_id), Some(&s.admin.token)).await;
    assert!(p["sso"]["last_activity_at"].is_string());
    let actions = app.audit_actions(&s.admin).await;
    assert!(
        actions.iter().any(|a| a == "sso.member_created") && actions.iter().any(|a| a == "sso.identity_linked"),
        "{actions:?}"
    );

    // Saving the same provider again (a new client secret) keeps the links;
    // another provider (here another client ID) vouches for none of them:
    // the setup link's holder must not inherit the Administrator's link.
    let identities = app.count("sso_identities").await;
    assert_eq!(identities, 2);
    let same = json!({ "provider": "okta", "protocol": "oidc", "issuer": idp.issuer, "client_id": CLIENT_ID,
        "client_secret": "another-client-secret-long-enough" });
    assert_eq!(put_connection(&app, &s.setup, &same).await.0, StatusCode::OK);
    assert_eq!(app.count("sso_identities").await, identities);
    let other = json!({ "provider": "okta", "protocol": "oidc", "issuer": idp.issuer, "client_id": "someone-else" });
    let (status, saved) = put_connection(&app, &s.setup, &other).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(app.count("sso_identities").await, 0);
}

#[actix_web::test]
async fn revoking_sso_refuses_the_next_sign_in_with_a_clear_message() {
    let app = spawn_app().await;
    let s = sso_org(&app).await;
    let Some(idp) = start_idp(s.connection["redirect_uri"].as_str().unwrap()).await else { return };
    activate(&app, &s, &idp).await;

    // Started while active, finished after the admin turned SSO off.
    let b = browser();
    let start: Value = b
        .post(app.url("/api/v1/auth/sso"))
        .json(&json!({ "email": "bob@acme.com" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let callback = sign_in_at_idp(&b, &idp, start["redirect_url"].as_str().unwrap(), "bob@acme.com").await;
    assert_eq!(toggle(&app, &s.admin, "sso", false).await.0, StatusCode::OK);
    let res = b.get(&callback).send().await.unwrap();
    let (result, detail) = outcome(res.headers()["location"].to_str().unwrap());
    assert_eq!(result, "error");
    assert!(detail.contains("turned off"), "{detail}");
    assert!(res.headers().get_all("set-cookie").iter().all(|c| !c.to_str().unwrap().starts_with("gatehouse_session=")));
    assert_eq!(app.count("sso_identities").await, 0, "no member created");

    let (status, err) = app.post("/api/v1/auth/sso", &json!({ "email": "bob@acme.com" }), None).await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::CONFLICT, Some("sso_inactive")));
    assert!(err["detail"].as_str().unwrap().contains("turned off"));
}

#[actix_web::test]
async fn an_invite_without_password_is_accepted_and_then_signs_in_through_sso() {
    let app = spawn_app().await;
    let s = sso_org(&app).await;
    let Some(idp) = start_idp(s.connection["redirect_uri"].as_str().unwrap()).await else { return };
    activate(&app, &s, &idp).await;
    let res = app
        .client
        .put(app.url(&format!("/api/v1/organizations/{}/invite-settings", s.admin.org_id)))
        .bearer_auth(&s.admin.token)
        .json(&json!({ "disable_passwords_on_invites": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (_, invite) = app
        .post(
            &format!("/api/v1/organizations/{}/invites", s.admin.org_id),
            &json!({ "email": "dan@acme.com" }),
            Some(&s.admin.token),
        )
        .await;
    assert_eq!(invite["password_required"], false);
    let (status, joined) =
        app.post("/api/v1/invites/accept", &json!({ "token": invite["token"], "name": "Dan" }), None).await;
    assert_eq!(status, StatusCode::CREATED, "{joined}");
    let dan = joined["user"]["id"].as_str().unwrap().to_owned();
    // No password to sign in with…
    let (status, _) = app.login("dan@acme.com", "anything-at-all").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // …but SSO finds the invited member.
    let token = member_sign_in(&app, &idp, "dan@acme.com").await.unwrap();
    let (_, me) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me["user"]["id"], dan.as_str());
}

/// An organization's identity provider vouches for that organization's
/// members only: a session it opens does not open another organization the
/// same account administers (a password sign-in does).
#[actix_web::test]
async fn an_sso_session_opens_only_the_organization_whose_provider_signed_in() {
    let app = spawn_app().await;
    let s = sso_org(&app).await;
    let Some(idp) = start_idp(s.connection["redirect_uri"].as_str().unwrap()).await else { return };
    activate(&app, &s, &idp).await;
    // Carol administers "Other" and joined Acme through an invite.
    let carol = app.signup("Other", "carol@acme.com").await;
    assert_eq!(app.invite_and_accept(&s.admin, "carol@acme.com").await.0, StatusCode::CREATED);
    let other_members = format!("/api/v1/organizations/{}/members", carol.org_id);
    let (_, me) = app.get("/api/v1/me", Some(&carol.token)).await;
    assert_eq!(me["memberships"].as_array().map(Vec::len), Some(2), "{me}");

    // (Her account has a password: the first SSO sign-in is started from a
    // browser signed in as her, which links it.)
    let token = member_sign_in_from(&app, &idp, "carol@acme.com", Some(&carol.token)).await.unwrap();
    let (_, me) = app.get("/api/v1/me", Some(&token)).await;
    let orgs: Vec<&str> =
        me["memberships"].as_array().unwrap().iter().filter_map(|m| m["organization_id"].as_str()).collect();
    assert_eq!(orgs, [s.admin.org_id.as_str()], "{me}");
    assert_eq!(app.get(&other_members, Some(&token)).await.0, StatusCode::NOT_FOUND);
    // Her password session still opens both.
    assert_eq!(app.get(&other_members, Some(&carol.token)).await.0, StatusCode::OK);
}

#[actix_web::test]
async fn the_email_comes_from_userinfo_when_the_id_token_lacks_it() {
    let app = spawn_app().await;
    let s = sso_org(&app).await;
    let Some(idp) = start_idp_with(s.connection["redirect_uri"].as_str().unwrap(), true).await else { return };
    activate(&app, &s, &idp).await;
    let token = member_sign_in(&app, &idp, "erin@acme.com").await.unwrap();
    let (_, me) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(
        (me["user"]["email"].as_str(), me["user"]["name"].as_str()),
        (Some("erin@acme.com"), Some("Test erin@acme.com"))
    );
}

/// Failure 1 of the directory lifecycle, through SSO: a person the directory
/// provisioned and then deleted signs in through the organization's SSO and
/// is its member again (the account is its own: no password, no other
/// membership), instead of "exists outside your organization".
#[actix_web::test]
async fn a_person_the_directory_deleted_signs_in_again_through_sso() {
    let app = spawn_app().await;
    let s = sso_org(&app).await;
    let Some(idp) = start_idp(s.connection["redirect_uri"].as_str().unwrap()).await else { return };
    activate(&app, &s, &idp).await;
    buy(&app, &s.admin, "directory_sync").await;
    let (status, l) = link(&app, &s.admin, "scim").await;
    assert_eq!(status, StatusCode::CREATED, "{l}");
    let (_, creds) = app.post(&format!("/api/v1/setup/{}/scim-credentials", token_of(&l)), &json!({}), None).await;
    let scim = |method: reqwest::Method, path: String, body: Option<Value>| {
        let mut req = app.client.request(method, format!("{}{path}", creds["scim_base_url"].as_str().unwrap()));
        req = req.bearer_auth(creds["bearer_token"].as_str().unwrap());
        if let Some(b) = body {
            req = req.header("content-type", "application/scim+json").body(b.to_string());
        }
        req.send()
    };
    let body = json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "gil@acme.com",
        "emails": [{ "value": "gil@acme.com", "type": "work", "primary": true }] });
    let created: Value =
        scim(reqwest::Method::POST, "/Users".into(), Some(body.clone())).await.unwrap().json().await.unwrap();
    let res = scim(reqwest::Method::DELETE, format!("/Users/{}", created["id"].as_str().unwrap()), None).await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let token = member_sign_in(&app, &idp, "gil@acme.com").await.unwrap();
    let (_, me) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me["memberships"][0]["organization_id"], s.admin.org_id.as_str(), "{me}");
    // Known to the provider now (an identity): provisioned, deleted again,
    // and signed in again, still a member.
    let created: Value = scim(reqwest::Method::POST, "/Users".into(), Some(body)).await.unwrap().json().await.unwrap();
    let res = scim(reqwest::Method::DELETE, format!("/Users/{}", created["id"].as_str().unwrap()), None).await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let token = member_sign_in(&app, &idp, "gil@acme.com").await.unwrap();
    let (_, me) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me["memberships"][0]["organization_id"], s.admin.org_id.as_str(), "{me}");
}
