use crate::harness::{launch, launch_with};

#[actix_web::test]
async fn sign_up_log_out_log_in_and_see_members() {
    let Some(b) = launch().await else { return };

    b.goto("/").await;
    b.el("login-form").await;
    b.look("login").await;
    b.click("to-signup").await;
    b.el("input-organization_name").await;
    b.look("signup").await;
    b.fill("input-organization_name", "Acme Corp").await;
    b.fill("input-name", "Ada Admin").await;
    b.fill("input-email", "ada@acme.com").await;
    b.fill("input-password", "correct horse battery").await;
    b.click("signup-submit").await;

    b.wait_text("organization-name", "Acme Corp").await;
    b.wait_text("member-email", "ada@acme.com").await;
    let role = b.el("member-role-select").await.prop("value").await.expect("value");
    assert_eq!(role.as_deref(), Some("admin"));
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

    // A signed-out visit to an organization page comes back to it after signing in.
    let audit = b.path().await.replace("/members", "/audit");
    b.click("logout").await;
    b.el("login-form").await;
    b.goto(&audit).await;
    b.el("login-form").await;
    b.fill("input-email", "ada@acme.com").await;
    b.fill("input-password", "correct horse battery").await;
    b.click("login-submit").await;
    b.el("audit-table").await;
    assert_eq!(b.path().await, audit);
    b.close().await;
}

/// With `signup_confirmation` on, the sign-up says where the link went;
/// the emailed link's page creates the organization with one click.
#[actix_web::test]
async fn signing_up_by_mail_confirms_through_the_emailed_link() {
    let Some(b) = launch_with(|s| s.signup_confirmation = api::config::SignupConfirmation::Email).await else {
        return;
    };
    b.goto("/signup").await;
    b.fill("input-organization_name", "Hooli").await;
    b.fill("input-name", "Gavin").await;
    b.fill("input-email", "gavin@hooli.com").await;
    b.fill("input-password", "correct horse battery").await;
    b.click("signup-submit").await;
    b.wait_text("signup-sent", "We sent a link to gavin@hooli.com").await;
    b.look("signup-check-email").await;
    let mut mail = None;
    for _ in 0..100 {
        mail = api::mail::MailDir::new(b.data.join("mail")).messages().pop();
        if mail.is_some() {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mail = mail.expect("a mail");
    let start = mail.find(&format!("{}/signup/confirm/", b.base)).expect("a link");
    let link = mail[start..].split_whitespace().next().expect("link").to_owned();
    b.client.goto(&link).await.expect("open the link");
    b.fill("input-password", "correct horse battery").await;
    b.look("signup-confirm").await;
    b.click("confirm-signup").await;
    b.wait_text("organization-name", "Hooli").await;
    b.wait_text("member-email", "gavin@hooli.com").await;
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
    b.look("invite-accept").await;
    b.fill("input-name", "Peter").await;
    b.fill("input-password", "tps reports forever").await;
    b.click("accept-submit").await;
    b.wait_text("member-home", "Welcome to Initech").await;
    b.look("member-home").await;

    // The link works once.
    b.client.goto(&link).await.expect("reopen invite");
    b.wait_text("invite-error", "already been accepted").await;
    b.close().await;
}

/// In the browser, shared validation asks JavaScript for Unicode lower case
/// and letters/digits (`shared::text`) instead of Rust's tables: Chromium's
/// answers must be Rust's, over the scripts people write names and emails in.
#[actix_web::test]
async fn the_browser_answers_unicode_questions_as_rust_does() {
    let Some(b) = launch().await else { return };
    b.goto("/login").await;
    let ranges = [(0x20, 0x250), (0x370, 0x530), (0x590, 0x700), (0x900, 0x980), (0x3040, 0x3100), (0x4e00, 0x4e40)];
    let extra = ['\u{2160}', '\u{00bd}', '\u{0660}', '\u{ff10}', '\u{20ac}', '\u{1e9e}', '\u{0130}', '\u{03a3}'];
    let chars: Vec<char> = ranges.iter().flat_map(|(a, z)| (*a..*z).filter_map(char::from_u32)).chain(extra).collect();
    let strings: Vec<String> =
        chars.iter().map(char::to_string).chain(["ΣΊΣΥΦΟΣ ΟΔΟΣ".into(), "İSTANBUL".into()]).collect();
    let script = "const [chars, strings, alpha, alnum] = arguments;
        const a = new RegExp(alpha, 'u'), n = new RegExp(alnum, 'u');
        return [chars.map(c => a.test(c)), chars.map(c => n.test(c)), strings.map(s => s.toLowerCase())];";
    let args = vec![
        serde_json::json!(chars.iter().map(char::to_string).collect::<Vec<_>>()),
        serde_json::json!(strings),
        serde_json::json!(shared::text::ALPHABETIC_PATTERN),
        serde_json::json!(shared::text::ALPHANUMERIC_PATTERN),
    ];
    let answer = b.client.execute(script, args).await.expect("run the script");
    let want = serde_json::json!([
        chars.iter().map(|c| c.is_alphabetic()).collect::<Vec<_>>(),
        chars.iter().map(|c| c.is_alphanumeric()).collect::<Vec<_>>(),
        strings.iter().map(|s| s.to_lowercase()).collect::<Vec<_>>(),
    ]);
    for (i, what) in ["alphabetic", "alphanumeric", "lower case"].iter().enumerate() {
        let (got, want) = (answer[i].as_array().expect("array"), want[i].as_array().expect("array"));
        let differ: Vec<String> = (0..want.len())
            .filter(|&k| got.get(k) != Some(&want[k]))
            .map(|k| format!("{:?}: browser {} / Rust {}", strings[k.min(strings.len() - 1)], got[k], want[k]))
            .take(10)
            .collect();
        assert!(differ.is_empty(), "{what} differs: {differ:?}");
    }
    b.close().await;
}
