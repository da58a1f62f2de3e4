//! Issue 18 in Chromium, with domain verification required as in
//! production (a real DNS server on loopback) and a real identity provider:
//! the Administrator proves the domain, reads the Require SSO checklist,
//! names themself break-glass and turns it on; a member's password then
//! sends them to SSO from the login page; the break-glass Administrator
//! still signs in with a password, sees that use on the tab, and turns
//! Require SSO off.

use fantoccini::Locator;
use serde_json::json;

use crate::harness::{Browser, PASSWORD, launch_with};
use crate::sso::{connected_sso, forget_provider, free_port, sign_in_at_idp, spawn_ready, workspace};

/// `tools/dns-server.py` answering from a zone file the test writes.
async fn dns_server(dir: &std::path::Path) -> (String, std::path::PathBuf, tokio::process::Child) {
    let zone = dir.join("zone.json");
    std::fs::write(&zone, "{}").expect("zone");
    let port = free_port();
    let mut command = tokio::process::Command::new(workspace().join(".venv/bin/python"));
    command.arg(workspace().join("tools/dns-server.py")).arg(port.to_string()).arg(&zone);
    (format!("127.0.0.1:{port}"), zone.clone(), spawn_ready(command, "the DNS server (run `just python-tools`)").await)
}

async fn value_of(b: &Browser, css: &str) -> String {
    let el = b.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    el.prop("value").await.expect("prop").expect("value")
}

/// Scrolls the Require SSO card into view (for the screenshots).
async fn show_card(b: &Browser) {
    let script = "document.querySelector('[data-testid=\"require-sso\"]').scrollIntoView()";
    b.client.execute(script, vec![]).await.expect("scroll");
}

async fn log_in(b: &Browser, email: &str) {
    b.goto("/login").await;
    b.fill("input-email", email).await;
    b.fill("input-password", PASSWORD).await;
    b.click("login-submit").await;
}

#[actix_web::test]
async fn an_administrator_requires_sso_and_keeps_a_break_glass_way_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    if !workspace().join(".venv/bin/python").exists() {
        assert!(std::env::var("REQUIRE_E2E").is_err(), "the DNS test server needs .venv: run `just python-tools`");
        return;
    }
    let (dns, zone, _dns) = dns_server(dir.path()).await;
    let servers = dns.clone();
    let Some(b) = launch_with(move |s| {
        s.domain_verification = api::config::DomainVerificationMode::Required;
        s.dns_servers = Some(servers);
    })
    .await
    else {
        return;
    };

    // SSO bought and connected by the IT admin (the test sign-in passes).
    let (issuer, _idp) = connected_sso(&b, "Initech", "Peter", "initech.com").await;

    // Bob joins with a password while passwords still work.
    b.join_by_invite("peter@initech.com", "bob@initech.com", "Bob Slydell").await;

    // The Administrator proves the domain on the tab.
    log_in(&b, "peter@initech.com").await;
    b.el("members-table").await;
    b.click("tab-provision").await;
    b.wait_text("verification-initech.com", "Pending").await;
    let value = value_of(&b, "input[aria-label='Record value for initech.com']").await;
    std::fs::write(&zone, json!({ "_gatehouse-challenge.initech.com.": { "TXT": [[value]] } }).to_string())
        .expect("publish");
    b.click("verify-initech.com").await;
    b.wait_text("verification-initech.com", "Verified").await;

    // The checklist: everything but a break-glass Administrator.
    b.wait_text("require-sso-state", "Off").await;
    b.wait_text("condition-verified_domain", "At least one domain is verified").await;
    b.wait_text("condition-recent_test", "A test sign-in passed").await;
    b.wait_text("condition-break_glass_admin", "Name at least one").await;
    b.click("require-sso-on").await;
    b.wait_text("form-error", "the checklist says what is missing").await;
    show_card(&b).await;
    b.look("require-sso-checklist").await;
    b.screenshot_of("require-sso", "require-sso-checklist").await;
    b.click("break-glass-peter@initech.com").await;

    // Named and on.
    b.click("require-sso-on").await;
    b.wait_text("require-sso-state", "On").await;
    b.wait_audit("sso_enforcement.enabled").await;
    show_card(&b).await;
    b.look("require-sso-on").await;
    b.screenshot_of("require-sso", "require-sso-on").await;
    b.click("logout").await;
    b.el("login-form").await;

    // Bob's password sends him to the identity provider, and he gets in.
    log_in(&b, "bob@initech.com").await;
    sign_in_at_idp(&b, "bob@initech.com").await;
    b.wait_text("member-home", "Initech").await;
    b.click("logout").await;
    b.el("login-form").await;
    forget_provider(&b, &issuer).await;

    // The break-glass Administrator's password still works, and the tab says so.
    log_in(&b, "peter@initech.com").await;
    b.el("members-table").await;
    b.click("tab-provision").await;
    b.wait_text("break-glass-last-use", "Break-glass sign-in used just now by peter@initech.com").await;
    b.wait_audit("sso_enforcement.break_glass_used").await;
    show_card(&b).await;
    b.look("require-sso-break-glass").await;
    b.screenshot_of("require-sso", "require-sso-break-glass").await;

    // And turns it off.
    b.click("require-sso-off").await;
    b.accept_dialog().await;
    b.wait_text("require-sso-state", "Off").await;
    b.wait_audit("sso_enforcement.disabled").await;
    b.close().await;
}
