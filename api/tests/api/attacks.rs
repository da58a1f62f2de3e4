//! What an attacker with no account tries against the public surfaces: the
//! SAML ACS (XML-signature processing), password guessing through login and
//! invite acceptance, memory through password hashing, SSRF from the setup
//! wizard, account linking through SSO, and anonymous table growth. Each
//! test fails on the code before these were closed.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Options, PASSWORD, TestApp, captured_logs, spawn_app, spawn_app_with};
use crate::sso::{Sso, browser, outcome, put_connection, sso_org};

/// A self-signed certificate, PEM, as an identity provider would publish.
fn certificate() -> String {
    use openssl::{asn1::Asn1Time, bn::BigNum, hash::MessageDigest, pkey::PKey, rsa::Rsa, x509};
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut name = x509::X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "idp.example.com").unwrap();
    let name = name.build();
    let mut b = x509::X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&BigNum::from_u32(1).unwrap().to_asn1_integer().unwrap()).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap()).unwrap();
    b.set_not_after(&Asn1Time::days_from_now(365).unwrap()).unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    String::from_utf8(b.build().to_pem().unwrap()).unwrap()
}

/// SAML configured by hand (no identity provider needs to run: the
/// documents below are what an attacker posts, unsigned).
async fn saml_org(app: &TestApp) -> Sso {
    let s = sso_org(app).await;
    let body = json!({ "provider": "custom_saml", "protocol": "saml", "idp_entity_id": "https://idp.example.com",
        "idp_sso_url": "https://idp.example.com/sso", "idp_certificate": certificate() });
    let (status, saved) = put_connection(app, &s.setup, &body).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    Sso { connection: saved, ..s }
}

/// Starts a test sign-in; the browser holding its cookie and the RelayState.
async fn pending(app: &TestApp, s: &Sso) -> (reqwest::Client, String) {
    let b = browser();
    let res = b.post(app.url(&format!("/api/v1/setup/{}/sso-test", s.setup))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let start: Value = res.json().await.unwrap();
    let url = reqwest::Url::parse(start["redirect_url"].as_str().unwrap()).unwrap();
    let relay = url.query_pairs().find(|(k, _)| k == "RelayState").unwrap().1.into_owned();
    (b, relay)
}

/// Posts `xml` to the ACS as the IdP's page would; the refusal's words.
async fn post_acs(s: &Sso, b: &reqwest::Client, relay: &str, xml: &[u8]) -> String {
    let acs = s.connection["acs_url"].as_str().unwrap();
    let response = base64::engine::general_purpose::STANDARD.encode(xml);
    let res = b.post(acs).form(&[("SAMLResponse", response.as_str()), ("RelayState", relay)]).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let (result, detail) = outcome(&location);
    assert_eq!(result, "error", "{location}");
    detail
}

fn response_with(signature: &str) -> String {
    format!(
        r##"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>https://idp.example.com</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion ID="_a1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>https://idp.example.com</saml:Issuer>{signature}<saml:Subject><saml:NameID>admin@acme.com</saml:NameID></saml:Subject></saml:Assertion></samlp:Response>"##
    )
}

fn signature(uri: &str, transforms: &str) -> String {
    format!(
        r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="{uri}"><ds:Transforms>{transforms}</ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>"##
    )
}

/// A TCP listener that records whether anything connected to it.
struct Canary {
    port: u16,
    touched: Arc<AtomicBool>,
}

fn canary() -> Canary {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let touched = Arc::new(AtomicBool::new(false));
    let t = touched.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            t.store(true, Ordering::SeqCst);
            drop(stream);
        }
    });
    Canary { port, touched }
}

/// A FIFO whose writer side notes when someone opens it for reading.
struct Fifo {
    path: std::path::PathBuf,
    opened: Arc<AtomicBool>,
}

