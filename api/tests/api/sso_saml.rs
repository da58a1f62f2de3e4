//! Single Sign-On over SAML 2.0 against an identity provider whose XML
//! signatures are made by PyPI `signxml` (`tools/saml-idp.py`, run from the
//! project's `.venv`; `just python-tools` installs it). The provider also
//! misbehaves on request (`variant`): unsigned, other key, signature
//! wrapping, comments in the NameID, wrong audience/recipient/destination,
//! expired, DTDs — each must be refused with no session.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, free_port, spawn_app, spawn_ready, toggle};
use crate::sso::{Sso, attr, browser, outcome, put_connection, sso_org, sso_org_named, sso_status, tools_dir};

/// A running test IdP; killed on drop.
struct SamlIdp {
    base: String,
    _child: tokio::process::Child,
}

impl SamlIdp {
    fn metadata_url(&self) -> String {
        format!("{}/metadata", self.base)
    }
}

/// Starts the IdP, or `None` (test skipped) when the venv lacks signxml and
/// `REQUIRE_IDP` is not set.
async fn start_saml_idp() -> Option<SamlIdp> {
    let root = tools_dir().parent().unwrap().to_path_buf();
    let python = root.join(".venv/bin/python");
    let ready = python.exists()
        && std::process::Command::new(&python)
            .args(["-c", "import signxml"])
            .output()
            .is_ok_and(|o| o.status.success());
    if !ready {
        assert!(
            std::env::var("REQUIRE_IDP").is_err(),
            "the SAML test IdP needs .venv with signxml: run `just python-tools`"
        );
        eprintln!("skipping: .venv with signxml missing (run `just python-tools`)");
        return None;
    }
    let port = free_port();
    let mut command = tokio::process::Command::new(python);
    command.arg(tools_dir().join("saml-idp.py")).arg(port.to_string());
    let child = spawn_ready(command, "the SAML IdP").await;
    Some(SamlIdp { base: format!("http://127.0.0.1:{port}"), _child: child })
}

async fn configure_by_url(app: &TestApp, s: &Sso, idp: &SamlIdp) -> Value {
    let (status, saved) = put_connection(
        app,
        &s.setup,
        &json!({ "provider": "okta", "protocol": "saml", "idp_metadata_url": idp.metadata_url() }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    saved
}

/// What the IdP's page posts to our ACS.
struct Posted {
    acs: String,
    fields: Vec<(String, String)>,
}

/// Follows `redirect_url` to the IdP, signs in as `email` there (with the
/// given misbehaviour), and returns the form its page would post to us.
async fn at_idp(b: &reqwest::Client, idp: &SamlIdp, redirect_url: &str, email: &str, extra: &[(&str, &str)]) -> Posted {
    assert!(redirect_url.starts_with(&format!("{}/sso?SAMLRequest=", idp.base)), "{redirect_url}");
    let page = b.get(redirect_url).send().await.unwrap().text().await.unwrap();
    let mut fields: Vec<(String, String)> = vec![("email".into(), email.into())];
    for part in page.split("<input").skip(1) {
        if part.contains("type=\"hidden\"")
            && let (Some(n), Some(v)) = (attr(part, "", "name"), attr(part, "", "value"))
        {
            fields.push((n, v));
        }
    }
    fields.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let html = b.post(format!("{}/login", idp.base)).form(&fields).send().await.unwrap().text().await.unwrap();
    let acs = attr(&html, "<form", "action").unwrap_or_else(|| panic!("no form in {html}"));
    let mut posted = Vec::new();
    for part in html.split("<input").skip(1) {
        if let (Some(n), Some(v)) = (attr(part, "", "name"), attr(part, "", "value")) {
            posted.push((n, v));
        }
    }
    Posted { acs, fields: posted }
}

fn session_of(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("gatehouse_session="))
        .map(|c| c.trim_start_matches("gatehouse_session=").split(';').next().unwrap_or_default().to_owned())
}

/// Posts to the ACS; a member's session token, or the refusal in words.
async fn post_acs(b: &reqwest::Client, app: &TestApp, p: &Posted) -> Result<String, String> {
    let res = b.post(&p.acs).form(&p.fields).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text().await.unwrap());
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    if location == format!("{}/", app.base) {
        return Ok(session_of(&res).expect("a session cookie"));
    }
    assert!(session_of(&res).is_none(), "no session on a refusal");
    let (result, detail) = outcome(&location);
    if result == "ok" { Ok(String::new()) } else { Err(detail) }
}

