//! Domain verification against a real DNS server on loopback
//! (`tools/dns-server.py`, PyPI dnslib) whose records each test rewrites:
//! pending → verified, a record split into several strings, CNAME
//! delegation, NXDOMAIN and a wrong value with what was found, a timeout,
//! pending → failed after 30 days, and verified → unverified once the
//! record has been gone for the 72-hour grace period.

use std::path::PathBuf;

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Options, Signed, TestApp, free_port, spawn_app_with, spawn_ready};
use crate::sso::tools_dir;

/// A running DNS server and the zone file it answers from.
pub(crate) struct DnsServer {
    zone: PathBuf,
    addr: String,
    _dir: tempfile::TempDir,
    _child: tokio::process::Child,
}

impl DnsServer {
    pub(crate) fn set(&self, zone: &Value) {
        std::fs::write(&self.zone, zone.to_string()).unwrap();
    }
}

pub(crate) async fn dns_server() -> Option<DnsServer> {
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().join(".venv/bin/python");
    let ready = python.exists()
        && std::process::Command::new(&python).args(["-c", "import dnslib"]).output().is_ok_and(|o| o.status.success());
    if !ready {
        assert!(
            std::env::var("REQUIRE_IDP").is_err(),
            "the DNS test server needs .venv with dnslib: run `just python-tools`"
        );
        eprintln!("skipping: .venv with dnslib missing (run `just python-tools`)");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let zone = dir.path().join("zone.json");
    std::fs::write(&zone, "{}").unwrap();
    // The same port free for UDP and TCP (TCP checked; UDP is almost always free too).
    let port = free_port();
    let mut command = tokio::process::Command::new(python);
    command.arg(tools_dir().join("dns-server.py")).arg(port.to_string()).arg(&zone);
    let child = spawn_ready(command, "the DNS server").await;
    Some(DnsServer { zone, addr: format!("127.0.0.1:{port}"), _dir: dir, _child: child })
}

/// With verification required, as in production.
pub(crate) async fn app_requiring_verified_domains(dns: &DnsServer) -> TestApp {
    spawn_app_with(Options {
        dns_servers: Some(dns.addr.clone()),
        require_verified_domains: true,
        ..Options::default()
    })
    .await
}

async fn app_with_dns(dns: &DnsServer) -> TestApp {
    spawn_app_with(Options { dns_servers: Some(dns.addr.clone()), ..Options::default() }).await
}

/// The organization's claimed domain `name`.
pub(crate) async fn domain(app: &TestApp, s: &Signed, name: &str) -> Value {
    let (_, state) = app.get(&format!("/api/v1/organizations/{}/provisioning", s.org_id), Some(&s.token)).await;
    state["domains"].as_array().unwrap().iter().find(|d| d["domain"] == name).unwrap().clone()
}

/// Checks the domain now, signed in afresh (the tests move the clock by days).
pub(crate) async fn verify(app: &TestApp, s: &Signed, d: &Value) -> (StatusCode, Value) {
    let (_, me) = app.get("/api/v1/me", Some(&s.token)).await;
    let token = match me["user"]["email"].as_str() {
        Some(_) => s.token.clone(),
        None => {
            let email = format!("admin@{}", d["domain"].as_str().unwrap().replace("acme.io", "acme.com"));
            let (_, login) = app.login(&email, crate::helpers::PASSWORD).await;
            login["access_token"].as_str().unwrap().to_owned()
        }
    };
    let path = format!("/api/v1/organizations/{}/domains/{}/verify", s.org_id, d["id"].as_str().unwrap());
    app.post(&path, &json!({}), Some(&token)).await
}

#[actix_web::test]
async fn a_txt_record_proves_a_domain_and_its_absence_is_explained() {
    let Some(dns) = dns_server().await else { return };
    let app = app_with_dns(&dns).await;
    let s = app.ready_org("Acme", "acme.com").await;
    let d = domain(&app, &s, "acme.com").await;
    let v = &d["verification"];
    assert_eq!(v["state"], "pending");
    assert_eq!(v["record_name"], "_gatehouse-challenge.acme.com");
    let value = v["record_value"].as_str().unwrap().to_owned();
    assert!(value.starts_with("gatehouse-domain-verification=") && value.len() > 40, "{value}");

    // Nothing published yet: NXDOMAIN, said in words.
    let (status, checked) = verify(&app, &s, &d).await;
    assert_eq!(status, StatusCode::OK, "{checked}");
    assert_eq!(checked["verification"]["state"], "pending");
    assert_eq!(checked["verification"]["reason"], "no TXT record found at _gatehouse-challenge.acme.com");
    assert!(checked["verification"]["checked_at"].is_string());

    // A wrong value: what was found is shown.
    dns.set(&json!({ "_gatehouse-challenge.acme.com.": { "TXT": [["gatehouse-domain-verification=someone-else"]] } }));
    let (_, checked) = verify(&app, &s, &d).await;
    let reason = checked["verification"]["reason"].as_str().unwrap();
    assert!(reason.contains("found: gatehouse-domain-verification=someone-else"), "{reason}");

    // The record, split into two strings as some DNS panels store it.
    let (head, tail) = value.split_at(20);
    dns.set(&json!({ "_gatehouse-challenge.acme.com.": { "TXT": [["v=spf1 -all"], [head, tail]] } }));
    let (_, checked) = verify(&app, &s, &d).await;
    assert_eq!(checked["verification"]["state"], "verified", "{checked}");
    assert_eq!(checked["verification"]["reason"], Value::Null);
    assert!(app.audit_actions(&s).await.iter().any(|a| a == "domain.verified"));
}

#[actix_web::test]
async fn a_cname_delegates_the_record_and_a_silent_server_is_a_timeout() {
    let Some(dns) = dns_server().await else { return };
    let app = app_with_dns(&dns).await;
    let s = app.ready_org("Acme", "acme.com").await;
    let d = domain(&app, &s, "acme.com").await;
    let value = d["verification"]["record_value"].as_str().unwrap().to_owned();
    dns.set(&json!({
        "_gatehouse-challenge.acme.com.": { "CNAME": "acme.verify.dns-team.example." },
        "acme.verify.dns-team.example.": { "TXT": [[value]] },
    }));
    let (_, checked) = verify(&app, &s, &d).await;
    assert_eq!(checked["verification"]["state"], "verified", "{checked}");

    let other = app.ready_org("Beta", "beta.com").await;
    let b = domain(&app, &other, "beta.com").await;
    dns.set(&json!({ "_gatehouse-challenge.beta.com.": { "drop": true } }));
    let started = std::time::Instant::now();
    let (status, checked) = verify(&app, &other, &b).await;
    assert_eq!(status, StatusCode::OK, "{checked}");
    assert!(checked["verification"]["reason"].as_str().unwrap().contains("did not answer in time"), "{checked}");
    assert!(started.elapsed() < std::time::Duration::from_secs(15), "bounded: {:?}", started.elapsed());
    // Another organization's domain is not ours to check.
    assert_eq!(verify(&app, &s, &b).await.0, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn pending_fails_after_30_days_and_verified_survives_72_hours_without_its_record() {
    let Some(dns) = dns_server().await else { return };
    let app = app_with_dns(&dns).await;
    let s = app.ready_org("Acme", "acme.com").await;
    let d = domain(&app, &s, "acme.com").await;
    let value = d["verification"]["record_value"].as_str().unwrap().to_owned();
    dns.set(&json!({ "_gatehouse-challenge.acme.com.": { "TXT": [[value]] } }));
    assert_eq!(verify(&app, &s, &d).await.1["verification"]["state"], "verified");

    // The record disappears (a DNS hiccup): still verified for 72 hours.
    dns.set(&json!({}));
    app.clock.advance(Duration::hours(71));
    let (_, checked) = verify(&app, &s, &d).await;
    assert_eq!(checked["verification"]["state"], "verified");
    assert!(checked["verification"]["reason"].as_str().unwrap().contains("stays verified until"), "{checked}");
    app.clock.advance(Duration::hours(1));
    let (_, checked) = verify(&app, &s, &d).await;
    assert_eq!(checked["verification"]["state"], "unverified", "{checked}");
    let fresh = relogin(&app, &s, "admin@acme.com").await;
    assert!(app.audit_actions(&fresh).await.iter().any(|a| a == "domain.unverified"));
    // Back: verified again.
    dns.set(&json!({ "_gatehouse-challenge.acme.com.": { "TXT": [[value]] } }));
    assert_eq!(verify(&app, &s, &d).await.1["verification"]["state"], "verified");

    // A domain claimed and never proven fails after 30 days.
    let s = relogin(&app, &s, "admin@acme.com").await;
    let (_, added) = app
        .post(&format!("/api/v1/organizations/{}/domains", s.org_id), &json!({"domains": ["acme.io"]}), Some(&s.token))
        .await;
    assert!(added["domains"].is_array(), "{added}");
    let io = domain(&app, &s, "acme.io").await;
    app.clock.advance(Duration::days(29));
    assert_eq!(verify(&app, &s, &io).await.1["verification"]["state"], "pending");
    app.clock.advance(Duration::days(1));
    assert_eq!(verify(&app, &s, &io).await.1["verification"]["state"], "failed");
    let fresh = relogin(&app, &s, "admin@acme.com").await;
    assert!(app.audit_actions(&fresh).await.iter().any(|a| a == "domain.verification_failed"));
}

async fn relogin(app: &TestApp, s: &Signed, email: &str) -> Signed {
    let (status, login) = app.login(email, crate::helpers::PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{login}");
    Signed {
        org_id: s.org_id.clone(),
        user_id: s.user_id.clone(),
        token: login["access_token"].as_str().unwrap().to_owned(),
    }
}

/// With verification required (the production default), a claimed but
/// unproven domain routes no one to an identity provider and lets no
/// directory create its people; once verified, both work.
#[actix_web::test]
async fn an_unverified_domain_routes_no_one_and_provisions_no_one() {
    let Some(dns) = dns_server().await else { return };
    let app = app_requiring_verified_domains(&dns).await;
    let s = app.scim_org("Acme", "acme.com").await;
    let (_, state) =
        app.get(&format!("/api/v1/organizations/{}/provisioning", s.admin.org_id), Some(&s.admin.token)).await;
    assert_eq!(state["domain_verification_required"], true);
    // SSO routing: nobody is sent anywhere for a pending domain.
    let (status, body) = app.post("/api/v1/auth/sso", &json!({"email": "bob@acme.com"}), None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("sso_not_configured")), "{body}");
    // The directory cannot create its people.
    let bob = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "bob@acme.com", "emails": [{"value": "bob@acme.com", "primary": true}], "active": true
    });
    let (status, err) = app.scim(&s, reqwest::Method::POST, "/Users", Some(&bob)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert!(err["detail"].as_str().unwrap().contains("not verified yet"), "{err}");
    assert_eq!(app.count("directory_users").await, 0);

    // Proven: the directory adds Bob.
    let d = domain(&app, &s.admin, "acme.com").await;
    let value = d["verification"]["record_value"].as_str().unwrap().to_owned();
    dns.set(&json!({ "_gatehouse-challenge.acme.com.": { "TXT": [[value]] } }));
    assert_eq!(verify(&app, &s.admin, &d).await.1["verification"]["state"], "verified");
    let (status, created) = app.scim(&s, reqwest::Method::POST, "/Users", Some(&bob)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
}

/// The background re-check finds a published record by itself (no click),
/// and two processes running it at once check each domain once.
#[actix_web::test]
async fn the_background_recheck_verifies_once_across_processes() {
    let Some(dns) = dns_server().await else { return };
    let app = app_with_dns(&dns).await;
    let s = app.ready_org("Acme", "acme.com").await;
    let d = domain(&app, &s, "acme.com").await;
    let value = d["verification"]["record_value"].as_str().unwrap().to_owned();
    dns.set(&json!({ "_gatehouse-challenge.acme.com.": { "TXT": [[value]] } }));
    // Not due yet: claimed 5 minutes ago at the earliest.
    assert_eq!(api::domains::job::run_due(&app.state).await.unwrap(), 0);
    app.clock.advance(Duration::minutes(5));
    // Two runs at once (as two processes would): one check in all.
    let (a, b) = tokio::join!(api::domains::job::run_due(&app.state), api::domains::job::run_due(&app.state));
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(domain(&app, &s, "acme.com").await["verification"]["state"], "verified");
    let verified = app.count_where("audit_events", "action = 'domain.verified' AND actor = 'system'").await;
    assert_eq!(verified, 1);
    // Next time: a day later.
    app.clock.advance(Duration::hours(23));
    assert_eq!(api::domains::job::run_due(&app.state).await.unwrap(), 0);
    app.clock.advance(Duration::hours(1));
    assert_eq!(api::domains::job::run_due(&app.state).await.unwrap(), 1);
}

/// The squatter scenario: an organization claims a domain that is not its
/// own and points it at its identity provider. With verification required it
/// routes no one, provisions no one, and does not block the real owner, who
/// claims the domain too, proves it with DNS and takes it over; the squatter
/// is told why in its audit log and can neither claim nor verify it again.
#[actix_web::test]
async fn a_squatters_claim_is_taken_over_by_the_owner_who_proves_the_domain() {
    let Some(dns) = dns_server().await else { return };
    let app = app_requiring_verified_domains(&dns).await;
    let squatter = app.scim_org("Squat", "target.io").await;
    // Routes no one.
    let (status, _) = app.post("/api/v1/auth/sso", &json!({"email": "bob@target.io"}), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Provisions no one.
    let bob = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "bob@target.io", "emails": [{"value": "bob@target.io", "primary": true}], "active": true
    });
    assert_eq!(app.scim(&squatter, reqwest::Method::POST, "/Users", Some(&bob)).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(app.count("users").await, 1, "no bob@target.io account");
    // The real company claims the domain too (the squatter's claim does not block it) …
    let owner = app.signup("Target", "it@target.io").await;
    let (status, body) = app
        .post(
            &format!("/api/v1/organizations/{}/domains", owner.org_id),
            &json!({"domains": ["target.io"]}),
            Some(&owner.token),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // … publishes its record and verifies: it owns the domain now.
    let d = domain(&app, &owner, "target.io").await;
    let value = d["verification"]["record_value"].as_str().unwrap().to_owned();
    dns.set(&json!({ "_gatehouse-challenge.target.io.": { "TXT": [[value]] } }));
    let (status, checked) = verify(&app, &owner, &d).await;
    assert_eq!((status, checked["verification"]["state"].as_str()), (StatusCode::OK, Some("verified")), "{checked}");
    // The squatter lost its claim and is told why.
    let (_, state) = app
        .get(&format!("/api/v1/organizations/{}/provisioning", squatter.admin.org_id), Some(&squatter.admin.token))
        .await;
    assert_eq!(state["domains"], json!([]));
    let actions = app.audit_actions(&squatter.admin).await;
    assert!(actions.iter().any(|a| a == "domain.transferred"), "{actions:?}");
    // It cannot claim the domain again.
    let (status, err) = app
        .post(
            &format!("/api/v1/organizations/{}/domains", squatter.admin.org_id),
            &json!({"domains": ["target.io"]}),
            Some(&squatter.admin.token),
        )
        .await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::CONFLICT, Some("domain_taken")), "{err}");
    assert!(err["detail"].as_str().unwrap().contains("verified by another organization"), "{err}");
}

/// The IT admin's setup page lists the organization's domains with their
/// records (they often control DNS too).
#[actix_web::test]
async fn the_setup_page_shows_the_records_to_publish() {
    let app = spawn_app_with(Options::default()).await;
    let s = app.ready_org("Acme", "acme.com").await;
    crate::helpers::buy(&app, &s, "sso").await;
    let (_, l) = crate::helpers::link(&app, &s, "sso").await;
    let token = crate::helpers::token_of(&l);
    let (status, info) = app.get(&format!("/api/v1/setup/{token}"), None).await;
    assert_eq!(status, StatusCode::OK, "{info}");
    assert_eq!(info["domains"][0]["domain"], "acme.com");
    assert_eq!(info["domains"][0]["verification"]["record_name"], "_gatehouse-challenge.acme.com");
    assert_eq!(info["domains"][0]["verification"]["state"], "pending");
}
