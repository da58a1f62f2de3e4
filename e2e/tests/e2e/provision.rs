use crate::harness::launch;

#[actix_web::test]
async fn admin_adds_domains_and_picks_the_default_plan() {
    let Some(b) = launch().await else { return };

    b.sign_up("Acme", "Ada", "ada@acme.com").await;

    b.click("tab-provision").await;
    b.wait_text("status-sso", "Not purchased").await;
    b.wait_text("checkout-readiness", "add at least one domain").await;

    // Refused by the server (free-mail list): nothing saved, the reason shown.
    b.fill("input-domains", "acme.com, gmail.com").await;
    b.click("add-domains").await;
    b.wait_text("error-domains", "free email provider").await;
    b.wait_text("domain-list", "No domains yet").await;

    // Refused in the browser by the shared syntax rules.
    b.fill("input-domains", "intranet").await;
    b.click("add-domains").await;
    b.wait_text("error-domains", "needs a dot").await;

    b.fill("input-domains", "Acme.com, https://www.acme.io/").await;
    b.click("add-domains").await;
    b.wait_text("domain-list", "acme.io").await;
    b.wait_text("domain-list", "acme.com").await;
    b.wait_text("normalized", "https://www.acme.io/ → acme.io").await;

    b.el("input-plan").await.select_by_value("plan_extended").await.expect("select plan");
    b.click("save-plan").await;
    b.wait_text("checkout-readiness", "Ready for checkout").await;

    // After a reload the tab shows what was saved.
    b.goto("/").await;
    b.wait_text("organization-name", "Acme").await;
    b.click("tab-provision").await;
    b.wait_text("domain-list", "acme.io").await;
    let selected = b.el("input-plan").await.prop("value").await.expect("prop");
    assert_eq!(selected.as_deref(), Some("plan_extended"));

    b.click("remove-acme.io").await;
    b.wait_text("checkout-readiness", "Ready").await;
    for _ in 0..50 {
        if !b.el("domain-list").await.text().await.expect("text").contains("acme.io") {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(!b.el("domain-list").await.text().await.expect("text").contains("acme.io"));
    b.close().await;
}

#[actix_web::test]
async fn admin_buys_single_sign_on_and_lands_back_on_the_tab() {
    let Some(b) = launch().await else { return };

    b.sign_up("Umbrella", "Alice", "alice@umbrella.com").await;
    b.click("tab-provision").await;
    b.fill("input-domains", "umbrella.com").await;
    b.click("add-domains").await;
    b.wait_text("domain-list", "umbrella.com").await;
    b.el("input-plan").await.select_by_value("plan_core").await.expect("select plan");
    b.click("save-plan").await;
    b.wait_text("checkout-readiness", "Ready for checkout").await;

    b.click("continue-to-checkout").await;
    // Prices before choosing, what Both saves, and the test-mode banner.
    b.wait_text("price-sso", "$1,200.00").await;
    b.wait_text("price-both", "Save $400.00").await;
    b.wait_text("test-mode", "No card is charged").await;
    b.click("choose-sso").await;
    b.wait_text("quote-total", "$1,200.00").await;
    b.wait_text("confirm-purchase", "Pay $1,200.00").await;
    b.look("checkout").await;

    // A declined card: the reason is shown, nothing is bought.
    b.fill("input-cardholder_name", "Alice Admin").await;
    b.fill("input-card_number", "4000 0000 0000 0002").await;
    b.fill("input-expiry", "12/31").await;
    b.fill("input-cvc", "123").await;
    b.click("confirm-purchase").await;
    b.wait_text("form-error", "declined").await;

    // A card that fails the checks in the browser.
    b.fill("input-card_number", "4242 4242 4242 4241").await;
    b.click("confirm-purchase").await;
    b.wait_text("error-card_number", "not valid").await;

    // A Visa number three digits short passes Luhn: its length gives it away.
    b.fill("input-card_number", "424242424242").await;
    b.click("confirm-purchase").await;
    b.wait_text("error-card_number", "16 digits").await;

    // Typed without spaces, shown grouped as on the card.
    b.fill("input-card_number", "4242424242424242").await;
    let typed = b.el("input-card_number").await.prop("value").await.expect("value");
    assert_eq!(typed.as_deref(), Some("4242 4242 4242 4242"));
    b.click("confirm-purchase").await;
    b.wait_text("receipt-features", "Single Sign-On").await;
    b.wait_text("receipt", "Visa ending in 4242").await;
    b.wait_text("receipt-amount", "$1,200.00 / year").await;
    b.look("checkout-receipt").await;
    b.click("to-provision").await;
    b.wait_text("status-sso", "Awaiting").await;
    // What the tab and checkout say now derives from what is bought.
    b.wait_text("checkout-readiness", "Directory Sync can be added").await;
    b.click("continue-to-checkout").await;
    b.wait_text("price-sso", "$1,200.00").await;
    let both = b.el("choose-both").await;
    assert!(both.attr("disabled").await.expect("attr").is_some(), "Both is not offered once SSO is bought");
    b.wait_text("price-both", "$2,000.00").await;
    let page = b
        .el("choose-both")
        .await
        .find(fantoccini::Locator::XPath(".."))
        .await
        .expect("label")
        .text()
        .await
        .expect("text");
    assert!(page.contains("You have Single Sign-On already: choose Directory Sync"), "{page}");
    assert!(!page.contains("already purchased"), "{page}");
    b.click("back-to-provision").await;
    b.wait_text("status-sso", "Awaiting").await;
    b.wait_text("status-directory-sync", "Not purchased").await;
    b.wait_text("domain-list", "umbrella.com").await;
    assert!(b.path().await.ends_with("/provision"));
    let selected = b.el("input-plan").await.prop("value").await.expect("prop");
    assert_eq!(selected.as_deref(), Some("plan_core"));

    b.look("provision-after-purchase").await;

    // Revoke asks first, and says what else it turns off.
    b.click("toggle-sso").await;
    b.wait_text("confirm-dialog", "will also disable Directory Sync").await;
    b.look("revoke-dialog").await;
    b.click("confirm-cancel").await;
    b.wait_text("status-sso", "Awaiting").await;
    b.click("toggle-sso").await;
    b.click("confirm-turn-off").await;
    b.wait_text("status-sso", "Inactive").await;
    b.click("toggle-sso").await;
    b.wait_text("status-sso", "Awaiting").await;

    // Billing lists the purchase with its receipt.
    b.click("tab-billing").await;
    b.wait_text("purchases-table", "$1,200.00").await;
    b.click("show-receipt").await;
    b.wait_text("receipt", "pur_").await;
    b.look("billing").await;
    assert_eq!(b.overflow_at_390().await, 0, "the billing page scrolls sideways at 390 px");
    b.click("tab-provision").await;
    b.el("domains-form").await;

    b.click("toggle-disable-passwords").await;
    // Tabs are in-app navigation: a value set on the page survives the click,
    // Back and Forward (a page load would wipe it).
    b.client.execute("window.stayed = true", vec![]).await.expect("mark the page");
    b.click("tab-audit").await;
    b.wait_text("audit-table", "invite_settings.changed").await;
    let text = b.wait_text("audit-table", "checkout.confirmed").await;
    assert!(text.contains("alice@umbrella.com") && text.contains("domain.added"), "{text}");
    assert!(text.contains("integration.disabled") && text.contains("integration.enabled"), "{text}");
    assert!(!text.contains("4242 4242"), "no card number in the audit log");
    // In words, with names.
    b.wait_text("audit-table", "Bought Single Sign-On for $1,200.00 with Visa •••• 4242").await;
    b.wait_text("audit-table", "Turned off Single Sign-On").await;
    b.wait_text("audit-table", "Created the organization Umbrella").await;
    b.look("audit-log").await;
    assert_eq!(b.overflow_at_390().await, 0, "the audit log scrolls sideways at 390 px");
    // Narrowed to billing: the purchase and the declined attempt, nothing else.
    b.el("filter-action").await.select_by_value("checkout.").await.expect("filter");
    b.click("apply-filters").await;
    for _ in 0..50 {
        if !b.el("audit-table").await.text().await.unwrap_or_default().contains("domain.added") {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let billing = b.wait_text("audit-table", "declined").await;
    assert!(!billing.contains("domain.added") && billing.contains("checkout.confirmed"), "{billing}");
    // The export has the same filter, as CSV.
    let href = b.el("export-csv").await.attr("href").await.expect("attr").expect("href");
    assert!(href.contains("format=csv") && href.contains("action=checkout."), "{href}");
    let csv = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1]; fetch(arguments[0]).then(r => r.text()).then(done);",
            vec![serde_json::json!(href)],
        )
        .await
        .expect("download");
    let csv = csv.as_str().unwrap_or_default().to_owned();
    assert!(csv.starts_with("occurred_at,actor,actor_email,action,summary"), "{csv}");
    assert!(csv.contains("checkout.declined") && !csv.contains("domain.added"), "{csv}");
    b.client.back().await.expect("back");
    b.el("domains-form").await;
    assert!(b.path().await.ends_with("/provision"), "{}", b.path().await);
    b.client.forward().await.expect("forward");
    b.wait_text("audit-table", "checkout.confirmed").await;
    let stayed = b.client.execute("return window.stayed === true", vec![]).await.expect("read the mark");
    assert_eq!(stayed, serde_json::Value::Bool(true), "the tabs, Back and Forward reloaded the page");

    // Step 8: setup links; a new one replaces the old one.
    b.click("tab-provision").await;
    b.click("generate-sso-link").await;
    b.wait_text("sso-link", "expires").await;
    let first = b.el("sso-link-url").await.prop("value").await.expect("prop").expect("url");
    b.click("generate-sso-link").await;
    let mut second = first.clone();
    for _ in 0..50 {
        second = b.el("sso-link-url").await.prop("value").await.expect("prop").expect("url");
        if second != first {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_ne!(first, second);
    assert!(second.starts_with(&format!("{}/setup/", b.base)), "{second}");
    assert!(second.len() < 120, "a short link: {second}");
    b.wait_text("sso-link-status", "Not opened yet").await;
    // Revoked from the list: it says so; regenerating gives a working one.
    b.click("revoke-sso-link").await;
    b.wait_text("sso-link-status", "Revoked").await;
    b.look("provision-setup-links").await;
    let revoked = second;
    b.click("generate-sso-link").await;
    b.wait_text("sso-link-status", "Not opened yet").await;
    let second = b.el("sso-link-url").await.prop("value").await.expect("prop").expect("url");
    assert_ne!(second, revoked);

    // The IT admin's side: no account, the organization and the feature.
    b.click("logout").await;
    b.el("login-form").await;
    b.client.goto(&second).await.expect("open link");
    b.wait_text("setup-title", "Single Sign-On for Umbrella").await;
    b.wait_text("setup-status", "Awaiting").await;
    b.look("setup-page").await;
    // Saving nothing says what to enter (never a silent no-op).
    b.click("provider-okta").await;
    b.click("save-sso").await;
    b.wait_text("error-idp_metadata_url", "metadata").await;
    b.client.goto(&first).await.expect("open old link");
    b.wait_text("setup-revoked", "replaced").await;
    b.client.goto(&revoked).await.expect("open revoked link");
    b.wait_text("setup-revoked", "revoked").await;
    b.goto("/setup/not-a-real-token").await;
    b.wait_text("setup-invalid", "not valid").await;
    b.close().await;
}
