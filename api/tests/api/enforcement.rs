//! Require SSO with break-glass Administrators, against a real identity
//! provider (npm `oidc-provider`) and a real DNS server on loopback (the
//! domain is proven as in production): the checklist that refuses turning
//! it on, password sign-ins refused and password sessions ended, the
//! break-glass sign-in and its audit, password-less invites, linking by
//! the provider, turning it off, and SSO off lifting it. And a directory's
//! suspension ending a session in a second server process within a second.

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::domain_verification::{DnsServer, app_requiring_verified_domains, dns_server, domain, verify};
use crate::helpers::{PASSWORD, Signed, TestApp, toggle};
use crate::sso::{Idp, Sso, activate, browser, finish_sign_in, member_sign_in, put_connection, sso_org, start_idp};

fn enforcement_path(s: &Signed) -> String {
    format!("/api/v1/organizations/{}/sso-enforcement", s.org_id)
}

async fn put(app: &TestApp, s: &Signed, token: &str, required: bool, break_glass: &[&str]) -> (StatusCode, Value) {
    let body = json!({ "required": required, "break_glass_user_ids": break_glass });
    app.send(Method::PUT, &enforcement_path(s), Some(&body), Some(token)).await
}

fn codes(problem: &Value) -> Vec<&str> {
    problem["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect()
}

fn checklist(view: &Value) -> Vec<(String, bool)> {
    view["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["code"].as_str().unwrap().to_owned(), c["met"].as_bool().unwrap()))
        .collect()
}

/// Publishes the domain's record and checks it: verified.
async fn prove(app: &TestApp, dns: &DnsServer, s: &Signed, name: &str) {
    let d = domain(app, s, name).await;
    let value = d["verification"]["record_value"].as_str().unwrap();
    dns.set(&json!({ format!("_gatehouse-challenge.{name}."): { "TXT": [[value]] } }));
    let (status, checked) = verify(app, s, &d).await;
    assert_eq!((status, checked["verification"]["state"].as_str()), (StatusCode::OK, Some("verified")), "{checked}");
}

/// An organization with active SSO (a passed test sign-in), verification
/// required as in production.
async fn setup() -> Option<(DnsServer, TestApp, Sso, Idp)> {
    let dns = dns_server().await?;
    let app = app_requiring_verified_domains(&dns).await;
    let s = sso_org(&app).await;
    let idp = start_idp(s.connection["redirect_uri"].as_str().unwrap()).await?;
    activate(&app, &s, &idp).await;
    Some((dns, app, s, idp))
}

/// A password sign-in Require SSO refuses: 403 `sso_required` carrying the
/// sign-in at the identity provider, started for the account (its password
/// was right); followed to its end: the session token, or the refusal.
async fn password_then_sso(app: &TestApp, idp: &Idp, email: &str) -> Result<String, String> {
    let b = browser();
    let res = b
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "sso_required", "{problem}");
    let url = problem["redirect_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&idp.issuer), "{url}");
    finish_sign_in(app, idp, &b, &url, email).await
}

async fn signed_in(app: &TestApp, email: &str) -> String {
    let (status, login) = app.login(email, PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{login}");
    login["access_token"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn require_sso_refuses_passwords_but_for_break_glass_and_turns_off() {
    let Some((dns, app, s, idp)) = setup().await else { return };
    let admin = &s.admin;
    // Bob joined with a password; Dan's address is outside the company's domain.
    let (status, bob) = app.invite_and_accept(admin, "bob@acme.com").await;
    assert_eq!(status, StatusCode::CREATED, "{bob}");
    let bob_id = bob["user"]["id"].as_str().unwrap().to_owned();
    let bob_invite_session = bob["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.invite_and_accept(admin, "dan@partner.io").await.0, StatusCode::CREATED);

    // The checklist: SSO is active and was tested, but no domain is verified
    // and nobody is named; refused, saying each, and nothing is saved.
    let (status, view) = app.get(&enforcement_path(admin), Some(&admin.token)).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["required"], false);
    assert!(view["tested_at"].is_string(), "{view}");
    assert_eq!(
        checklist(&view),
        [
            ("sso_active".to_owned(), true),
            ("verified_domain".to_owned(), false),
            ("recent_test".to_owned(), true),
            ("break_glass_admin".to_owned(), false)
        ]
    );
    let (status, refused) = put(&app, admin, &admin.token, true, &[]).await;
    assert_eq!((status, refused["code"].as_str()), (StatusCode::CONFLICT, Some("enforcement_preconditions")));
    assert_eq!(codes(&refused), ["verified_domain", "break_glass_admin"], "{refused}");
    assert!(refused["errors"][0]["message"].as_str().unwrap().contains("TXT record"), "{refused}");

    prove(&app, &dns, admin, "acme.com").await;
    // Only active Administrators, at most three, each once.
    let (status, refused) = put(&app, admin, &admin.token, true, &[&bob_id]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(codes(&refused), ["not_an_administrator"], "{refused}");
    let (status, refused) = put(&app, admin, &admin.token, true, &[&admin.user_id, &admin.user_id]).await;
    assert_eq!((status, codes(&refused)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["duplicate"]));
    let (status, refused) = put(&app, admin, &admin.token, true, &[]).await;
    assert_eq!((status, codes(&refused)), (StatusCode::CONFLICT, vec!["break_glass_admin"]));
    assert_eq!(app.count_where("organizations", "sso_required").await, 0);
    assert_eq!(app.count("break_glass_admins").await, 0);

    // On, with the Administrator as break-glass: Bob's password session ends at once.
    let bob_session = signed_in(&app, "bob@acme.com").await;
    let dan_session = signed_in(&app, "dan@partner.io").await;
    let (status, view) = put(&app, admin, &admin.token, true, &[&admin.user_id]).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["required"], true);
    assert_eq!(view["break_glass"][0]["email"], "admin@acme.com");
    assert_eq!(view["break_glass"][0]["last_used_at"], Value::Null);
    assert_eq!(app.get("/api/v1/me", Some(&bob_session)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/me", Some(&bob_invite_session)).await.0, StatusCode::UNAUTHORIZED, "invite's too");
    assert_eq!(app.get("/api/v1/me", Some(&dan_session)).await.0, StatusCode::OK, "outside the domain");
    assert_eq!(app.get("/api/v1/me", Some(&admin.token)).await.0, StatusCode::OK, "break-glass");

    // Bob's password is refused with a pointer to SSO (a wrong one is just wrong).
    let (status, refused) = app.login("bob@acme.com", PASSWORD).await;
    assert_eq!((status, refused["code"].as_str()), (StatusCode::FORBIDDEN, Some("sso_required")), "{refused}");
    assert!(refused["detail"].as_str().unwrap().contains("acme.com"), "{refused}");
    let (status, wrong) = app.login("bob@acme.com", "not the password at all").await;
    assert_eq!((status, wrong["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_credentials")));
    assert_eq!(app.login("dan@partner.io", PASSWORD).await.0, StatusCode::OK);

    // The provider alone cannot claim his account (it has a password: whoever
    // holds a setup link could point SSO at their own provider); his refused
    // password starts the SSO sign-in as the proof, and links him.
    let unproven = member_sign_in(&app, &idp, "bob@acme.com").await.unwrap_err();
    assert!(unproven.contains("already has an account"), "{unproven}");
    let bob_sso = password_then_sso(&app, &idp, "bob@acme.com").await.unwrap();
    let (status, me) = app.get("/api/v1/me", Some(&bob_sso)).await;
    assert_eq!((status, me["user"]["id"].as_str()), (StatusCode::OK, Some(bob_id.as_str())));
    assert_eq!(member_sign_in(&app, &idp, "bob@acme.com").await.map(|_| ()), Ok(()), "linked from now on");

    // The break-glass Administrator signs in with a password: audited and shown.
    let glass = signed_in(&app, "admin@acme.com").await;
    let ada = Signed { token: glass.clone(), ..admin.clone() };
    let actions = app.audit_actions(&ada).await;
    assert!(actions.iter().any(|a| a == "sso_enforcement.break_glass_used"), "{actions:?}");
    assert!(actions.iter().any(|a| a == "sso_enforcement.enabled"), "{actions:?}");
    let (_, view) = app.get(&enforcement_path(&ada), Some(&glass)).await;
    assert!(view["break_glass"][0]["last_used_at"].is_string(), "{view}");
    let (_, events) = app.get(&format!("{}?action=login.failed", audit_path(&ada)), Some(&glass)).await;
    let summaries: Vec<&str> =
        events["data"].as_array().unwrap().iter().map(|e| e["summary"].as_str().unwrap()).collect();
    assert!(summaries.contains(&"Refused bob@acme.com's password sign-in: Require SSO is on"), "{summaries:?}");

    // Invites to the domain set no password and open no session here.
    let path = format!("/api/v1/organizations/{}/invites", ada.org_id);
    let (_, invite) = app.post(&path, &json!({ "email": "carol@acme.com" }), Some(&glass)).await;
    assert_eq!(invite["password_required"], false, "{invite}");
    let (_, preview) = app.get(&format!("/api/v1/invites/{}", invite["token"].as_str().unwrap()), None).await;
    assert_eq!((preview["sso_required"].as_bool(), preview["password_required"].as_bool()), (Some(true), Some(false)));
    let with_password = json!({ "token": invite["token"], "name": "Carol", "password": PASSWORD });
    let (status, refused) = app.post("/api/v1/invites/accept", &with_password, None).await;
    assert_eq!(
        (status, crate::helpers::fields(&refused)[0].1.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "password_not_allowed")
    );
    let res = app
        .client
        .post(app.url("/api/v1/invites/accept"))
        .json(&json!({ "token": invite["token"], "name": "Carol" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(res.headers().get("set-cookie").is_none(), "no session before SSO");
    let joined: Value = res.json().await.unwrap();
    assert_eq!((joined["sso_required"].as_bool(), joined.get("access_token")), (Some(true), None));
    assert!(member_sign_in(&app, &idp, "carol@acme.com").await.is_ok());

    // Turned off by the break-glass Administrator (no preconditions): Bob's password works again.
    let (status, view) = put(&app, &ada, &glass, false, &[&ada.user_id]).await;
    assert_eq!((status, view["required"].as_bool()), (StatusCode::OK, Some(false)), "{view}");
    assert_eq!(app.login("bob@acme.com", PASSWORD).await.0, StatusCode::OK);

    // A test sign-in counts for 30 days.
    app.clock.advance(Duration::days(31));
    let glass = signed_in(&app, "admin@acme.com").await;
    let (_, view) = app.get(&enforcement_path(&ada), Some(&glass)).await;
    assert!(checklist(&view).contains(&("recent_test".to_owned(), false)), "{view}");
    let (status, refused) = put(&app, &ada, &glass, true, &[&ada.user_id]).await;
    assert_eq!((status, codes(&refused)), (StatusCode::CONFLICT, vec!["recent_test"]));
}

fn audit_path(s: &Signed) -> String {
    format!("/api/v1/organizations/{}/audit-events", s.org_id)
}

/// The Administrator's own test sign-in (from the tab) renews the checklist's
/// test; turning SSO off lifts Require SSO, audited.
#[actix_web::test]
async fn an_administrator_test_renews_the_check_and_sso_off_lifts_the_requirement() {
    let Some((dns, app, s, idp)) = setup().await else { return };
    let admin = &s.admin;
    prove(&app, &dns, admin, "acme.com").await;
    let (token, ada) = (admin.token.clone(), admin.clone());
    let (_, before) = app.get(&enforcement_path(&ada), Some(&token)).await;
    // (The identity provider's tokens are checked against this clock: a few minutes only.)
    app.clock.advance(Duration::minutes(5));

    // The test, started by the Administrator's session.
    let b = crate::sso::browser();
    let start: Value = b
        .post(app.url(&format!("/api/v1/organizations/{}/sso/test", ada.org_id)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let callback =
        crate::sso::sign_in_at_idp(&b, &idp, start["redirect_url"].as_str().unwrap(), "admin@acme.com").await;
    let res = b.get(&callback).send().await.unwrap();
    let (outcome, detail) = crate::sso::outcome(res.headers()["location"].to_str().unwrap());
    assert_eq!(outcome, "ok", "{detail}");
    let (_, after) = app.get(&enforcement_path(&ada), Some(&token)).await;
    assert_ne!(after["tested_at"], before["tested_at"], "{after}");
    let tested_at: chrono::DateTime<chrono::Utc> = after["tested_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(tested_at, app.clock_now());
    let test = app.audit_actions(&ada).await.into_iter().filter(|a| a == "sso.test_succeeded").count();
    assert_eq!(test, 2, "the wizard's test and the Administrator's");
    let (status, view) = put(&app, &ada, &token, true, &[&ada.user_id]).await;
    assert_eq!(status, StatusCode::OK, "{view}");

    // SSO off: nobody could sign in through it, so the requirement goes too.
    assert_eq!(toggle(&app, &ada, "sso", false).await.0, StatusCode::OK);
    let (_, view) = app.get(&enforcement_path(&ada), Some(&token)).await;
    assert_eq!(view["required"], false);
    let (_, events) = app.get(&format!("{}?action=sso_enforcement.disabled", audit_path(&ada)), Some(&token)).await;
    assert_eq!(events["data"][0]["summary"], "Turned off Require SSO with Single Sign-On", "{events}");
    // Someone outside the organization cannot read or change it.
    let other = app.signup("Other", "eve@other.io").await;
    assert_eq!(app.get(&enforcement_path(&ada), Some(&other.token)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(put(&app, &ada, &other.token, false, &[]).await.0, StatusCode::NOT_FOUND);
}

/// A directory's `active: false` ends the member's session within a second
/// in every server process on the database, not only the one that served it.
#[actix_web::test]
async fn a_directory_suspension_ends_the_session_in_another_process_within_a_second() {
    let (first, second) = crate::helpers::spawn_pair().await;
    let scim = first.scim_org("Acme", "acme.com").await;
    let (status, bob) = first.invite_and_accept(&scim.admin, "bob@acme.com").await;
    assert_eq!(status, StatusCode::CREATED, "{bob}");
    let bob_session = bob["access_token"].as_str().unwrap().to_owned();
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "bob@acme.com",
        "name": { "givenName": "Bob", "familyName": "Bee" },
        "emails": [{ "value": "bob@acme.com", "primary": true }],
        "active": true
    });
    let (status, created) = first.scim(&scim, Method::POST, "/Users", Some(&user)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    // The second process has the session cached.
    assert_eq!(second.get("/api/v1/me", Some(&bob_session)).await.0, StatusCode::OK);

    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{ "op": "replace", "path": "active", "value": false }]
    });
    let path = format!("/Users/{}", created["id"].as_str().unwrap());
    assert_eq!(first.scim(&scim, Method::PATCH, &path, Some(&patch)).await.0, StatusCode::OK);
    assert_eq!(first.get("/api/v1/me", Some(&bob_session)).await.0, StatusCode::UNAUTHORIZED, "at once here");
    tokio::time::sleep(api::auth::cache::TTL + std::time::Duration::from_millis(50)).await;
    assert_eq!(second.get("/api/v1/me", Some(&bob_session)).await.0, StatusCode::UNAUTHORIZED, "within a second there");
    assert!(api::auth::cache::TTL <= std::time::Duration::from_secs(1));
}

/// Whom Require SSO binds follows the organization: an existing account
/// that joins through an invite (still proving itself with its password,
/// and getting no session), an Administrator (linked only with that proof),
/// a domain verified while it is on, a break-glass Administrator demoted
/// (no longer break-glass), and SSO being set up again (paused, so nobody is
/// locked out).
#[actix_web::test]
async fn require_sso_follows_the_people_it_binds() {
    let Some((dns, app, s, idp)) = setup().await else { return };
    let admin = &s.admin;
    prove(&app, &dns, admin, "acme.com").await;
    let invites = format!("/api/v1/organizations/{}/invites", admin.org_id);
    // Ann: a second Administrator with a password; Hal: at a domain not proven yet.
    let (_, ann) = app.post(&invites, &json!({ "email": "ann@acme.com", "role": "admin" }), Some(&admin.token)).await;
    let accept = json!({ "token": ann["token"], "name": "Ann", "password": PASSWORD });
    let (status, ann) = app.post("/api/v1/invites/accept", &accept, None).await;
    assert_eq!(status, StatusCode::CREATED, "{ann}");
    let ann_id = ann["user"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/organizations/{}/domains", admin.org_id);
    assert_eq!(app.post(&path, &json!({ "domains": "acme.io" }), Some(&admin.token)).await.0, StatusCode::CREATED);
    assert_eq!(app.invite_and_accept(admin, "hal@acme.io").await.0, StatusCode::CREATED);
    let hal_session = signed_in(&app, "hal@acme.io").await;
    // Gus has an account of his own organization.
    let gus = app.signup("Gus Co", "gus@acme.com").await;

    let (status, view) = put(&app, admin, &admin.token, true, &[&admin.user_id, &ann_id]).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(app.get("/api/v1/me", Some(&hal_session)).await.0, StatusCode::OK, "acme.io is not verified yet");
    assert_eq!(app.get("/api/v1/me", Some(&gus.token)).await.0, StatusCode::OK, "not Acme's member");

    // Gus joins Acme: his password is still his proof, no session opens, and
    // from then on Acme signs him in.
    let (_, invite) = app.post(&invites, &json!({ "email": "gus@acme.com" }), Some(&admin.token)).await;
    let (_, preview) = app.get(&format!("/api/v1/invites/{}", invite["token"].as_str().unwrap()), None).await;
    assert_eq!((preview["existing_account"].as_bool(), preview["sso_required"].as_bool()), (Some(true), Some(true)));
    let (status, refused) =
        app.post("/api/v1/invites/accept", &json!({ "token": invite["token"], "name": "Gus" }), None).await;
    assert_eq!(
        (status, crate::helpers::fields(&refused)[0].1.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "required")
    );
    let accept = json!({ "token": invite["token"], "name": "Gus", "password": PASSWORD });
    let (status, joined) = app.post("/api/v1/invites/accept", &accept, None).await;
    assert_eq!((status, joined["sso_required"].as_bool()), (StatusCode::CREATED, Some(true)), "{joined}");
    assert!(joined.get("access_token").is_none());
    assert_eq!(app.get("/api/v1/me", Some(&gus.token)).await.0, StatusCode::UNAUTHORIZED, "bound now");
    assert_eq!(app.login("gus@acme.com", PASSWORD).await.0, StatusCode::FORBIDDEN);

    // acme.io proven while it is on: Hal's password session ends.
    prove(&app, &dns, admin, "acme.io").await;
    assert_eq!(app.get("/api/v1/me", Some(&hal_session)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.login("hal@acme.io", PASSWORD).await.0, StatusCode::FORBIDDEN);

    // Ann, break-glass, signs in with her password; demoted, she is no
    // longer break-glass and that session ends.
    let ann_session = signed_in(&app, "ann@acme.com").await;
    let member = format!("/api/v1/organizations/{}/members/{ann_id}", admin.org_id);
    let (status, demoted) =
        app.send(Method::PATCH, &member, Some(&json!({ "role": "member" })), Some(&admin.token)).await;
    assert_eq!(status, StatusCode::OK, "{demoted}");
    assert_eq!(app.count("break_glass_admins").await, 1);
    assert_eq!(app.get("/api/v1/me", Some(&ann_session)).await.0, StatusCode::UNAUTHORIZED);
    // Promoted again, she is an Administrator whom the provider alone cannot
    // claim; her refused password is her proof.
    let (status, _) = app.send(Method::PATCH, &member, Some(&json!({ "role": "admin" })), Some(&admin.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.login("ann@acme.com", PASSWORD).await.0, StatusCode::FORBIDDEN, "not break-glass again by itself");
    assert!(member_sign_in(&app, &idp, "ann@acme.com").await.is_err(), "an Administrator needs the proof");
    let ann_sso = password_then_sso(&app, &idp, "ann@acme.com").await.unwrap();
    let (_, me) = app.get("/api/v1/me", Some(&ann_sso)).await;
    assert_eq!(me["memberships"][0]["role"], "admin", "{me}");
    // The last break-glass Administrator stays while it is on.
    let first = format!("/api/v1/organizations/{}/members/{}", admin.org_id, admin.user_id);
    let (status, refused) = app.send(Method::PATCH, &first, Some(&json!({ "suspended": true })), Some(&ann_sso)).await;
    assert_eq!((status, refused["code"].as_str()), (StatusCode::CONFLICT, Some("last_break_glass")), "{refused}");
    assert_eq!(app.send(Method::DELETE, &first, None, Some(&ann_sso)).await.0, StatusCode::CONFLICT);

    // Set up again through the setup link (awaiting its test): paused, so
    // passwords work meanwhile and the tab says why.
    let body = json!({ "protocol": "oidc", "issuer": idp.issuer, "client_id": crate::sso::CLIENT_ID, "client_secret": crate::sso::CLIENT_SECRET });
    assert_eq!(put_connection(&app, &s.setup, &body).await.0, StatusCode::OK);
    let (_, view) = app.get(&enforcement_path(admin), Some(&admin.token)).await;
    assert_eq!(view["required"], true);
    assert!(view["paused"].as_str().unwrap().contains("not active"), "{view}");
    assert_eq!(app.login("hal@acme.io", PASSWORD).await.0, StatusCode::OK);
    activate(&app, &s, &idp).await;
    assert_eq!(app.login("hal@acme.io", PASSWORD).await.0, StatusCode::FORBIDDEN);
}

/// Turning Require SSO on ends the password sessions it binds, and with them
/// the member's sign-ins into the SaaS's application (back-channel logout).
#[actix_web::test]
async fn turning_require_sso_on_logs_password_sessions_out_of_the_application() {
    let Some((dns, app, s, _idp)) = setup().await else { return };
    let Some(host) = crate::provider::host_app(&app).await else { return };
    let (status, bob) = app.invite_and_accept(&s.admin, "bob@acme.com").await;
    assert_eq!(status, StatusCode::CREATED, "{bob}");
    host.sign_in(&app, bob["access_token"].as_str().unwrap(), "").await;
    let sid = host.state(&app).await["sessions"][0]["sid"].as_str().unwrap().to_owned();
    prove(&app, &dns, &s.admin, "acme.com").await;
    let (status, view) = put(&app, &s.admin, &s.admin.token, true, &[&s.admin.user_id]).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let state = host.logged_out(&app, &sid).await;
    assert_eq!(state["sessions"], json!([]));
    assert_eq!(state["rejected"], json!([]));
}
