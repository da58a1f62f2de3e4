use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::{DateTime, Duration, Utc};
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
    // The header names the algorithm, key and type.
    let header: Value = serde_json::from_slice(&B64URL.decode(token.split('.').next().unwrap()).unwrap()).unwrap();
    assert_eq!((header["alg"].as_str(), header["typ"].as_str()), (Some("HS256"), Some("setup-link+jwt")));
    assert!(header["kid"].is_string());

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
    assert_eq!(open(&app, &second).await.0, StatusCode::OK);
    assert_eq!(open(&app, &scim).await.0, StatusCode::OK, "other kinds are untouched");

    // SSO off: its links and the SCIM links stop working.
    assert_eq!(toggle(&app, &s, "sso", false).await.0, StatusCode::OK);
    assert_eq!(open(&app, &second).await.0, StatusCode::GONE);
    assert_eq!(open(&app, &scim).await.0, StatusCode::GONE);

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
async fn forged_foreign_and_unsigned_tokens_are_401() {
    let app = spawn_app().await;
    let s = app.ready_org("Acme", "acme.com").await;
    buy(&app, &s, "sso").await;
    let token = token_of(&link(&app, &s, "sso").await.1);
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value = serde_json::from_slice(&B64URL.decode(parts[1]).unwrap()).unwrap();
    let mut header: Value = serde_json::from_slice(&B64URL.decode(parts[0]).unwrap()).unwrap();

    claims["kind"] = json!("scim");
    let tampered = format!("{}.{}.{}", parts[0], B64URL.encode(claims.to_string()), parts[2]);
    header["alg"] = json!("none");
    let unsigned = format!("{}.{}.", B64URL.encode(header.to_string()), parts[1]);
    header["alg"] = json!("HS256");
    header["kid"] = json!("0000000000000000");
    let unknown_kid = format!("{}.{}.{}", B64URL.encode(header.to_string()), parts[1], parts[2]);

    for (what, t) in [
        ("tampered", tampered.as_str()),
        ("alg none", unsigned.as_str()),
        ("unknown kid", unknown_kid.as_str()),
        ("a member's access token", s.token.as_str()),
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
