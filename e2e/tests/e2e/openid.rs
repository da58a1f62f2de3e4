//! Issue 19 in Chromium: the SaaS's own application (`tools/oidc-host-app.mjs`,
//! built on openid-client) signs a member in through Gatehouse, and Gatehouse
//! through the organization's identity provider: host app → Gatehouse's
//! sign-in → the upstream IdP → back to the host app showing the claims.
//! Signing in at Gatehouse itself lands in the same application (the
//! operator's default client); turning SSO off ends the member's session
//! there too, by back-channel logout.

use std::time::Duration;

use fantoccini::Locator;

use crate::harness::{PASSWORD, launch_with};
use crate::sso::{connected_sso, free_port, sign_in_at_idp, spawn_ready, workspace};

const HOST_CLIENT_ID: &str = "host-app";
const HOST_SECRET: &str = "a-host-application-secret-of-40-chars-xx";

async fn host_state(host: &str) -> serde_json::Value {
    reqwest::get(format!("{host}/state")).await.expect("host app").json().await.expect("json")
}

#[actix_web::test]
async fn a_member_signs_in_to_the_saas_application_through_gatehouse_and_their_idp() {
    if !workspace().join("tools/node_modules/openid-client").exists() {
        assert!(std::env::var("REQUIRE_E2E").is_err(), "openid-client is missing: run `just tools`");
        return;
    }
    let port = free_port();
    let host = format!("http://127.0.0.1:{port}");
    let registered = host.clone();
    let Some(b) = launch_with(move |s| {
        s.clients = vec![api::provider::clients::ClientSpec {
            client_id: HOST_CLIENT_ID.into(),
            name: "Host App".into(),
            client_secret: Some(HOST_SECRET.into()),
            redirect_uris: vec![format!("{registered}/callback")],
            backchannel_logout_uri: Some(format!("{registered}/backchannel-logout")),
            initiate_login_uri: Some(format!("{registered}/initiate")),
            ..Default::default()
        }];
        s.oidc_default_client = Some(HOST_CLIENT_ID.into());
    })
    .await
    else {
        return;
    };
    let mut command = tokio::process::Command::new("node");
    command.arg(workspace().join("tools/oidc-host-app.mjs")).args([
        b.base.as_str(),
        HOST_CLIENT_ID,
        HOST_SECRET,
        &port.to_string(),
    ]);
    let _host_app = spawn_ready(command, "the host application").await;

    // Initech buys SSO; its IT admin connects their identity provider.
    let (_issuer, _idp) = connected_sso(&b, "Initech", "Peter", "initech.com").await;

    // Moe opens the SaaS's application and signs in with Gatehouse: email
    // first, then Initech's identity provider, then back in the application.
    b.client.goto(&host).await.expect("host app");
    b.wait_css("#signed-out", "not signed in").await;
    b.client.find(Locator::Css("a.button")).await.expect("sign-in link").click().await.expect("click");
    b.el("login-form").await;
    b.screenshot("openid-login-for-application").await;
    b.fill("input-email", "moe@initech.com").await;
    b.click("sso-submit").await;
    sign_in_at_idp(&b, "moe@initech.com").await;
    b.wait_css("#welcome", "Signed in as moe@initech.com of Initech").await;
    // The claims the application got (openid-client validated the ID token).
    let claim = |name: &'static str| {
        let b = &b;
        async move { b.wait_css(&format!("td[data-claim=\"{name}\"]"), "").await }
    };
    assert_eq!(claim("email").await, "moe@initech.com");
    assert_eq!(claim("gatehouse_org_name").await, "Initech");
    assert_eq!(claim("gatehouse_role").await, "member");
    assert_eq!(claim("gatehouse_plan_id").await, "plan_core");
    assert_eq!(claim("gatehouse_sso").await, "true");
    assert_eq!(claim("email_verified").await, "true");
    assert!(claim("gatehouse_sso_connection_id").await.starts_with("con_"));
    b.screenshot("openid-host-app-claims").await;

    // Signed out of the application only: signing in at Gatehouse itself
    // lands in it again (the operator's default application), no questions.
    b.client.goto(&format!("{host}/signout")).await.expect("sign out of the app");
    b.wait_css("#signed-out", "not signed in").await;
    b.goto("/").await;
    b.wait_css("#welcome", "Signed in as moe@initech.com").await;
    assert!(b.client.current_url().await.expect("url").as_str().starts_with(&host));

    // The Administrator turns SSO off: Moe's Gatehouse session ends, and
    // with it his session in the application (back-channel logout).
    b.goto("/login").await;
    b.fill("input-email", "peter@initech.com").await;
    b.fill("input-password", PASSWORD).await;
    b.click("login-submit").await;
    b.wait_text("members-table", "moe@initech.com").await;
    b.click("tab-provision").await;
    b.wait_text("status-sso", "Active").await;
    b.click("toggle-sso").await;
    b.click("confirm-turn-off").await;
    b.wait_text("status-sso", "Inactive").await;
    let mut state = host_state(&host).await;
    for _ in 0..50 {
        if state["logouts"].as_array().is_some_and(|l| !l.is_empty()) {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        state = host_state(&host).await;
    }
    assert_eq!(state["rejected"], serde_json::json!([]), "{state}");
    assert_eq!(state["logouts"].as_array().map(Vec::len), Some(1), "{state}");
    assert_eq!(state["sessions"], serde_json::json!([]), "{state}");
    b.client.goto(&host).await.expect("host app");
    b.wait_css("#signed-out", "not signed in").await;

    // Peter also joins Umbrella: signing in to the application, he is asked
    // which organization (a Gatehouse page), and gets the one he picks.
    b.client.delete_all_cookies().await.expect("sign out");
    b.sign_up("Umbrella", "Una", "una@umbrella.com").await;
    b.join_by_invite("una@umbrella.com", "peter@initech.com", "Peter").await;
    b.client.delete_all_cookies().await.expect("sign out");
    // From the application, with his password this time.
    b.client.goto(&format!("{host}/login")).await.expect("host app sign-in");
    b.el("login-form").await;
    b.fill("input-email", "peter@initech.com").await;
    b.fill("input-password", PASSWORD).await;
    b.click("login-submit").await;
    b.wait_css("h1", "Choose an organization").await;
    b.look("openid-choose-organization").await;
    let choices = b.client.find_all(Locator::Css("a.choice")).await.expect("choices");
    let mut names = Vec::new();
    for c in &choices {
        names.push(c.text().await.expect("text"));
    }
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names[0].starts_with("Initech") && names[1].starts_with("Umbrella"), "{names:?}");
    choices[1].click().await.expect("choose Umbrella");
    b.wait_css("#welcome", "Signed in as peter@initech.com of Umbrella").await;

    // The application asks for a new sign-in (prompt=login): the sign-in
    // page stays (it does not skip ahead with the current session), and the
    // new sign-in completes the request.
    b.client.goto(&format!("{host}/login?prompt=login")).await.expect("host app sign-in");
    b.el("login-form").await;
    actix_web::rt::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(b.path().await, "/login", "the sign-in page skipped ahead");
    b.fill("input-email", "peter@initech.com").await;
    b.fill("input-password", PASSWORD).await;
    b.click("login-submit").await;
    b.wait_css("h1", "Choose an organization").await;
    b.client.find(Locator::Css("a.choice")).await.expect("Initech").click().await.expect("choose Initech");
    b.wait_css("#welcome", "Signed in as peter@initech.com of Initech").await;
    b.close().await;
}

