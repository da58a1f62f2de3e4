//! Issue 19 in Chromium: the SaaS's own application (`tools/oidc-host-app.mjs`,
//! built on openid-client) signs a member in through Gatehouse, and Gatehouse
//! through the organization's identity provider: host app → Gatehouse's
//! sign-in → the upstream IdP → back to the host app showing the claims.
//! Signing in at Gatehouse itself lands in the same application (the
//! operator's default client); turning SSO off ends the member's session
//! there too, by back-channel logout.

use std::time::Duration;

use fantoccini::Locator;

use crate::harness::{Browser, PASSWORD, launch_with};
use crate::sso::{buy_sso_link, enter_custom_oidc, free_port, sign_in_at_idp, spawn_ready, workspace};

const HOST_CLIENT_ID: &str = "host-app";
const HOST_SECRET: &str = "a-host-application-secret-of-40-chars-xx";

/// Waits until the element `css` (on any page) shows `want`.
async fn wait_css(b: &Browser, css: &str, want: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(el) = b.client.find(Locator::Css(css)).await {
            last = el.text().await.unwrap_or_default();
            if last.contains(want) {
                return last;
            }
        }
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    let url = b.client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
    panic!("{css} never showed {want:?} (at {url}); last text {last:?}");
}

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
    let link = buy_sso_link(&b, "Initech", "Peter", "initech.com").await;
    b.client.goto(&link).await.expect("open link");
    let (issuer, _idp) = enter_custom_oidc(&b).await;
    b.click("test-sso").await;
    sign_in_at_idp(&b, "it@initech.com").await;
    b.wait_text("sso-result-title", "Test sign-in succeeded").await;
    b.client.goto(&format!("{issuer}/.well-known/openid-configuration")).await.expect("provider");
    b.client.delete_all_cookies().await.expect("forget the provider session");

    // Moe opens the SaaS's application and signs in with Gatehouse: email
    // first, then Initech's identity provider, then back in the application.
    b.client.goto(&host).await.expect("host app");
    wait_css(&b, "#signed-out", "not signed in").await;
    b.client.find(Locator::Css("a.button")).await.expect("sign-in link").click().await.expect("click");
    b.el("login-form").await;
    b.screenshot("openid-login-for-application").await;
    b.fill("input-email", "moe@initech.com").await;
    b.click("sso-submit").await;
    sign_in_at_idp(&b, "moe@initech.com").await;
    wait_css(&b, "#welcome", "Signed in as moe@initech.com of Initech").await;
    // The claims the application got (openid-client validated the ID token).
    let claim = |name: &'static str| {
        let b = &b;
        async move { wait_css(b, &format!("td[data-claim=\"{name}\"]"), "").await }
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
    wait_css(&b, "#signed-out", "not signed in").await;
    b.goto("/").await;
    wait_css(&b, "#welcome", "Signed in as moe@initech.com").await;
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
    wait_css(&b, "#signed-out", "not signed in").await;
    b.close().await;
}