fn fifo(dir: &std::path::Path) -> Fifo {
    let path = dir.join("canary.fifo");
    let made = std::process::Command::new("mkfifo").arg(&path).status().unwrap();
    assert!(made.success());
    let opened = Arc::new(AtomicBool::new(false));
    let (p, o) = (path.clone(), opened.clone());
    std::thread::spawn(move || {
        // Blocks until a reader opens the FIFO.
        if std::fs::OpenOptions::new().write(true).open(&p).is_ok() {
            o.store(true, Ordering::SeqCst);
        }
    });
    Fifo { path, opened }
}

impl Drop for Fifo {
    fn drop(&mut self) {
        // Release the writer thread (our own read counts for nothing now).
        let already = self.opened.load(Ordering::SeqCst);
        if !already {
            let mut f = std::fs::File::open(&self.path).unwrap();
            let _ = f.read(&mut [0u8; 1]);
        }
    }
}

#[actix_web::test]
async fn the_acs_refuses_hostile_signatures_before_fetching_reading_or_computing_anything() {
    let app = spawn_app().await;
    let s = saml_org(&app).await;
    let canary = canary();
    let fifo = fifo(&app.dir);
    let standard = r#"<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#;
    let xpath = format!(
        r#"<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>{}</ds:XPath></ds:Transform>"#,
        "count(//. | //@* | //namespace::*) and ".repeat(200) + "1"
    );
    let xslt = r#"<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116"><xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0"><xsl:template match="/"><xsl:for-each select="//node()"><xsl:for-each select="//node()"><xsl:copy-of select="/"/></xsl:for-each></xsl:for-each></xsl:template></xsl:stylesheet></ds:Transform>"#;
    let http = format!("http://127.0.0.1:{}/canary", canary.port);
    let file = format!("file://{}", fifo.path.display());
    let cases: Vec<(&str, String)> = vec![
        ("http reference", response_with(&signature(&http, standard))),
        ("file reference", response_with(&signature(&file, standard))),
        ("XPath transform", response_with(&signature("#_a1", &xpath))),
        ("XSLT transform", response_with(&signature("#_a1", xslt))),
        (
            "UTF-7 declaration",
            format!("<?xml version=\"1.0\" encoding=\"UTF-7\"?>{}", response_with(&signature("#_a1", standard))),
        ),
        (
            "UTF-16 declaration",
            format!("<?xml version=\"1.0\" encoding=\"UTF-16\"?>{}", response_with(&signature("#_a1", standard))),
        ),
    ];
    for (what, xml) in cases {
        let (b, relay) = pending(&app, &s).await;
        let started = Instant::now();
        let detail = post_acs(&s, &b, &relay, xml.as_bytes()).await;
        let took = started.elapsed();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!canary.touched.load(Ordering::SeqCst), "{what}: the server connected to the canary");
        assert!(!fifo.opened.load(Ordering::SeqCst), "{what}: the server opened the FIFO");
        assert!(took < Duration::from_secs(2), "{what} took {took:?}");
        assert!(
            ["outside the document", "transform", "encoding"].iter().any(|w| detail.contains(w)),
            "{what}: {detail}"
        );
        // The failed post used the pending sign-in up: no second try with it.
        let again = post_acs(&s, &b, &relay, xml.as_bytes()).await;
        assert!(again.contains("already used"), "{what}: {again}");
    }
    // UTF-16 text itself (no declaration needed: libxml2 detects it).
    let utf16: Vec<u8> = response_with(&signature(&http, standard)).encode_utf16().flat_map(u16::to_le_bytes).collect();
    let (b, relay) = pending(&app, &s).await;
    let detail = post_acs(&s, &b, &relay, &utf16).await;
    assert!(detail.contains("UTF-8"), "{detail}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!canary.touched.load(Ordering::SeqCst), "the server connected to the canary");
    assert!(!fifo.opened.load(Ordering::SeqCst), "the server opened the FIFO");
}