/// Without a default application, a member's welcome page lists the
/// applications they can open (each starts a sign-in there).
#[actix_web::test]
async fn a_members_welcome_page_lists_the_applications() {
    let Some(b) = launch_with(|s| {
        let app = |id: &str, name: &str, base: &str| api::provider::clients::ClientSpec {
            client_id: id.into(),
            name: name.into(),
            client_secret: Some(HOST_SECRET.into()),
            redirect_uris: vec![format!("{base}/callback")],
            initiate_login_uri: Some(format!("{base}/start")),
            ..Default::default()
        };
        s.clients = vec![
            app("crm", "Acme CRM", "https://crm.example.com"),
            app("books", "Acme Books", "https://books.example.com"),
        ];
    })
    .await
    else {
        return;
    };
    b.sign_up("Acme", "Ada", "ada@acme.com").await;
    b.join_by_invite("ada@acme.com", "mia@acme.com", "Mia").await;
    b.click("logout").await;
    b.el("login-form").await;
    b.fill("input-email", "mia@acme.com").await;
    b.fill("input-password", PASSWORD).await;
    b.click("login-submit").await;
    b.wait_text("member-home", "Acme Books").await;
    let links = b.client.find_all(Locator::Css("[data-testid=member-home] ul.apps a")).await.expect("links");
    let first = links[0].attr("href").await.expect("href").expect("a link");
    assert_eq!(
        first,
        format!("https://books.example.com/start?iss={}", b.base.replace(':', "%3A").replace('/', "%2F"))
    );
    b.look("member-home-applications").await;
    b.close().await;
}
