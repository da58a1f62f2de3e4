use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, spawn_app};

#[actix_web::test]
async fn disable_passwords_on_invites_is_not_retroactive() {
    let app = spawn_app().await;
    let acme = app.signup("Acme", "ada@acme.com").await;
    let invites = format!("/api/v1/organizations/{}/invites", acme.org_id);
    let (_, before) = app.post(&invites, &json!({"email": "before@acme.com"}), Some(&acme.token)).await;
    assert_eq!(before["password_required"], true);

    let settings = format!("/api/v1/organizations/{}/invite-settings", acme.org_id);
    let res = app
        .client
        .put(app.url(&settings))
        .bearer_auth(&acme.token)
        .json(&json!({"disable_passwords_on_invites": true}))
        .send()
        .await
        .unwrap();
    let (status, body) = crate::helpers::read(res).await;
    assert_eq!((status, body["disable_passwords_on_invites"].as_bool()), (StatusCode::OK, Some(true)));
    let (_, state) = app.get(&format!("/api/v1/organizations/{}/provisioning", acme.org_id), Some(&acme.token)).await;
    assert_eq!(state["disable_passwords_on_invites"], true);

    let (_, after) = app.post(&invites, &json!({"email": "after@acme.com"}), Some(&acme.token)).await;
    assert_eq!(after["password_required"], false);

    // The invite page says the member signs in through SSO (not set up yet).
    let (_, preview) = app.get(&format!("/api/v1/invites/{}", after["token"].as_str().unwrap()), None).await;
    assert_eq!((preview["password_required"].as_bool(), preview["sso_active"].as_bool()), (Some(false), Some(false)));
    // It cannot set a password: the account would outlive the organization's SSO.
    let (status, body) = app
        .post("/api/v1/invites/accept", &json!({"token": after["token"], "name": "After", "password": PASSWORD}), None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["code"], "password_not_allowed");
    assert_eq!(app.count("users").await, 1, "nothing half-saved");
    // The new invite is accepted without a password; the account has none.
    let (status, joined) =
        app.post("/api/v1/invites/accept", &json!({"token": after["token"], "name": "After"}), None).await;
    assert_eq!(status, StatusCode::CREATED, "{joined}");
    assert_eq!(app.login("after@acme.com", PASSWORD).await.0, StatusCode::UNAUTHORIZED);
    // The earlier invite still needs one.
    let (status, body) =
        app.post("/api/v1/invites/accept", &json!({"token": before["token"], "name": "Before"}), None).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")));
    let (status, _) = app
        .post(
            "/api/v1/invites/accept",
            &json!({"token": before["token"], "name": "Before", "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[actix_web::test]
async fn audit_log_newest_first_with_cursor_pages_and_no_secrets() {
    let app = spawn_app().await;
    let acme = app.ready_org("Acme", "acme.com").await;
    let (_, inv) = app
        .post(
            &format!("/api/v1/organizations/{}/invites", acme.org_id),
            &json!({"email": "bob@acme.com"}),
            Some(&acme.token),
        )
        .await;
    let path = format!("/api/v1/organizations/{}/audit-events", acme.org_id);

    let (status, first) = app.get(&format!("{path}?limit=2"), Some(&acme.token)).await;
    assert_eq!(status, StatusCode::OK);
    let actions = |page: &Value| {
        page["data"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    assert_eq!(actions(&first), ["invite.sent", "default_plan.changed"]);
    assert_eq!(first["data"][0]["actor"], acme.user_id.as_str());
    assert_eq!(first["data"][0]["actor_email"], "admin@acme.com");
    assert_eq!(first["data"][0]["target"], "bob@acme.com");
    assert!(first["data"][0]["ip"].as_str().unwrap().starts_with("127.0.0.1"));
    let cursor = first["next_cursor"].as_str().unwrap();

    let (_, second) = app.get(&format!("{path}?limit=2&cursor={cursor}"), Some(&acme.token)).await;
    assert_eq!(actions(&second), ["domain.added", "organization.created"]);
    assert_eq!(second["data"][1]["summary"], "Created the organization Acme");
    assert_eq!(second["next_cursor"], Value::Null);

    let (_, all) = app.get(&path, Some(&acme.token)).await;
    let text = all.to_string();
    assert!(!text.contains(inv["token"].as_str().unwrap()), "no invite token in the audit log");
    assert!(!text.contains(PASSWORD));

    assert_eq!(app.get(&format!("{path}?cursor=nonsense"), Some(&acme.token)).await.0, StatusCode::BAD_REQUEST);
    let globex = app.signup("Globex", "hank@globex.com").await;
    assert_eq!(app.get(&path, Some(&globex.token)).await.0, StatusCode::NOT_FOUND);
    let (_, theirs) =
        app.get(&format!("/api/v1/organizations/{}/audit-events", globex.org_id), Some(&globex.token)).await;
    let theirs: Vec<&str> = theirs["data"].as_array().unwrap().iter().map(|e| e["target"].as_str().unwrap()).collect();
    assert_eq!(theirs, ["Globex"], "one organization never sees another's events");
}

/// The log narrowed by action (a code or a prefix), actor (an email or an
/// id) and time, and exported as CSV with the same filters.
#[actix_web::test]
async fn the_log_is_filtered_and_exported_as_csv() {
    let app = spawn_app().await;
    let acme = app.ready_org("Acme", "acme.com").await;
    let path = format!("/api/v1/organizations/{}/audit-events", acme.org_id);
    let start = app.clock_now();
    app.clock.advance(chrono::Duration::minutes(5));
    let (_, inv) = app
        .post(
            &format!("/api/v1/organizations/{}/invites", acme.org_id),
            &json!({"email": "=cmd@acme.com"}),
            Some(&acme.token),
        )
        .await;
    // A valid address that a spreadsheet would read as a formula.
    assert_eq!(inv["email"], "=cmd@acme.com");
    app.post(
        &format!("/api/v1/organizations/{}/invites", acme.org_id),
        &json!({"email": "bob@acme.com"}),
        Some(&acme.token),
    )
    .await;
    let actions = |page: &Value| {
        page["data"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    let (_, domains) = app.get(&format!("{path}?action=domain."), Some(&acme.token)).await;
    assert_eq!(actions(&domains), ["domain.added"]);
    assert_eq!(domains["data"][0]["summary"], "Added the domain acme.com");
    let (_, exact) = app.get(&format!("{path}?action=invite.sent"), Some(&acme.token)).await;
    assert_eq!(actions(&exact), ["invite.sent", "invite.sent"]);
    let (_, by_email) = app.get(&format!("{path}?actor=admin@acme.com"), Some(&acme.token)).await;
    assert!(actions(&by_email).len() >= 3, "{by_email}");
    let (_, by_nobody) = app.get(&format!("{path}?actor=nobody@acme.com"), Some(&acme.token)).await;
    assert_eq!(actions(&by_nobody), Vec::<String>::new());
    let since = (start + chrono::Duration::minutes(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (_, recent) = app.get(&format!("{path}?since={since}"), Some(&acme.token)).await;
    assert_eq!(actions(&recent), ["invite.sent", "invite.sent"]);
    let (_, before) = app.get(&format!("{path}?until={since}"), Some(&acme.token)).await;
    assert!(!actions(&before).contains(&"invite.sent".to_owned()));
    for bad in [
        "action=DROP%20TABLE",
        "since=yesterday",
        "format=xml",
        "since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z",
    ] {
        let (status, body) = app.get(&format!("{path}?{bad}"), Some(&acme.token)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }

    let res = app
        .client
        .get(app.url(&format!("{path}?format=csv&action=invite.")))
        .bearer_auth(&acme.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "occurred_at,actor,actor_email,action,summary,target,ip,user_agent,request_id,event_id");
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].contains(",invite.sent,Invited bob@acme.com,bob@acme.com,"), "{csv}");
    // Never a formula in a spreadsheet.
    assert!(lines[2].contains(",'=cmd@acme.com,"), "{csv}");
    // Another organization's Administrator gets nothing.
    let globex = app.signup("Globex", "hank@globex.com").await;
    assert_eq!(app.get(&format!("{path}?format=csv"), Some(&globex.token)).await.0, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn sign_ins_are_audited_in_the_accounts_organizations() {
    let app = spawn_app().await;
    let acme = app.signup("Acme", "ada@acme.com").await;
    assert_eq!(app.login("ada@acme.com", "wrong password!").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.login("ada@acme.com", PASSWORD).await.0, StatusCode::OK);
    assert_eq!(app.login("nobody@acme.com", PASSWORD).await.0, StatusCode::UNAUTHORIZED);
    let (_, page) = app.get(&format!("/api/v1/organizations/{}/audit-events", acme.org_id), Some(&acme.token)).await;
    let got: Vec<(&str, &str)> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["target"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [("login.succeeded", "ada@acme.com"), ("login.failed", "ada@acme.com"), ("organization.created", "Acme")]
    );
    assert!(!page.to_string().contains(PASSWORD) && !page.to_string().contains("wrong password"));
}
