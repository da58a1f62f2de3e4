use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::helpers::{PASSWORD, spawn_app};

#[actix_web::test]
async fn invite_is_created_hashed_expires_in_7_days_and_accepted_once() {
    let app = spawn_app().await;
    let acme = app.signup("Acme", "ada@acme.com").await;
    let path = format!("/api/v1/organizations/{}/invites", acme.org_id);
    let (status, inv) = app.post(&path, &json!({"email": "Bob@Acme.com", "role": "admin"}), Some(&acme.token)).await;
    assert_eq!(status, StatusCode::CREATED, "{inv}");
    assert_eq!((inv["email"].as_str(), inv["role"].as_str()), (Some("bob@acme.com"), Some("admin")));
    assert_eq!(inv["password_required"], true);
    let expires: DateTime<Utc> = inv["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires, app.clock_now() + Duration::days(7));
    let token = inv["token"].as_str().unwrap().to_owned();
    assert_eq!(inv["accept_url"].as_str().unwrap(), format!("{}/invite/{token}", app.base));

    // Only the hash is stored.
    let row = api::accounts::entity::invite::Entity::find().one(&app.state.db).await.unwrap().unwrap();
    assert_eq!(row.token_hash, hex::encode(Sha256::digest(token.as_bytes())));
    assert_ne!(row.token_hash, token);

    let (status, preview) = app.get(&format!("/api/v1/invites/{token}"), None).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["organization_name"], "Acme");
    assert_eq!(preview["email"], "bob@acme.com");
    assert_eq!(
        (preview["password_required"].as_bool(), preview["existing_account"].as_bool()),
        (Some(true), Some(false))
    );

    // A password is required for this invite.
    let (status, body) = app.post("/api/v1/invites/accept", &json!({"token": token, "name": "Bob"}), None).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")));
    assert_eq!(app.count("users").await, 1);

    let (status, joined) =
        app.post("/api/v1/invites/accept", &json!({"token": token, "name": "Bob", "password": PASSWORD}), None).await;
    assert_eq!(status, StatusCode::CREATED, "{joined}");
    assert_eq!(joined["organization"]["id"], acme.org_id.as_str());
    assert_eq!(joined["role"], "admin");
    let bob_token = joined["access_token"].as_str().unwrap();
    // Bob is an Administrator now: he can list members.
    let (status, members) = app.get(&format!("/api/v1/organizations/{}/members", acme.org_id), Some(bob_token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(members["data"].as_array().unwrap().len(), 2);
    assert_eq!(app.login("bob@acme.com", PASSWORD).await.0, StatusCode::OK);

    let (status, body) =
        app.post("/api/v1/invites/accept", &json!({"token": token, "name": "Bob", "password": PASSWORD}), None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::GONE, Some("invite_used")));

    let (status, _) = app.post("/api/v1/invites/accept", &json!({"token": "made-up", "name": "X"}), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("/api/v1/invites/{token}"), None).await.0, StatusCode::GONE);
    assert_eq!(app.get("/api/v1/invites/made-up", None).await.0, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn expired_invite_is_410_and_creates_nothing() {
    let app = spawn_app().await;
    let acme = app.signup("Acme", "ada@acme.com").await;
    let path = format!("/api/v1/organizations/{}/invites", acme.org_id);
    let (_, inv) = app.post(&path, &json!({"email": "bob@acme.com"}), Some(&acme.token)).await;
    assert_eq!(inv["role"], "member");
    app.clock.advance(Duration::days(7));
    let (status, body) = app
        .post("/api/v1/invites/accept", &json!({"token": inv["token"], "name": "Bob", "password": PASSWORD}), None)
        .await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::GONE, Some("invite_expired")));
    assert_eq!(app.count("users").await, 1);
}

#[actix_web::test]
async fn an_existing_account_joins_only_with_its_own_password() {
    let app = spawn_app().await;
    let acme = app.signup("Acme", "ada@acme.com").await;
    app.signup("Globex", "hank@globex.com").await;
    let path = format!("/api/v1/organizations/{}/invites", acme.org_id);
    let (_, inv) = app.post(&path, &json!({"email": "hank@globex.com"}), Some(&acme.token)).await;

    // Holding the token is not enough to become Hank.
    let (status, _) = app
        .post(
            "/api/v1/invites/accept",
            &json!({"token": inv["token"], "name": "x", "password": "not hanks password"}),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("memberships").await, 2);

    let (status, joined) = app
        .post("/api/v1/invites/accept", &json!({"token": inv["token"], "name": "Hank", "password": PASSWORD}), None)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{joined}");
    assert_eq!(joined["role"], "member");
    assert_eq!(app.count("memberships").await, 3);
    assert_eq!(app.count("users").await, 2);

    // Members are not Administrators: the admin API is 404 for them.
    let hank = joined["access_token"].as_str().unwrap();
    assert_eq!(app.post(&path, &json!({"email": "x@acme.com"}), Some(hank)).await.0, StatusCode::NOT_FOUND);
    // Inviting an existing member is a conflict.
    let (status, body) = app.post(&path, &json!({"email": "hank@globex.com"}), Some(&acme.token)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("already_member")));
}

#[actix_web::test]
async fn invite_validation_and_authorization() {
    let app = spawn_app().await;
    let acme = app.signup("Acme", "ada@acme.com").await;
    let path = format!("/api/v1/organizations/{}/invites", acme.org_id);
    let (status, body) = app.post(&path, &json!({"email": "nope"}), Some(&acme.token)).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("email")));
    let (status, _) = app.post(&path, &json!({"email": "bob@acme.com", "role": "owner"}), Some(&acme.token)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(app.post(&path, &json!({"email": "bob@acme.com"}), None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("invites").await, 0);
}