#[actix_web::test]
async fn concurrent_wrong_passwords_are_checked_no_more_than_the_limit() {
    let app = spawn_app().await;
    let victim = app.signup("Victim", "ceo@victim.io").await;
    let guesses = (0..40).map(|i| {
        let (client, url) = (app.client.clone(), app.url("/api/v1/auth/login"));
        async move {
            let body = json!({ "email": "ceo@victim.io", "password": format!("wrong guess {i}") });
            client.post(url).json(&body).send().await.unwrap().status()
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let limited = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((checked, limited), (10, 30), "{statuses:?}");
    let failed = app.audit_actions(&victim).await.iter().filter(|a| *a == "login.failed").count();
    assert_eq!(failed, 10);
}

#[actix_web::test]
async fn invite_acceptance_is_no_password_oracle_and_opens_only_the_invited_organization() {
    let app = spawn_app().await;
    let victim = app.signup("Victim", "ceo@victim.io").await;
    let attacker = app.signup("Attacker", "mallory@evil.io").await;
    let path = format!("/api/v1/organizations/{}/invites", attacker.org_id);
    let (status, invite) =
        app.post(&path, &json!({ "email": "ceo@victim.io", "role": "admin" }), Some(&attacker.token)).await;
    assert_eq!(status, StatusCode::CREATED, "{invite}");
    let guess = |password: &str| json!({ "token": invite["token"], "name": "x", "password": password });
    let mut statuses = Vec::new();
    for i in 0..12 {
        statuses.push(app.post("/api/v1/invites/accept", &guess(&format!("guess number {i}")), None).await.0);
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count(), 10, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count(), 2, "{statuses:?}");
    // The right password is refused too while the email is locked: the
    // same limit as the login page, shared with it.
    assert_eq!(app.post("/api/v1/invites/accept", &guess(PASSWORD), None).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.login("ceo@victim.io", PASSWORD).await.0, StatusCode::TOO_MANY_REQUESTS);
    // Every guess is in the victim's own audit log.
    let actions = app.audit_actions(&victim).await;
    assert_eq!(actions.iter().filter(|a| *a == "login.failed").count(), 10, "{actions:?}");
    let (_, events) =
        app.get(&format!("/api/v1/organizations/{}/audit-events", victim.org_id), Some(&victim.token)).await;
    assert!(events["data"].as_array().unwrap().iter().any(|e| e.to_string().contains("invite")), "{events}");
    // Once the window passes, the owner accepts; the session reaches the
    // invited organization only, not the account's own.
    app.clock.advance(chrono::Duration::seconds(61));
    let (status, accepted) = app.post("/api/v1/invites/accept", &guess(PASSWORD), None).await;
    assert_eq!(status, StatusCode::CREATED, "{accepted}");
    let token = accepted["access_token"].as_str().unwrap();
    let (_, me) = app.get("/api/v1/me", Some(token)).await;
    let orgs: Vec<&str> =
        me["memberships"].as_array().unwrap().iter().map(|m| m["organization_id"].as_str().unwrap()).collect();
    assert_eq!(orgs, vec![attacker.org_id.as_str()]);
    let (status, _) = app.get(&format!("/api/v1/organizations/{}/members", victim.org_id), Some(token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn public_sign_in_endpoints_are_limited_per_client_address() {
    let app = spawn_app_with(Options { tweak: Some(|s| s.auth_requests_per_minute = 5), ..Default::default() }).await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(app.login("nobody@nowhere.io", "wrong password").await.0);
        statuses.push(app.post("/api/v1/auth/sso", &json!({ "email": "a@nowhere.io" }), None).await.0);
    }
    assert_eq!(
        &statuses[..5],
        &[
            StatusCode::UNAUTHORIZED,
            StatusCode::NOT_FOUND,
            StatusCode::UNAUTHORIZED,
            StatusCode::NOT_FOUND,
            StatusCode::UNAUTHORIZED
        ]
    );
    assert_eq!(statuses[5], StatusCode::TOO_MANY_REQUESTS);
    let res = app
        .client
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"organization_name": "X", "name": "X", "email": "x@x-corp.io", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("retry-after").is_some());
    // Every other token check an anonymous caller reaches counts the same.
    assert_eq!(app.get("/api/v1/setup/gh_setup_guess", None).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.get("/api/v1/invites/guess", None).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        app.post("/api/v1/setup/gh_setup_guess/scim-credentials", &json!({}), None).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // A minute later the bucket has refilled.
    app.clock.advance(chrono::Duration::seconds(60));
    assert_eq!(app.login("nobody@nowhere.io", "wrong password").await.0, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn the_setup_wizard_fetches_no_private_address_by_default() {
    let app =
        spawn_app_with(Options { tweak: Some(|s| s.allow_private_network_urls = false), ..Default::default() }).await;
    let s = sso_org(&app).await;
    let canary = canary();
    let port = canary.port;
    for issuer in [
        format!("http://127.0.0.1:{port}"),
        format!("https://127.0.0.1:{port}"),
        format!("https://localhost:{port}"),
        format!("https://[::ffff:127.0.0.1]:{port}"),
        "https://169.254.169.254".to_owned(),
    ] {
        let body = json!({ "provider": "okta", "protocol": "oidc", "issuer": issuer, "client_id": "c",
            "client_secret": "a-client-secret-that-is-long-enough" });
        let (status, problem) = put_connection(&app, &s.setup, &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{issuer}: {problem}");
        let message = problem["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("private or reserved") || message.contains("https://"), "{issuer}: {message}");
    }
    let body = json!({ "provider": "okta", "protocol": "saml", "idp_metadata_url": format!("https://localhost:{port}/metadata") });
    let (status, problem) = put_connection(&app, &s.setup, &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!canary.touched.load(Ordering::SeqCst), "the server connected to a loopback address");
}

#[actix_web::test]
async fn what_a_fetched_document_says_is_not_repeated_in_errors() {
    // An internal service answering with something secret where the
    // discovery document's issuer belongs.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten().take(4) {
            let mut stream = stream;
            let mut buf = [0u8; 2048];
            let _ = std::io::Read::read(&mut stream, &mut buf);
            let body = r#"{"issuer":"INTERNAL-SECRET-42","error_description":"INTERNAL-SECRET-42"}"#;
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = std::io::Write::write_all(&mut stream, reply.as_bytes());
        }
    });
    let app = spawn_app().await;
    let s = sso_org(&app).await;
    let body = json!({ "provider": "okta", "protocol": "oidc", "issuer": format!("http://127.0.0.1:{port}"),
        "client_id": "c", "client_secret": "a-client-secret-that-is-long-enough" });
    let (status, problem) = put_connection(&app, &s.setup, &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(!problem.to_string().contains("INTERNAL-SECRET"), "{problem}");
}

#[actix_web::test]
async fn anonymous_sso_starts_are_limited_and_expired_ones_purged() {
    let app = spawn_app().await;
    let s = saml_org(&app).await;
    // Turn SSO active (the test sign-in is what would; here directly).
    let db = &app.state.db;
    sea_orm::ConnectionTrait::execute_unprepared(
        db,
        &format!(
            "UPDATE organization_features SET status = 'active' WHERE organization_id = '{}' AND feature = 'sso'",
            s.admin.org_id
        ),
    )
    .await
    .unwrap();
    let mut statuses = Vec::new();
    for _ in 0..100 {
        statuses.push(app.post("/api/v1/auth/sso", &json!({ "email": "x@acme.com" }), None).await.0);
    }
    let started = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    // 60 a minute from one address; the sign-up and saving the connection took two.
    assert_eq!(started, 58);
    assert!(statuses[58..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(app.count("sso_requests").await, 58);
    // Unfinished ones are gone once they have expired.
    app.clock.advance(chrono::Duration::minutes(21));
    assert_eq!(app.post("/api/v1/auth/sso", &json!({ "email": "x@acme.com" }), None).await.0, StatusCode::OK);
    assert_eq!(app.count("sso_requests").await, 1);
}

#[actix_web::test]
async fn answers_carry_hardening_headers() {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(
        dist.path().join("index.html"),
        "<!doctype html><html><head><script type=\"module\">import init from '/web.js';init();</script></head></html>",
    )
    .unwrap();
    let app = spawn_app_with(Options { web_dir: Some(dist.path().to_path_buf()), ..Default::default() }).await;
    for path in ["/", "/login", "/setup/abc", "/invite/abc"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let csp = res.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        let cache = res.headers()["cache-control"].to_str().unwrap();
        let secret = path.starts_with("/setup/") || path.starts_with("/invite/");
        assert_eq!(cache, if secret { "no-store" } else { "no-cache" }, "{path}");
    }
    let res = app
        .client
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"organization_name": "X", "name": "X", "email": "x@x-corp.io", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert!(res.headers().get("strict-transport-security").is_none(), "no HSTS over http");
    let https = spawn_app_with(Options {
        tweak: Some(|s| s.public_url = Some("https://gatehouse.example.com".to_owned())),
        ..Default::default()
    })
    .await;
    let res = https.client.get(https.url("/health")).send().await.unwrap();
    assert!(res.headers()["strict-transport-security"].to_str().unwrap().contains("max-age="));
}

#[actix_web::test]
async fn a_body_that_trickles_in_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(Options { tweak: Some(|s| s.request_body_timeout_secs = 1), ..Default::default() }).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head =
        "POST /api/v1/auth/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{";
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            // A byte every 300 ms: never enough to finish, always enough to look alive.
            tokio::select! {
                n = stream.read(&mut answer) => return n.unwrap_or(0),
                () = tokio::time::sleep(Duration::from_millis(300)) => { let _ = stream.write_all(b" ").await; }
            }
        }
    })
    .await
    .expect("the server kept the connection open");
    let text = String::from_utf8_lossy(&answer[..n]);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[actix_web::test]
async fn a_scim_filter_no_index_serves_is_refused_on_a_large_directory() {
    let app = spawn_app_with(Options { tweak: Some(|s| s.scim_max_filter_scan = 3), ..Default::default() }).await;
    let s = app.scim_org("Acme", "acme.com").await;
    for i in 0..4 {
        let body = json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": format!("u{i}@acme.com"),
            "emails": [{ "value": format!("u{i}@acme.com"), "type": "work", "primary": true }], "title": "Engineer" });
        assert_eq!(app.scim(&s, reqwest::Method::POST, "/Users", Some(&body)).await.0, StatusCode::CREATED);
    }
    let (status, err) = app.scim(&s, reqwest::Method::GET, "/Users?filter=title%20eq%20%22Engineer%22", None).await;
    assert_eq!((status, err["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("tooMany")), "{err}");
    assert!(err["detail"].as_str().unwrap().contains("userName eq"), "{err}");
    let search =
        json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "title co \"Eng\"" });
    assert_eq!(app.scim(&s, reqwest::Method::POST, "/Users/.search", Some(&search)).await.0, StatusCode::BAD_REQUEST);
    // What an index answers, and plain paging, still work.
    let (status, found) =
        app.scim(&s, reqwest::Method::GET, "/Users?filter=userName%20eq%20%22u2@acme.com%22", None).await;
    assert_eq!((status, found["totalResults"].as_u64()), (StatusCode::OK, Some(1)), "{found}");
    let (status, all) = app.scim(&s, reqwest::Method::GET, "/Users?count=2", None).await;
    assert_eq!((status, all["totalResults"].as_u64()), (StatusCode::OK, Some(4)), "{all}");
}

/// The mails the development sink wrote, oldest first.
fn mails(app: &TestApp) -> Vec<String> {
    api::mail::MailDir::new(app.dir.join("data/mail")).messages()
}

/// The newest mail once there are `n` (a sign-up's mail is sent after its answer).
async fn nth_mail(app: &TestApp, n: usize) -> String {
    for _ in 0..200 {
        let all = mails(app);
        if all.len() >= n {
            return all[n - 1].clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("mail {n} never came: {:?}", mails(app));
}

/// The link in a mail that starts with `prefix`.
fn link_in(mail: &str, prefix: &str) -> Option<String> {
    let start = mail.find(prefix)?;
    Some(mail[start..].split_whitespace().next()?.to_owned())
}

#[actix_web::test]
async fn sign_up_by_mail_answers_alike_whether_or_not_the_account_exists() {
    let app = spawn_app_with(Options {
        tweak: Some(|s| s.signup_confirmation = api::config::SignupConfirmation::Email),
        ..Default::default()
    })
    .await;
    let body = |email: &str| json!({"organization_name": "Acme", "name": "Ada", "email": email, "password": PASSWORD});
    let (status, pending) = app.post("/api/v1/auth/signup", &body("ada@acme.com"), None).await;
    assert_eq!((status, &pending), (StatusCode::ACCEPTED, &json!({ "confirmation_sent_to": "ada@acme.com" })));
    let mail = nth_mail(&app, 1).await;
    assert_eq!(app.count("organizations").await, 0, "nothing exists before the link is opened");
    assert!(mail.starts_with("To: ada@acme.com\r\n"), "{mail}");
    let link = link_in(&mail, &format!("{}/signup/confirm/", app.base)).expect("a confirmation link");
    let token = link.rsplit('/').next().unwrap().to_owned();
    assert!(!captured_logs().contains(&token), "the link is never logged");

    // Confirmed (the API way) with the password chosen at sign-up — not
    // with another one: the mailbox alone does not choose the password.
    let (status, wrong) = app
        .post("/api/v1/auth/signup/confirm", &json!({ "token": token, "password": "not the one chosen" }), None)
        .await;
    assert_eq!((status, wrong["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")));
    let (status, created) =
        app.post("/api/v1/auth/signup/confirm", &json!({ "token": token, "password": PASSWORD }), None).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, me) = app.get("/api/v1/me", created["access_token"].as_str()).await;
    assert_eq!((status, me["user"]["email"].as_str()), (StatusCode::OK, Some("ada@acme.com")));
    let (status, again) =
        app.post("/api/v1/auth/signup/confirm", &json!({ "token": token, "password": PASSWORD }), None).await;
    assert_eq!((status, again["code"].as_str()), (StatusCode::NOT_FOUND, Some("signup_link_unknown")));

    // The same sign-up for the address that now has an account: the same
    // answer; only the mailbox learns that the account exists.
    let (status, same) = app.post("/api/v1/auth/signup", &body("ada@acme.com"), None).await;
    assert_eq!((status, same), (StatusCode::ACCEPTED, pending));
    let mail = nth_mail(&app, 2).await;
    assert!(mail.contains("You already have an account") && !mail.contains("/signup/confirm/"), "{mail}");
    assert_eq!(app.count("signup_requests").await, 0);

    // The page the link opens: the password and a button (mail scanners
    // create nothing), then the organization and a session cookie; never
    // from another site's form (login CSRF).
    app.post("/api/v1/auth/signup", &body("bob@bob-corp.io"), None).await;
    let link = link_in(&nth_mail(&app, 3).await, &format!("{}/signup/confirm/", app.base)).unwrap();
    let page = app.client.get(&link).send().await.unwrap();
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains("<form method=\"post\">") && html.contains("bob@bob-corp.io"), "{html}");
    assert_eq!(app.count("organizations").await, 1);
    for (name, value) in [("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")] {
        let res = app.client.post(&link).header(name, value).form(&[("password", PASSWORD)]).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{name}");
        assert!(res.headers().get("set-cookie").is_none());
    }
    assert_eq!(app.count("organizations").await, 1);
    let res = app
        .client
        .post(&link)
        .header("sec-fetch-site", "same-origin")
        .form(&[("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(res.headers()["location"].to_str().unwrap().contains("/organizations/org_"));
    assert!(res.headers().get_all("set-cookie").iter().any(|c| c.to_str().unwrap().starts_with("gatehouse_session=")));
    assert_eq!(app.count("organizations").await, 2);
    let used = app.client.post(&link).form(&[("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(used.status(), StatusCode::NOT_FOUND);
    assert!(used.text().await.unwrap().contains("already used"));
    let reopened = app.client.get(&link).send().await.unwrap();
    assert_eq!(reopened.status(), StatusCode::NOT_FOUND);
    assert!(!reopened.text().await.unwrap().contains("<form"), "a used link offers no button");
    assert!(!captured_logs().contains(link.rsplit('/').next().unwrap()), "the link is never logged");

    // Invites are mailed: whoever invites never holds the link.
    let path = format!("/api/v1/organizations/{}/invites", created["organization"]["id"].as_str().unwrap());
    let (status, invite) = app.post(&path, &json!({ "email": "dan@acme.com" }), created["access_token"].as_str()).await;
    assert_eq!(status, StatusCode::CREATED, "{invite}");
    assert!(invite.get("token").is_none() && invite.get("accept_url").is_none(), "{invite}");
    let mail = nth_mail(&app, 4).await;
    assert!(mail.starts_with("To: dan@acme.com\r\n"), "{mail}");
    let accept = link_in(&mail, &format!("{}/invite/", app.base)).expect("an invite link");
    let (status, preview) = app.get(&format!("/api/v1/invites/{}", accept.rsplit('/').next().unwrap()), None).await;
    assert_eq!((status, preview["organization_name"].as_str()), (StatusCode::OK, Some("Acme")));

    // A link opened after a day has expired.
    app.post("/api/v1/auth/signup", &body("carol@carol-corp.io"), None).await;
    let link = link_in(&nth_mail(&app, 5).await, &format!("{}/signup/confirm/", app.base)).unwrap();
    app.clock.advance(chrono::Duration::hours(25));
    let token = link.rsplit('/').next().unwrap();
    let (status, expired) =
        app.post("/api/v1/auth/signup/confirm", &json!({ "token": token, "password": PASSWORD }), None).await;
    assert_eq!((status, expired["code"].as_str()), (StatusCode::GONE, Some("signup_link_expired")));
}

#[actix_web::test]
async fn one_address_gets_at_most_three_mails_an_hour() {
    let app = spawn_app_with(Options {
        tweak: Some(|s| s.signup_confirmation = api::config::SignupConfirmation::Email),
        ..Default::default()
    })
    .await;
    let body = json!({"organization_name": "Spam: call 555-0100", "name": "X", "email": "victim@acme.com", "password": PASSWORD});
    for _ in 0..5 {
        assert_eq!(app.post("/api/v1/auth/signup", &body, None).await.0, StatusCode::ACCEPTED);
    }
    nth_mail(&app, 3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mails(&app).len(), 3, "the fourth and fifth were not sent");
    app.clock.advance(chrono::Duration::minutes(20));
    assert_eq!(app.post("/api/v1/auth/signup", &body, None).await.0, StatusCode::ACCEPTED);
    nth_mail(&app, 4).await;
}

/// With `smtp_url` set, sign-ups are confirmed by mail by default, and the
/// mail goes through a real SMTP server (PyPI aiosmtpd on loopback).
#[actix_web::test]
async fn a_deployment_with_smtp_confirms_sign_ups_by_mail_through_the_server() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let python = root.join(".venv/bin/python");
    if !std::process::Command::new(&python).args(["-c", "import aiosmtpd"]).output().is_ok_and(|o| o.status.success()) {
        assert!(std::env::var("REQUIRE_IDP").is_err(), "aiosmtpd is missing from .venv: run `just python-tools`");
        eprintln!("skipping: .venv with aiosmtpd missing");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path();
    let port = crate::helpers::free_port();
    let mut command = tokio::process::Command::new(python);
    let maildir = maildir.join("box"); // created (with new/, cur/, tmp/) by the server
    command.arg(root.join("tools/smtp-sink.py")).arg(port.to_string()).arg(&maildir);
    let _smtp = crate::helpers::spawn_ready(command, "the SMTP server").await;
    static URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    URL.set(format!("smtp://127.0.0.1:{port}")).ok();
    let app = spawn_app_with(Options {
        tweak: Some(|s| {
            s.smtp_url = URL.get().cloned();
            s.mail_from = Some("Gatehouse <noreply@gatehouse.example.com>".to_owned());
        }),
        ..Default::default()
    })
    .await;
    let body = json!({"organization_name": "Acme", "name": "Ada", "email": "ada@acme.com", "password": PASSWORD});
    assert_eq!(app.post("/api/v1/auth/signup", &body, None).await.0, StatusCode::ACCEPTED);
    let new = maildir.join("new");
    let mut delivered = None;
    for _ in 0..200 {
        delivered = std::fs::read_dir(&new).ok().and_then(|mut d| d.next()).and_then(Result::ok);
        if delivered.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let mail = std::fs::read_to_string(delivered.expect("the SMTP server received the mail").path()).unwrap();
    assert!(
        mail.contains("To: ada@acme.com") && mail.contains("From: Gatehouse <noreply@gatehouse.example.com>"),
        "{mail}"
    );
    assert!(mail.contains(&format!("{}/signup/confirm/", app.base)), "{mail}");
    assert!(mails(&app).is_empty(), "nothing went to the development sink");
}

/// Webhook URLs go through the same guard: a private address, a non-https
/// URL or one with credentials is refused when the endpoint is made (and
/// nothing is saved); a name that resolves to one (`localhost`) is refused
/// when it is sent to, logged, and never contacted.
#[actix_web::test]
async fn webhooks_reach_no_private_address_by_default() {
    let app =
        spawn_app_with(Options { tweak: Some(|s| s.allow_private_network_urls = false), ..Default::default() }).await;
    let canary = canary();
    let port = canary.port;
    let (_, key) = api::auth::service_keys::create(
        &app.state.db,
        &app.state.keys,
        "Hooks",
        api::auth::service_keys::Scope::Write,
        app.clock_now(),
    )
    .await
    .unwrap();
    for url in [
        format!("http://127.0.0.1:{port}/hook"),
        format!("https://127.0.0.1:{port}/hook"),
        format!("https://[::ffff:127.0.0.1]:{port}/hook"),
        "https://169.254.169.254/latest/meta-data".to_owned(),
        "https://10.1.2.3/hook".to_owned(),
        "http://hooks.example.com/hook".to_owned(),
        "https://user:pass@hooks.example.com/hook".to_owned(),
    ] {
        let body = json!({ "url": url });
        let (status, problem) = app.send(Method::POST, "/api/v1/webhook-endpoints", Some(&body), Some(&key)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {problem}");
        assert_eq!(problem["errors"][0]["field"], "url", "{url}: {problem}");
    }
    assert_eq!(app.count("webhook_endpoints").await, 0, "nothing saved");

    let body = json!({ "url": format!("https://localhost:{port}/hook"), "event_types": ["organization.created"] });
    let (status, ep) = app.send(Method::POST, "/api/v1/webhook-endpoints", Some(&body), Some(&key)).await;
    assert_eq!(status, StatusCode::CREATED, "{ep}");
    app.signup("Acme", "ada@acme.com").await;
    let id = ep["id"].as_str().unwrap();
    let mut log = Value::Null;
    for _ in 0..100 {
        let (_, page) =
            app.send(Method::GET, &format!("/api/v1/webhook-endpoints/{id}/attempts"), None, Some(&key)).await;
        if !page["data"].as_array().unwrap().is_empty() {
            log = page["data"][0].clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(log["error"].as_str().unwrap_or_default().contains("private or reserved"), "{log}");
    assert_eq!(log["status"], Value::Null);
    assert!(!canary.touched.load(Ordering::SeqCst), "the server connected to a loopback address");
}
