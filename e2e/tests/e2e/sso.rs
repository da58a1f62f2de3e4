//! Issue 6 in Chromium: configure Custom OIDC through an SSO setup link
//! against a local `oidc-provider`, pass the test sign-in, then a member
//! signs in through SSO; after a revoke the next SSO sign-in is refused.
//! The same over SAML 2.0 with Okta's instructions against the signxml IdP.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::Locator;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::harness::{Browser, PASSWORD, launch};

pub(crate) const CLIENT_ID: &str = "gatehouse-e2e";
pub(crate) const CLIENT_SECRET: &str = "an-e2e-client-secret-long-enough";

/// Starts a test identity provider that prints "ready" once listening; keeps
/// draining its output. Killed when the child is dropped.
pub(crate) async fn spawn_ready(mut command: tokio::process::Command, what: &str) -> tokio::process::Child {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {what} (run `just tools`): {e}"));
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let ready = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await;
    assert!(matches!(ready, Ok(Ok(Some(ref l))) if l == "ready"), "{what} did not start: {ready:?}");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    child
}

pub(crate) fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace").to_path_buf()
}

/// A port below the kernel's ephemeral range (32768–60999), where no
/// outgoing connection can take it between this check and the helper's
/// listen; each call of this process tries the next one.
pub(crate) fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port =
            20_000 + u16::try_from(std::process::id().wrapping_mul(97).wrapping_add(n) % 12_000).expect("below 12,000");
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

pub(crate) async fn start_idp(redirect_uri: &str) -> (String, tokio::process::Child) {
    let port = free_port();
    let mut command = tokio::process::Command::new("node");
    command.arg(workspace().join("tools/oidc-provider.mjs")).args([
        &port.to_string(),
        CLIENT_ID,
        CLIENT_SECRET,
        redirect_uri,
    ]);
    (format!("http://127.0.0.1:{port}"), spawn_ready(command, "oidc-provider").await)
}

/// Signs in on the provider's own login and consent pages.
pub(crate) async fn sign_in_at_idp(b: &Browser, login: &str) {
    let field = b
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("input[name=login]"))
        .await
        .expect("the provider's login page");
    // The provider pre-fills it from our login_hint.
    field.clear().await.expect("clear login");
    field.send_keys(login).await.expect("type login");
    b.client.find(Locator::Css("input[name=password]")).await.expect("password").send_keys("any").await.expect("type");
    let provider = b.client.current_url().await.expect("url").origin();
    b.client.find(Locator::Css("button[type=submit]")).await.expect("submit").click().await.expect("click");
    // Consent ("Continue"), when the provider asks for it; done once the
    // browser has left the provider (for Gatehouse, or an application after it).
    for _ in 0..50 {
        let url = b.client.current_url().await.expect("url");
        if url.origin() != provider {
            return;
        }
        if let Ok(button) = b.client.find(Locator::Css("button[type=submit]")).await {
            let _ = button.click().await;
        }
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
}

/// An administrator signs up, adds the domain and plan, buys SSO and
/// generates the setup link; returns the link, signed out.
pub(crate) async fn buy_sso_link(b: &Browser, org: &str, admin: &str, domain: &str) -> String {
    b.sign_up(org, admin, &format!("{}@{domain}", admin.to_lowercase())).await;
    b.click("tab-provision").await;
    b.fill("input-domains", domain).await;
    b.click("add-domains").await;
    b.wait_text("domain-list", domain).await;
    b.el("input-plan").await.select_by_value("plan_core").await.expect("select plan");
    b.click("save-plan").await;
    b.wait_text("checkout-readiness", "Ready for checkout").await;
    b.click("continue-to-checkout").await;
    b.buy("sso", &format!("{admin} Owner")).await;
    b.wait_text("status-sso", "Awaiting").await;
    b.click("generate-sso-link").await;
    b.wait_text("sso-link", "expires").await;
    let link = b.el("sso-link-url").await.prop("value").await.expect("prop").expect("url");
    b.click("logout").await;
    b.el("login-form").await;
    link
}

/// On the SSO wizard: Custom OIDC against a new local provider, saved and
/// ready for its test sign-in. The provider's issuer, and its process.
pub(crate) async fn enter_custom_oidc(b: &Browser) -> (String, tokio::process::Child) {
    b.click("provider-custom_oidc").await;
    let redirect_uri = b.el("redirect-uri").await.prop("value").await.expect("prop").expect("redirect uri");
    let (issuer, idp) = start_idp(&redirect_uri).await;
    b.fill("input-issuer", &issuer).await;
    b.fill("input-client_id", CLIENT_ID).await;
    b.fill("input-client_secret", CLIENT_SECRET).await;
    b.click("save-sso").await;
    wait_enabled(b, "test-sso").await;
    (issuer, idp)
}

/// `org` buys SSO and its IT admin connects Custom OIDC through the setup
/// link and passes the test sign-in; then the browser forgets the provider's
/// session. The provider's issuer, and its process (signed out of Gatehouse).
pub(crate) async fn connected_sso(
    b: &Browser,
    org: &str,
    admin: &str,
    domain: &str,
) -> (String, tokio::process::Child) {
    let link = buy_sso_link(b, org, admin, domain).await;
    b.client.goto(&link).await.expect("open link");
    let (issuer, idp) = enter_custom_oidc(b).await;
    b.click("test-sso").await;
    sign_in_at_idp(b, &format!("it@{domain}")).await;
    b.wait_text("sso-result-title", "Test sign-in succeeded").await;
    forget_provider(b, &issuer).await;
    (issuer, idp)
}

