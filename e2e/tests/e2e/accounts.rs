use crate::harness::launch;

#[actix_web::test]
async fn sign_up_log_out_log_in_and_see_members() {
    let Some(b) = launch().await else { return };

    b.goto("/").await;
    b.el("login-form").await;
    b.click("to-signup").await;
    b.fill("input-organization_name", "Acme Corp").await;
    b.fill("input-name", "Ada Admin").await;
    b.fill("input-email", "ada@acme.com").await;
    b.fill("input-password", "correct horse battery").await;
    b.click("signup-submit").await;

    b.wait_text("organization-name", "Acme Corp").await;
    b.wait_text("member-email", "ada@acme.com").await;
    b.wait_text("member-role", "Administrator").await;
    assert!(b.path().await.ends_with("/members"));

    b.click("logout").await;
    b.el("login-form").await;
    // Signed out for real: the organization page sends us back to login.
    b.goto("/").await;
    b.el("login-form").await;

    b.fill("input-email", "ada@acme.com").await;
    b.fill("input-password", "correct horse battery").await;
    b.click("login-submit").await;
    b.wait_text("organization-name", "Acme Corp").await;
    b.wait_text("members-table", "ada@acme.com").await;
    b.wait_text("current-user", "ada@acme.com").await;
    b.close().await;
}

#[actix_web::test]
async fn field_errors_appear_next_to_fields() {
    let Some(b) = launch().await else { return };

    b.goto("/signup").await;
    b.fill("input-organization_name", "Acme").await;
    b.fill("input-name", "Ada").await;
    b.fill("input-email", "not-an-email").await;
    b.fill("input-password", "short").await;
    b.click("signup-submit").await;
    b.wait_text("error-email", "name@company.com").await;
    b.wait_text("error-password", "10 characters").await;

    // A rule only the server can check: the email is taken.
    b.fill("input-email", "ada@acme.com").await;
    b.fill("input-password", "correct horse battery").await;
    b.click("signup-submit").await;
    b.wait_text("organization-name", "Acme").await;
    b.click("logout").await;
    b.el("login-form").await;
    b.goto("/signup").await;
    b.fill("input-organization_name", "Acme again").await;
    b.fill("input-name", "Eve").await;
    b.fill("input-email", "ada@acme.com").await;
    b.fill("input-password", "correct horse battery").await;
    b.click("signup-submit").await;
    b.wait_text("form-error", "already exists").await;

    // Wrong password: one message for the form.
    b.goto("/login").await;
    b.fill("input-email", "ada@acme.com").await;
    b.fill("input-password", "wrong password!").await;
    b.click("login-submit").await;
    b.wait_text("form-error", "incorrect").await;
    b.close().await;
}

#[actix_web::test]
async fn an_invited_member_joins_through_the_link() {
    let Some(b) = launch().await else { return };

    b.sign_up("Initech", "Bill", "bill@initech.com").await;

    b.fill("input-email", "peter@initech.com").await;
    b.click("invite-submit").await;
    b.wait_text("invite-created", "peter@initech.com").await;
    let link = b.el("invite-link").await.prop("value").await.expect("value").expect("link");
    assert!(link.starts_with(&format!("{}/invite/", b.base)), "{link}");

    b.click("logout").await;
    b.el("login-form").await;
    b.client.goto(&link).await.expect("open invite");
    b.wait_text("invite-organization", "Initech").await;
    b.fill("input-name", "Peter").await;
    b.fill("input-password", "tps reports forever").await;
    b.click("accept-submit").await;
    b.wait_text("member-home", "Welcome to Initech").await;

    // The link works once.
    b.client.goto(&link).await.expect("reopen invite");
    b.wait_text("invite-error", "already been accepted").await;
    b.close().await;
}
