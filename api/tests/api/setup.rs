use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, buy, captured_logs, link, spawn_app, toggle, token_of};

async fn open(app: &TestApp, token: &str) -> (StatusCode, Value) {
    app.get(&format!("/api/v1/setup/{token}"), None).await
}

#[actix_web::test]
async fn links_only_for_purchased_enabled_features() {
    let app = spawn_app().await;
    let s = app.ready_org("Acme", "acme.com").await;
    let (status, body) = link(&app, &s, "sso").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("feature_not_purchased")));
    buy(&app, &s, "sso").await;
    assert_eq!(link(&app, &s, "scim").await.1["code"], "feature_not_purchased");
    assert_eq!(link(&app, &s, "sso").await.0, StatusCode::CREATED);
    assert_eq!(toggle(&app, &s, "sso", false).await.0, StatusCode::OK);
    assert_eq!(link(&app, &s, "sso").await.1["code"], "feature_inactive");
    assert_eq!(link(&app, &s, "telepathy").await.0, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn a_link_works_for_24_hours_to_the_second() {
    let app = spawn_app().await;
    let s = app.ready_org("Acme", "acme.com").await;
    buy(&app, &s, "both").await;
    let issued = app.clock_now();
    let (status, l) = link(&app, &s, "scim").await;
    assert_eq!(status, StatusCode::CREATED, "{l}");
    assert!(l["id"].as_str().unwrap().starts_with("lnk_"));
    assert!(l["url"].as_str().unwrap().starts_with(&format!("{}/setup/", app.base)));
    let expires: DateTime<Utc> = l["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires, issued + Duration::hours(24));

    let token = token_of(&l);
    let (status, info) = open(&app, &token).await;
    assert_eq!(status, StatusCode::OK, "{info}");
    assert_eq!(
        (info["kind"].as_str(), info["organization_name"].as_str(), info["status"].as_str()),
        (Some("scim"), Some("Acme"), Some("awaiting"))
    );
    // A short opaque token, stored only as its hash.
    assert!(token.starts_with("gh_setup_") && token.len() == 52, "{token}");
    assert!(l["url"].as_str().unwrap().len() < 120, "short enough to read out and paste");
    let stored = app.count_where("setup_links", &format!("token_hash = '{}'", sha256_hex(&token))).await;
    assert_eq!(stored, 1);
    assert_eq!(app.count_where("setup_links", &format!("token_hash = '{token}'")).await, 0);

    app.clock.advance(Duration::hours(24) - Duration::seconds(1));
    assert_eq!(open(&app, &token).await.0, StatusCode::OK, "usable until it expires");
    app.clock.advance(Duration::seconds(1));
    let (status, body) = open(&app, &token).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::GONE, Some("setup_link_expired")));
    assert!(!captured_logs().contains(&token), "tokens never reach the logs");
}

#[actix_web::test]
async fn a_new_link_or_turning_the_feature_off_revokes_the_old_one() {
    let app = spawn_app().await;
    let s = app.ready_org("Acme", "acme.com").await;
    buy(&app, &s, "both").await;
    let first = token_of(&link(&app, &s, "sso").await.1);
    let scim = token_of(&link(&app, &s, "scim").await.1);
    let second = token_of(&link(&app, &s, "sso").await.1);
    let (status, body) = open(&app, &first).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::GONE, Some("setup_link_revoked")));
    assert!(body["detail"].as_str().unwrap().contains("replaced by a newer one"), "{body}");
    assert_eq!(open(&app, &second).await.0, StatusCode::OK);
    assert_eq!(open(&app, &scim).await.0, StatusCode::OK, "other kinds are untouched");

    // SSO off: its links and the SCIM links stop working.
    assert_eq!(toggle(&app, &s, "sso", false).await.0, StatusCode::OK);
    assert_eq!(open(&app, &second).await.0, StatusCode::GONE);
    let (status, body) = open(&app, &scim).await;
    assert_eq!(status, StatusCode::GONE);
    // The IT admin is told why, not that the link was "replaced".
    assert!(body["detail"].as_str().unwrap().contains("was turned off"), "{body}");

    use sea_orm::EntityTrait;
    let generated = api::audit::entity::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "setup_link.generated")
        .inspect(|e| assert!(!e.details.contains(&first) && !e.details.contains(&second)))
        .count();
    assert_eq!(generated, 3);
}

#[actix_web::test]
async fn unknown_and_malformed_tokens_are_401() {
    let app = spawn_app().await;
    let s = app.ready_org("Acme", "acme.com").await;
    buy(&app, &s, "sso").await;
    let token = token_of(&link(&app, &s, "sso").await.1);
    let mut flipped = token.clone().into_bytes();
    let last = flipped.len() - 1;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    let long = format!("{token}{}", "A".repeat(5000));
    for (what, t) in [
        ("one character changed", flipped.as_str()),
        ("the token without its prefix", token.trim_start_matches("gh_setup_")),
        ("a member's access token", s.token.as_str()),
        ("too long", long.as_str()),
        ("garbage", "not-a-token"),
    ] {
        let (status, body) = open(&app, t).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_setup_link")), "{what}");
    }
    // And a setup link is no access token.
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.0, StatusCode::UNAUTHORIZED);
    // Where a SCIM link is required, an SSO link is refused (the SCIM and SSO
    // setup endpoints resolve their token this way).
    use api::setup::service::resolve;
    use shared::setup::SetupKind;
    assert!(resolve(&app.state, &token, Some(SetupKind::Sso)).await.is_ok());
    let err = resolve(&app.state, &token, Some(SetupKind::Scim)).await.unwrap_err();
    assert_eq!(err.problem().status, 401);
}

fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

/// The Provision tab's list: the latest link of each kind, whether the IT
/// admin opened it and finished; revoking one stops it at once.
#[actix_web::test]
async fn links_are_listed_with_their_progress_and_revoked() {
    let app = spawn_app().await;
    let s = app.ready_org("Acme", "acme.com").await;
    buy(&app, &s, "both").await;
    let links = format!("/api/v1/organizations/{}/setup-links", s.org_id);
    let (_, empty) = app.get(&links, Some(&s.token)).await;
    assert_eq!(empty["data"], json!([]));
    let sso = link(&app, &s, "sso").await.1;
    let scim = link(&app, &s, "scim").await.1;
    let status = |list: &Value, kind: &str| {
        list["data"].as_array().unwrap().iter().find(|l| l["kind"] == kind).unwrap()["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (_, list) = app.get(&links, Some(&s.token)).await;
    assert_eq!((status(&list, "sso"), status(&list, "scim")), ("sent".into(), "sent".into()));
    assert!(list["data"][0].get("url").is_none(), "the URL is shown once, at generation");

    // The IT admin opens the SCIM link and generates the directory's credentials: finished.
    let scim_token = token_of(&scim);
    assert_eq!(open(&app, &scim_token).await.0, StatusCode::OK);
    let (_, list) = app.get(&links, Some(&s.token)).await;
    assert_eq!(status(&list, "scim"), "opened");
    let creds = format!("/api/v1/setup/{scim_token}/scim-credentials");
    assert_eq!(app.post(&creds, &json!({}), None).await.0, StatusCode::CREATED);
    let (_, list) = app.get(&links, Some(&s.token)).await;
    assert_eq!(status(&list, "scim"), "completed");

    // Revoked by the Administrator: it stops working and says so.
    let sso_id = sso["id"].as_str().unwrap();
    let (status_code, _) = app.send(Method::DELETE, &format!("{links}/{sso_id}"), None, Some(&s.token)).await;
    assert_eq!(status_code, StatusCode::NO_CONTENT);
    let (code, body) = open(&app, &token_of(&sso)).await;
    assert_eq!(code, StatusCode::GONE);
    assert!(body["detail"].as_str().unwrap().contains("revoked"), "{body}");
    let (_, list) = app.get(&links, Some(&s.token)).await;
    assert_eq!(status(&list, "sso"), "revoked");
    assert_eq!(
        app.send(Method::DELETE, &format!("{links}/{sso_id}"), None, Some(&s.token)).await.0,
        StatusCode::NOT_FOUND
    );
    assert!(app.audit_actions(&s).await.iter().any(|a| a == "setup_link.revoked"));
    // Another organization's Administrator cannot see or revoke them.
    let other = app.ready_org("Globex", "globex.com").await;
    let theirs = format!("/api/v1/organizations/{}/setup-links", other.org_id);
    let scim_id = scim["id"].as_str().unwrap();
    assert_eq!(
        app.send(Method::DELETE, &format!("{theirs}/{scim_id}"), None, Some(&other.token)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get(&links, Some(&other.token)).await.0, StatusCode::NOT_FOUND);
}

/// The setup links a departing Administrator generated stop with them: no
/// way left to point the organization's SSO or directory elsewhere.
#[actix_web::test]
async fn a_removed_administrators_setup_links_stop() {
    let app = spawn_app().await;
    let s = app.ready_org("Acme", "acme.com").await;
    buy(&app, &s, "sso").await;
    let (status, joined) = app.invite_and_accept(&s, "bob@acme.com").await;
    assert_eq!(status, StatusCode::CREATED, "{joined}");
    let bob_token = joined["access_token"].as_str().unwrap().to_owned();
    let (_, me) = app.get("/api/v1/me", Some(&bob_token)).await;
    let bob_id = me["user"]["id"].as_str().unwrap().to_owned();
    let member = format!("/api/v1/organizations/{}/members/{bob_id}", s.org_id);
    let (status, _) = app.send(Method::PATCH, &member, Some(&json!({"role": "admin"})), Some(&s.token)).await;
    assert_eq!(status, StatusCode::OK);
    let bob = crate::helpers::Signed { org_id: s.org_id.clone(), user_id: bob_id.clone(), token: bob_token };
    let bobs = token_of(&link(&app, &bob, "sso").await.1);
    assert_eq!(open(&app, &bobs).await.0, StatusCode::OK);
    assert_eq!(app.send(Method::DELETE, &member, None, Some(&s.token)).await.0, StatusCode::NO_CONTENT);
    let (status, body) = open(&app, &bobs).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::GONE, Some("setup_link_revoked")), "{body}");
}
