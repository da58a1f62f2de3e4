//! Organization → Members: pending invites (resend, revoke), and an
//! Administrator changing a member's plan and status and removing them.

use crate::harness::{PASSWORD, launch};

#[actix_web::test]
async fn an_administrator_manages_invites_and_members() {
    let Some(b) = launch().await else { return };
    b.sign_up("Initech", "Bill", "bill@initech.com").await;

    // Two invites; both are pending.
    for email in ["peter@initech.com", "milton@initech.com"] {
        b.fill("input-email", email).await;
        b.click("invite-submit").await;
        b.wait_text("invite-created", email).await;
    }
    b.wait_text("pending-invites", "milton@initech.com").await;
    b.wait_text("pending-invites", "peter@initech.com").await;
    b.look("members-pending-invites").await;

    // Milton's is revoked (after the confirmation); Peter's is sent again: a new link.
    let rows = b.client.find_all(fantoccini::Locator::Css("[data-testid=\"invite-row\"]")).await.expect("rows");
    assert_eq!(rows.len(), 2);
    let revoke = rows[1].find(fantoccini::Locator::Css("[data-testid=\"invite-revoke\"]")).await.expect("revoke");
    revoke.click().await.expect("click revoke");
    b.accept_dialog().await;
    for _ in 0..50 {
        let text = b.el("pending-invites").await.text().await.unwrap_or_default();
        if !text.contains("milton@") {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!b.el("pending-invites").await.text().await.unwrap_or_default().contains("milton@"));
    b.click("invite-resend").await;
    b.wait_text("pending-invites", "Send this link to peter@initech.com").await;
    let links = b.client.find_all(fantoccini::Locator::Css("[data-testid=\"invite-link\"]")).await.expect("links");
    let link = links[0].prop("value").await.expect("value").expect("link");

    // Peter joins with the resent link.
    b.click("logout").await;
    b.el("login-form").await;
    b.client.goto(&link).await.expect("open invite");
    b.fill("input-name", "Peter").await;
    b.fill("input-password", "tps reports forever").await;
    b.click("accept-submit").await;
    b.wait_text("member-home", "Welcome to Initech").await;
    b.click("logout").await;

    // Bill gives Peter another plan, suspends and reactivates him, then removes him.
    b.fill("input-email", "bill@initech.com").await;
    b.fill("input-password", PASSWORD).await;
    b.click("login-submit").await;
    b.wait_text("members-table", "peter@initech.com").await;
    let rows = b.client.find_all(fantoccini::Locator::Css("[data-testid=\"member-row\"]")).await.expect("rows");
    let peter = rows.into_iter().nth(1).expect("peter's row");
    let plan = peter.find(fantoccini::Locator::Css("[data-testid=\"member-plan\"]")).await.expect("plan");
    plan.select_by_value("plan_extended").await.expect("pick plan");
    b.wait_text("members-table", "Suspend").await;
    let suspend = peter.find(fantoccini::Locator::Css("[data-testid=\"member-suspend\"]")).await.expect("suspend");
    suspend.click().await.expect("suspend");
    b.wait_text("members-table", "Suspended").await;
    b.look("members-actions").await;
    assert_eq!(b.overflow_at_390().await, 0, "the members page scrolls sideways at 390 px");
    let rows = b.client.find_all(fantoccini::Locator::Css("[data-testid=\"member-row\"]")).await.expect("rows");
    let peter = rows.into_iter().nth(1).expect("peter's row");
    let plan = peter.find(fantoccini::Locator::Css("[data-testid=\"member-plan\"]")).await.expect("plan");
    assert_eq!(plan.prop("value").await.expect("value").as_deref(), Some("plan_extended"));
    // Bill's own row cannot suspend or remove Bill.
    let bill_suspend = b.el("member-suspend").await;
    assert!(bill_suspend.attr("disabled").await.expect("attr").is_some(), "Bill cannot suspend himself");
    let remove = peter.find(fantoccini::Locator::Css("[data-testid=\"member-remove\"]")).await.expect("remove");
    remove.click().await.expect("remove");
    b.accept_dialog().await;
    for _ in 0..50 {
        if !b.el("members-table").await.text().await.unwrap_or_default().contains("peter@") {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!b.el("members-table").await.text().await.unwrap_or_default().contains("peter@"));
    b.close().await;
}

/// With Disable Passwords on Invites on, the invite page asks no password
/// and says the member signs in through the organization's SSO (not set up
/// yet here); joining creates an account without one.
#[actix_web::test]
async fn a_passwordless_invite_joins_without_a_password() {
    let Some(b) = launch().await else { return };
    b.sign_up("Hooli", "Gavin", "gavin@hooli.com").await;
    b.click("tab-provision").await;
    b.click("toggle-disable-passwords").await;
    // Saved once the tab shows it from the server again.
    b.wait_audit("invite_settings.changed").await;
    b.click("tab-members").await;
    b.fill("input-email", "richard@hooli.com").await;
    b.click("invite-submit").await;
    b.wait_text("invite-created", "No password is needed").await;
    let link = b.el("invite-link").await.prop("value").await.expect("value").expect("link");
    b.click("logout").await;
    b.el("login-form").await;
    b.client.goto(&link).await.expect("open invite");
    b.wait_text("invite-sso-only", "sign in through Hooli's single sign-on").await;
    b.wait_text("invite-sso-pending", "still setting up single sign-on").await;
    assert!(
        b.client.find(fantoccini::Locator::Css("[data-testid=\"input-password\"]")).await.is_err(),
        "no password field"
    );
    b.look("invite-passwordless").await;
    b.fill("input-name", "Richard").await;
    b.click("accept-submit").await;
    b.wait_text("member-home", "Welcome to Hooli").await;
    b.close().await;
}