/// The browser forgets its session at the provider (cookies are per host,
/// so Gatehouse's go too).
pub(crate) async fn forget_provider(b: &Browser, issuer: &str) {
    b.client.goto(&format!("{issuer}/.well-known/openid-configuration")).await.expect("provider");
    b.client.delete_all_cookies().await.expect("forget the provider session");
}

pub(crate) async fn wait_enabled(b: &Browser, testid: &str) {
    for _ in 0..50 {
        if b.el(testid).await.is_enabled().await.unwrap_or(false) {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{testid} never became enabled");
}

#[actix_web::test]
async fn it_admin_connects_oidc_and_members_sign_in_with_sso() {
    let Some(b) = launch().await else { return };

    let link = buy_sso_link(&b, "Globex", "Hank", "globex.com").await;

    // The IT admin configures Custom OIDC and runs the test sign-in.
    b.client.goto(&link).await.expect("open link");
    b.wait_text("setup-title", "Single Sign-On for Globex").await;
    let (issuer, _idp) = enter_custom_oidc(&b).await;
    b.look("sso-wizard").await;
    b.click("test-sso").await;
    sign_in_at_idp(&b, "it@globex.com").await;
    b.wait_text("sso-result-title", "Test sign-in succeeded").await;
    b.click("back-to-setup").await;
    b.wait_text("setup-status", "Active").await;

    // A member signs in with SSO from the login page: created just in time.
    // (First forget the IT admin's session at the provider.)
    forget_provider(&b, &issuer).await;
    b.goto("/login").await;
    b.fill("input-email", "moe@globex.com").await;
    b.click("sso-submit").await;
    sign_in_at_idp(&b, "moe@globex.com").await;
    b.wait_text("member-home", "Globex").await;
    b.click("logout").await;
    b.el("login-form").await;

    // The administrator sees the member and turns SSO off.
    b.fill("input-email", "hank@globex.com").await;
    b.fill("input-password", PASSWORD).await;
    b.click("login-submit").await;
    b.wait_text("members-table", "moe@globex.com").await;
    b.click("tab-provision").await;
    b.wait_text("status-sso", "Active").await;
    b.wait_text("activity-sso", "Last sign-in").await;
    b.click("toggle-sso").await;
    b.click("confirm-turn-off").await;
    b.wait_text("status-sso", "Inactive").await;
    b.click("logout").await;
    b.el("login-form").await;

    // The next SSO sign-in is refused, and says why.
    b.fill("input-email", "moe@globex.com").await;
    b.click("sso-submit").await;
    b.wait_text("form-error", "turned off").await;
    b.close().await;
}

/// The SAML test IdP (`tools/saml-idp.py`, signatures by PyPI signxml).
async fn start_saml_idp() -> (String, tokio::process::Child) {
    let port = free_port();
    let mut command = tokio::process::Command::new(workspace().join(".venv/bin/python"));
    command.arg(workspace().join("tools/saml-idp.py")).arg(port.to_string());
    (format!("http://127.0.0.1:{port}"), spawn_ready(command, "the SAML IdP").await)
}

/// Types the email on the test IdP's login page; its page then posts the
/// SAML Response to our ACS.
async fn sign_in_at_saml_idp(b: &Browser, email: &str) {
    let field = b
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Id("idp-email"))
        .await
        .expect("the IdP's login page");
    field.send_keys(email).await.expect("type email");
    b.client.find(Locator::Id("idp-submit")).await.expect("submit").click().await.expect("click");
}

#[actix_web::test]
async fn it_admin_connects_okta_over_saml_and_members_sign_in() {
    let Some(b) = launch().await else { return };
    let link = buy_sso_link(&b, "Initech", "Bill", "initech.com").await;
    let (idp, _idp) = start_saml_idp().await;

    b.client.goto(&link).await.expect("open link");
    b.wait_text("setup-title", "Single Sign-On for Initech").await;
    b.click("provider-okta").await;
    b.wait_text("provider-steps", "SAML 2.0").await;
    let acs = b.el("acs-url").await.prop("value").await.expect("prop").expect("acs");
    assert!(acs.starts_with(&b.base) && acs.ends_with("/acs"), "{acs}");
    // The IdP's metadata pasted as XML, its sign-in page on "localhost": a
    // cross-site POST back to us, which our bridge page carries over.
    let port = idp.rsplit(':').next().expect("port");
    let metadata = reqwest::get(format!("{idp}/metadata")).await.expect("metadata").text().await.expect("text");
    let metadata = metadata.replace(&format!("{idp}/sso"), &format!("http://localhost:{port}/sso"));
    b.click("source-xml").await;
    b.fill("input-idp_metadata_xml", &metadata).await;
    b.click("save-sso").await;
    b.wait_text("certificate-expiry", "valid until").await;
    wait_enabled(&b, "test-sso").await;
    b.look("sso-wizard-saml").await;
    b.click("test-sso").await;
    sign_in_at_saml_idp(&b, "it@initech.com").await;
    b.wait_text("sso-result-title", "Test sign-in succeeded").await;
    b.click("back-to-setup").await;
    b.wait_text("setup-status", "Active").await;

    // A member signs in through the IdP and lands in the organization.
    b.goto("/login").await;
    b.fill("input-email", "peter@initech.com").await;
    b.click("sso-submit").await;
    sign_in_at_saml_idp(&b, "peter@initech.com").await;
    b.wait_text("member-home", "Initech").await;
    b.close().await;
}