async fn test_sign_in(app: &TestApp, s: &Sso, idp: &SamlIdp, extra: &[(&str, &str)]) -> Result<String, String> {
    let b = browser();
    let res = b.post(app.url(&format!("/api/v1/setup/{}/sso-test", s.setup))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let start: Value = res.json().await.unwrap();
    let posted = at_idp(&b, idp, start["redirect_url"].as_str().unwrap(), "it-admin@acme.com", extra).await;
    post_acs(&b, app, &posted).await
}

/// Starts a member sign-in in a fresh browser; returns the browser and the IdP's form.
async fn member_at_idp(app: &TestApp, idp: &SamlIdp, email: &str, extra: &[(&str, &str)]) -> (reqwest::Client, Posted) {
    let b = browser();
    let res = b.post(app.url("/api/v1/auth/sso")).json(&json!({ "email": email })).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let start: Value = res.json().await.unwrap();
    let posted = at_idp(&b, idp, start["redirect_url"].as_str().unwrap(), email, extra).await;
    (b, posted)
}

async fn member_sign_in(app: &TestApp, idp: &SamlIdp, email: &str, extra: &[(&str, &str)]) -> Result<String, String> {
    let (b, posted) = member_at_idp(app, idp, email, extra).await;
    post_acs(&b, app, &posted).await
}

#[actix_web::test]
async fn saml_metadata_configuration_and_test_sign_in_turn_sso_active() {
    let app = spawn_app().await;
    let s = sso_org(&app).await;
    let id = s.connection["id"].as_str().unwrap();
    let (entity_id, acs) = (s.connection["sp_entity_id"].as_str().unwrap(), s.connection["acs_url"].as_str().unwrap());
    assert_eq!(acs, format!("{}/sso/saml/{id}/acs", app.base));

    // Our metadata, for the identity provider.
    let res = app.client.get(s.connection["metadata_url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/samlmetadata+xml"));
    let xml = res.text().await.unwrap();
    assert!(
        xml.contains(&format!(r#"entityID="{entity_id}""#)) && xml.contains(&format!(r#"Location="{acs}""#)),
        "{xml}"
    );
    assert!(xml.contains(r#"WantAssertionsSigned="true""#));
    let res = app.client.get(app.url("/sso/saml/con_unknown/metadata")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let Some(idp) = start_saml_idp().await else { return };
    let idp_xml = reqwest::get(idp.metadata_url()).await.unwrap().text().await.unwrap();
    let cert = reqwest::get(format!("{}/cert.pem", idp.base)).await.unwrap().text().await.unwrap();

    // Refusals, each with the field and nothing saved.
    let refusals = [
        (json!({ "protocol": "saml" }), "idp_metadata_xml", "required"),
        (
            json!({ "protocol": "saml", "idp_metadata_xml": idp_xml, "idp_metadata_url": idp.metadata_url() }),
            "idp_metadata_xml",
            "ambiguous",
        ),
        (json!({ "protocol": "saml", "idp_metadata_xml": "<not-metadata/>" }), "idp_metadata_xml", "invalid_metadata"),
        (
            json!({ "protocol": "saml", "idp_metadata_xml": format!("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>{idp_xml}") }),
            "idp_metadata_xml",
            "invalid_metadata",
        ),
        (
            json!({ "protocol": "saml", "idp_metadata_url": "http://127.0.0.1:9/metadata" }),
            "idp_metadata_url",
            "invalid_metadata",
        ),
        (
            json!({ "protocol": "saml", "idp_metadata_url": "http://idp.example.com/metadata" }),
            "idp_metadata_url",
            "insecure_url",
        ),
        (
            json!({ "protocol": "saml", "idp_entity_id": "https://idp", "idp_sso_url": format!("{}/sso", idp.base), "idp_certificate": "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----" }),
            "idp_certificate",
            "invalid_metadata",
        ),
        (
            json!({ "protocol": "saml", "idp_entity_id": "https://idp", "idp_certificate": cert }),
            "idp_sso_url",
            "required",
        ),
    ];
    for (body, field, code) in refusals {
        let (status, err) = put_connection(&app, &s.setup, &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {err}");
        assert_eq!(
            (err["errors"][0]["field"].as_str(), err["errors"][0]["code"].as_str()),
            (Some(field), Some(code)),
            "{err}"
        );
        let (_, now) = app.get(&format!("/api/v1/setup/{}/sso-connection", s.setup), None).await;
        assert!(now["protocol"].is_null() && now["idp_entity_id"].is_null(), "nothing saved: {now}");
    }

    // The three ways to enter the provider's side give the same connection.
    let by_url = configure_by_url(&app, &s, &idp).await;
    assert_eq!(by_url["idp_entity_id"], idp.metadata_url());
    assert_eq!(by_url["idp_sso_url"], format!("{}/sso", idp.base));
    assert_eq!(by_url["idp_metadata_url"], idp.metadata_url());
    let expires = chrono::DateTime::parse_from_rfc3339(by_url["idp_certificate_expires_at"].as_str().unwrap()).unwrap();
    let days = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_days();
    assert!((363..=365).contains(&days), "the IdP's certificate is valid a year: {days}");
    let (status, by_xml) =
        put_connection(&app, &s.setup, &json!({ "protocol": "saml", "idp_metadata_xml": idp_xml })).await;
    assert_eq!(status, StatusCode::OK, "{by_xml}");
    assert_eq!((&by_xml["idp_entity_id"], &by_xml["provider"]), (&by_url["idp_entity_id"], &json!("custom_saml")));
    assert!(by_xml["idp_metadata_url"].is_null());
    let (status, manual) = put_connection(
        &app,
        &s.setup,
        &json!({ "provider": "one_login", "protocol": "saml", "idp_entity_id": idp.metadata_url(), "idp_sso_url": format!("{}/sso", idp.base), "idp_certificate": cert }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{manual}");
    assert_eq!(manual["idp_certificate_expires_at"], by_url["idp_certificate_expires_at"]);
    assert_eq!(sso_status(&app, &s).await, "awaiting");

    // The test sign-in.
    let b = browser();
    let start: Value =
        b.post(app.url(&format!("/api/v1/setup/{}/sso-test", s.setup))).send().await.unwrap().json().await.unwrap();
    let posted = at_idp(&b, &idp, start["redirect_url"].as_str().unwrap(), "it-admin@acme.com", &[]).await;
    assert_eq!(posted.acs, acs);

    // Posted from the IdP's site, the browser does not send its SameSite=Lax
    // cookie: our bridge page re-posts it from our origin…
    let cross_site = browser();
    let res = cross_site.post(&posted.acs).form(&posted.fields).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'sha256-") && csp.contains("form-action 'self'"), "{csp}");
    let bridge = res.text().await.unwrap();
    assert!(bridge.contains(r#"name="bridged" value="1""#), "{bridge}");
    // …and a browser that did not start this sign-in is refused there.
    let mut bridged = posted.fields.clone();
    bridged.push(("bridged".into(), "1".into()));
    let refused = post_acs(&cross_site, &app, &Posted { acs: posted.acs.clone(), fields: bridged }).await.unwrap_err();
    assert!(refused.contains("another browser"), "{refused}");

    assert_eq!(post_acs(&b, &app, &posted).await, Ok(String::new()));
    assert_eq!(sso_status(&app, &s).await, "active");
    // The same response again: the assertion is used up.
    let replayed = post_acs(&b, &app, &posted).await.unwrap_err();
    assert!(replayed.contains("already used"), "{replayed}");
    let actions = app.audit_actions(&s.admin).await;
    assert!(
        actions.iter().any(|a| a == "sso.test_succeeded") && actions.iter().any(|a| a == "sso.connection_saved"),
        "{actions:?}"
    );

    // Once the provider's certificate has expired, the tab says so.
    use sea_orm::ConnectionTrait;
    let expire = "UPDATE sso_connections SET saml_certificate_expires_at = '2026-01-02T03:04:05+00:00'";
    app.state.db.execute_unprepared(expire).await.unwrap();
    let (_, p) = app.get(&format!("/api/v1/organizations/{}/provisioning", s.admin.org_id), Some(&s.admin.token)).await;
    assert_eq!(p["sso"]["status"], "error", "{p}");
    let reason = p["sso"]["reason"].as_str().unwrap();
    assert!(reason.contains("certificate expired on 2026-01-02") && reason.contains("setup link"), "{reason}");
}

#[actix_web::test]
async fn the_providers_refusal_is_shown_in_words() {
    let app = spawn_app().await;
    let s = sso_org(&app).await;
    let Some(idp) = start_saml_idp().await else { return };
    configure_by_url(&app, &s, &idp).await;
    let refused = test_sign_in(&app, &s, &idp, &[("variant", "status_denied")]).await.unwrap_err();
    assert!(
        refused.contains("refused the sign-in") && refused.contains("User is not assigned to this application"),
        "{refused}"
    );
    assert_eq!(sso_status(&app, &s).await, "awaiting");
}

#[actix_web::test]
async fn saml_members_are_created_just_in_time_and_known_by_subject() {
    let app = spawn_app().await;
    let s = sso_org(&app).await;
    let Some(idp) = start_saml_idp().await else { return };
    configure_by_url(&app, &s, &idp).await;
    assert_eq!(test_sign_in(&app, &s, &idp, &[]).await, Ok(String::new()));

    // A persistent NameID; the email and name come from the attributes.
    let as_bob = [("subject", "00u-bob-1"), ("name", "Bob Builder")];
    let token = member_sign_in(&app, &idp, "bob@acme.com", &as_bob).await.unwrap();
    let (_, me) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(
        (me["user"]["email"].as_str(), me["user"]["name"].as_str()),
        (Some("bob@acme.com"), Some("Bob Builder"))
    );
    assert_eq!(me["memberships"][0]["organization_id"], s.admin.org_id.as_str());
    let (_, members) =
        app.get(&format!("/api/v1/organizations/{}/members", s.admin.org_id), Some(&s.admin.token)).await;
    let bob = members["data"].as_array().unwrap().iter().find(|m| m["email"] == "bob@acme.com").cloned().unwrap();
    assert_eq!(bob["plan_id"], "plan_core");
    // Known by (connection, subject): a changed email at the IdP is the same member.
    let again = member_sign_in(&app, &idp, "robert@acme.com", &as_bob).await.unwrap();
    let (_, me2) = app.get("/api/v1/me", Some(&again)).await;
    assert_eq!(me2["user"]["id"], me["user"]["id"]);
    assert_eq!(app.count("sso_identities").await, 1);
    // The admin (an existing member with a password) is linked only from
    // a browser signed in as the admin: a setup link's holder configured
    // this provider and could otherwise become the Administrator.
    let refused = member_sign_in(&app, &idp, "admin@acme.com", &[]).await.unwrap_err();
    assert!(refused.contains("sign in with your password"), "{refused}");
    let b = browser();
    let res = b
        .post(app.url("/api/v1/auth/sso"))
        .bearer_auth(&s.admin.token)
        .json(&json!({ "email": "admin@acme.com" }))
        .send()
        .await
        .unwrap();
    let start: Value = res.json().await.unwrap();
    let posted = at_idp(&b, &idp, start["redirect_url"].as_str().unwrap(), "admin@acme.com", &[]).await;
    let token = post_acs(&b, &app, &posted).await.unwrap();
    let (_, me) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me["user"]["id"], s.admin.user_id.as_str());

    // Turning SSO off refuses the next sign-in with the clear message.
    assert_eq!(toggle(&app, &s.admin, "sso", false).await.0, StatusCode::OK);
    let (status, err) = app.post("/api/v1/auth/sso", &json!({ "email": "bob@acme.com" }), None).await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::CONFLICT, Some("sso_inactive")));
}

#[actix_web::test]
async fn forged_and_mismatched_saml_responses_are_refused_without_a_session() {
    let app = spawn_app().await;
    let s = sso_org(&app).await;
    let Some(idp) = start_saml_idp().await else { return };
    configure_by_url(&app, &s, &idp).await;
    assert_eq!(test_sign_in(&app, &s, &idp, &[]).await, Ok(String::new()));

    // Each variant signs in as mallory@acme.com at the IdP and tries to be
    // the admin (the "victim") or to slip something past a check.
    let cases = [
        ("unsigned", "not signed with the identity provider's certificate"),
        ("wrong_key", "not signed with the identity provider's certificate"),
        ("tampered", "not signed with the identity provider's certificate"),
        ("xsw_evil_first", "exactly one"),
        ("xsw_same_id", "exactly one"),
        // Refused before the signature is even checked: no ds:Object is accepted.
        ("xsw_signature_object", "carries object"),
        ("xsw_response_wrap", "exactly one"),
        ("comment", ""),
        ("audience", "audience"),
        ("recipient", "recipient"),
        ("destination", "instead of our ACS URL"),
        ("expired", "expired"),
        ("not_yet_valid", "not valid before"),
        ("issuer", "https://evil.example/idp"),
        ("in_response_to", "InResponseTo"),
        ("doctype", "DTD"),
    ];
    let sessions = app.count("sessions").await;
    let identities = app.count("sso_identities").await;
    for (variant, words) in cases {
        let refused =
            member_sign_in(&app, &idp, "mallory@acme.com", &[("variant", variant), ("victim", "admin@acme.com")])
                .await
                .map_err(|e| e.to_lowercase());
        let detail = refused.expect_err(&format!("{variant} must be refused"));
        assert!(detail.contains(&words.to_lowercase()), "{variant}: {detail}");
        assert_eq!(app.count("sessions").await, sessions, "{variant}: no session");
        assert_eq!(app.count("sso_identities").await, identities, "{variant}: nobody linked");
    }

    // A RelayState that is not ours, and a response carried to another
    // organization's connection.
    let other = sso_org_named(&app, "Beta", "beta.com").await;
    configure_by_url(&app, &other, &idp).await;
    let sessions = app.count("sessions").await;
    let (b, mut posted) = member_at_idp(&app, &idp, "mallory@acme.com", &[]).await;
    let original = posted.fields.clone();
    for f in posted.fields.iter_mut().filter(|f| f.0 == "RelayState") {
        f.1.push('x');
    }
    assert!(post_acs(&b, &app, &posted).await.unwrap_err().contains("unknown"));
    // Unsolicited (IdP-initiated): no RelayState naming a sign-in we started.
    let unsolicited =
        Posted { acs: posted.acs.clone(), fields: original.iter().filter(|f| f.0 != "RelayState").cloned().collect() };
    assert!(post_acs(&b, &app, &unsolicited).await.unwrap_err().contains("sent no state"));
    let elsewhere = Posted { acs: other.connection["acs_url"].as_str().unwrap().to_owned(), fields: original.clone() };
    let refused = post_acs(&b, &app, &elsewhere).await.unwrap_err();
    assert!(refused.contains("another connection"), "{refused}");
    assert_eq!(app.count("sessions").await, sessions);

    // The same path with an honest response signs in (so the cases above can fail).
    let token = post_acs(&b, &app, &Posted { acs: posted.acs.clone(), fields: original }).await.unwrap();
    let (_, me) = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me["user"]["email"], "mallory@acme.com");
    // Both signed (response and assertion) is fine too.
    assert!(member_sign_in(&app, &idp, "mallory@acme.com", &[("variant", "both")]).await.is_ok());
    assert!(member_sign_in(&app, &idp, "mallory@acme.com", &[("variant", "response")]).await.is_ok());
}

#[actix_web::test]
async fn oversized_or_malformed_bodies_are_refused_as_problems() {
    let app = spawn_app().await;
    let s = sso_org(&app).await;
    let acs = s.connection["acs_url"].as_str().unwrap();
    let big = format!("SAMLResponse={}", "A".repeat(1_100_000));
    let res = app
        .client
        .post(acs)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let res = app.client.post(acs).json(&json!({ "SAMLResponse": "x" })).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // The JSON API says 413 too.
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(format!("{{\"email\":\"{}\"}}", "a".repeat(1_100_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "body_too_large");
}

/// The SaaS's application signs a member in through Gatehouse and Gatehouse
/// through the organization's SAML identity provider: the application's
/// authorization request survives the trip to the IdP and back; turning SSO
/// off then logs the member out of the application (back-channel logout).
#[actix_web::test]
async fn a_saml_sign_in_reaches_the_application_and_turning_sso_off_logs_it_out() {
    let app = spawn_app().await;
    let s = sso_org(&app).await;
    let Some(idp) = start_saml_idp().await else { return };
    let saved = configure_by_url(&app, &s, &idp).await;
    assert_eq!(test_sign_in(&app, &s, &idp, &[]).await, Ok(String::new()));
    let Some(host) = crate::provider::host_app(&app).await else { return };

    // The application sends the browser to us; not signed in, to the sign-in page.
    let b = browser();
    let location = |res: &reqwest::Response| res.headers()["location"].to_str().unwrap().to_owned();
    let res = b.get(format!("{}/login", host.base)).send().await.unwrap();
    let authorize = location(&res);
    let res = b.get(&authorize).send().await.unwrap();
    let login = reqwest::Url::parse(&location(&res)).unwrap();
    let continue_to = login.query_pairs().find(|(k, _)| k == "continue").unwrap().1.into_owned();
    // Email first: the organization's SSO, carrying the application's request.
    let res = b
        .post(app.url("/api/v1/auth/sso"))
        .json(&json!({ "email": "bob@acme.com", "continue_to": continue_to }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let start: Value = res.json().await.unwrap();
    let posted = at_idp(&b, &idp, start["redirect_url"].as_str().unwrap(), "bob@acme.com", &[]).await;
    let res = b.post(&posted.acs).form(&posted.fields).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("{}{continue_to}", app.base), "back to the application's request");
    let res = b.get(location(&res)).send().await.unwrap();
    let callback = location(&res);
    assert!(callback.starts_with(&host.base), "{callback}");
    let res = b.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND, "{}", res.text().await.unwrap());

    let state = host.state(&app).await;
    let claims = &state["sessions"][0]["claims"];
    assert_eq!(claims["email"], "bob@acme.com");
    assert_eq!((claims["gatehouse_sso"].as_bool(), claims["email_verified"].as_bool()), (Some(true), Some(true)));
    assert_eq!(claims["gatehouse_sso_connection_id"], saved["id"]);
    assert_eq!(claims["gatehouse_plan_id"], "plan_core");
    let sid = claims["sid"].as_str().unwrap().to_owned();

    // SSO off: what the identity provider vouched for no longer holds.
    assert_eq!(toggle(&app, &s.admin, "sso", false).await.0, StatusCode::OK);
    let state = host.logged_out(&app, &sid).await;
    assert_eq!(state["sessions"], json!([]));
    assert_eq!(state["rejected"], json!([]));
    // The Administrator who turned it off is still signed in.
    assert_eq!(app.get("/api/v1/me", Some(&s.admin.token)).await.0, StatusCode::OK);
}
