use crate::harness::{PASSWORD, launch};

/// Issue 5, end to end: buy Directory Sync, open the SCIM setup link as the
/// IT admin, get credentials, provision a user with a real HTTP client, and
/// see the status turn Active and the member appear.
#[actix_web::test]
async fn it_admin_connects_a_directory_and_members_flow_in() {
    let Some(b) = launch().await else { return };

    b.sign_up("Initech", "Bill", "bill@initech.com").await;
    b.click("tab-provision").await;
    b.fill("input-domains", "initech.com").await;
    b.click("add-domains").await;
    b.wait_text("domain-list", "initech.com").await;
    b.el("input-plan").await.select_by_value("plan_extended").await.expect("select plan");
    b.click("save-plan").await;
    b.wait_text("checkout-readiness", "Ready for checkout").await;
    b.click("continue-to-checkout").await;
    b.buy("directory_sync", "Bill Lumbergh").await;
    b.wait_text("status-directory-sync", "Awaiting").await;
    b.click("generate-scim-link").await;
    b.wait_text("scim-link", "expires").await;
    let link = b.el("scim-link-url").await.prop("value").await.expect("prop").expect("url");
    b.click("logout").await;
    b.el("login-form").await;

    // The IT admin: no account.
    b.client.goto(&link).await.expect("open link");
    b.wait_text("setup-title", "Directory Sync (SCIM) for Initech").await;
    b.click("provider-google_workspace").await;
    b.wait_text("no-scim", "no SCIM provisioning").await;
    b.click("provider-okta").await;
    b.wait_text("provider-steps", "SCIM connector base URL").await;
    b.click("generate-scim-token").await;
    b.wait_text("scim-credentials", "shown only once").await;
    let base = b.el("scim-base-url").await.prop("value").await.expect("prop").expect("base url");
    let token = b.el("scim-token").await.prop("value").await.expect("prop").expect("token");
    assert_eq!(base, format!("{}/scim/v2", b.base));
    b.look("scim-wizard").await;
    b.wait_text("setup-status", "Awaiting").await;

    // The directory: a real HTTP client.
    let http = reqwest::Client::new();
    let res = http
        .post(format!("{base}/Users"))
        .bearer_auth(&token)
        .header("content-type", "application/scim+json")
        .body(
            serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "milton@initech.com",
                "name": { "givenName": "Milton", "familyName": "Waddams" },
                "emails": [{ "value": "milton@initech.com", "type": "work", "primary": true }],
                "active": true
            })
            .to_string(),
        )
        .send()
        .await
        .expect("scim request");
    assert_eq!(res.status(), reqwest::StatusCode::CREATED, "{:?}", res.text().await);

    // No click: the wizard follows the status by itself within seconds.
    b.wait_text("setup-status", "Active").await;
    b.wait_text("scim-active", "connected").await;
    // Fifty more people: the members list shows 50 at a time.
    for i in 0..50 {
        let email = format!("staff{i:02}@initech.com");
        let user = serde_json::json!({ "userName": email, "emails": [{ "value": email, "primary": true }] });
        let res = http.post(format!("{base}/Users")).bearer_auth(&token).json(&user).send().await.expect("scim");
        assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    }

    // The administrator sees it.
    b.goto("/login").await;
    b.fill("input-email", "bill@initech.com").await;
    b.fill("input-password", PASSWORD).await;
    b.click("login-submit").await;
    b.wait_text("organization-name", "Initech").await;
    b.wait_text("members-table", "milton@initech.com").await;
    let table = b.wait_text("members-table", "Milton Waddams").await;
    assert!(table.contains("Directory"), "{table}");
    // Milton got the Provision Default Plan.
    let rows = b.client.find_all(fantoccini::Locator::Css("[data-testid=\"member-row\"]")).await.expect("rows");
    let milton = rows.into_iter().nth(1).expect("Milton's row");
    assert!(milton.text().await.expect("text").contains("milton@initech.com"));
    let plan = milton.find(fantoccini::Locator::Css("[data-testid=\"member-plan\"]")).await.expect("plan");
    assert_eq!(plan.prop("value").await.expect("value").as_deref(), Some("plan_extended"));
    let first = b.wait_text("members-table", "staff47@initech.com").await;
    assert!(!first.contains("staff48"), "the administrator, Milton and 48 staff on the first page");
    b.click("members-more").await;
    b.wait_text("members-table", "staff49@initech.com").await;
    b.click("tab-provision").await;
    b.wait_text("status-directory-sync", "Active").await;
    b.wait_text("activity-directory-sync", "Last directory request").await;
    b.look("provision-directory-active").await;

    // A new token is generated but the directory keeps sending the old one:
    // the tab says what is wrong and what to do.
    b.click("generate-scim-link").await;
    let mut again = link.clone();
    for _ in 0..80 {
        again = b.el("scim-link-url").await.prop("value").await.expect("prop").expect("url");
        if again != link {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_ne!(again, link, "a new link");
    let setup = again.rsplit('/').next().expect("token");
    let res = http
        .post(format!("{}/api/v1/setup/{setup}/scim-credentials", b.base))
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("new credentials");
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    let res = http.get(format!("{base}/Users")).bearer_auth(&token).send().await.expect("scim request");
    assert_eq!(res.status(), reqwest::StatusCode::UNAUTHORIZED);
    b.client.refresh().await.expect("reload");
    b.wait_text("status-directory-sync", "Error").await;
    b.wait_text("reason-directory-sync", "replaced on").await;
    b.look("provision-directory-error").await;
    b.close().await;
}
