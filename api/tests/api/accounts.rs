use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, fields, read, spawn_app};

#[actix_web::test]
async fn signup_creates_organization_admin_and_session_cookie() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"organization_name": "  Acme  ", "name": "Ada", "email": "Ada@Acme.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    let (status, body) = read(res).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["organization"]["name"], "Acme");
    assert!(body["organization"]["id"].as_str().unwrap().starts_with("org_"));
    assert!(body["user"]["id"].as_str().unwrap().starts_with("usr_"));
    assert_eq!(body["user"]["email"], "ada@acme.com");
    assert!(cookie.starts_with("gatehouse_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");

    let token = body["access_token"].as_str().unwrap();
    let (status, me) = app.get("/api/v1/me", Some(token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["memberships"][0]["organization_name"], "Acme");
    assert_eq!(me["memberships"][0]["role"], "admin");
    assert_eq!((app.count("organizations").await, app.count("users").await, app.count("memberships").await), (1, 1, 1));

    // The stored password is an argon2id hash, never the password.
    let hash: String = {
        use sea_orm::EntityTrait;
        api::accounts::entity::user::Entity::find().one(&app.state.db).await.unwrap().unwrap().password_hash.unwrap()
    };
    assert!(hash.starts_with("$argon2id$") && !hash.contains(PASSWORD));
}

#[actix_web::test]
async fn cookie_alone_authenticates_the_spa() {
    let app = spawn_app().await;
    let s = app.signup("Acme", "ada@acme.com").await;
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .header("cookie", format!("gatehouse_session={}", s.token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[actix_web::test]
async fn invalid_signup_lists_every_field_and_creates_nothing() {
    let app = spawn_app().await;
    let (status, body) = app
        .post(
            "/api/v1/auth/signup",
            &json!({"organization_name": "", "name": "Ada", "email": "not-an-email", "password": "short"}),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fields(&body),
        [
            ("organization_name".to_owned(), "required".to_owned()),
            ("email".to_owned(), "invalid_email".to_owned()),
            ("password".to_owned(), "too_short".to_owned()),
        ]
    );
    assert!(body["errors"][2]["message"].as_str().unwrap().contains("10 characters"));
    assert_eq!((app.count("organizations").await, app.count("users").await), (0, 0));
}

#[actix_web::test]
async fn duplicate_email_is_409_and_creates_nothing() {
    let app = spawn_app().await;
    app.signup("Acme", "ada@acme.com").await;
    let (status, body) = app
        .post(
            "/api/v1/auth/signup",
            &json!({"organization_name": "Other", "name": "Eve", "email": "ADA@acme.com", "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "email_taken");
    assert_eq!((app.count("organizations").await, app.count("users").await), (1, 1));
}

#[actix_web::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    app.signup("Acme", "ada@acme.com").await;
    let (s1, b1) = app.login("ada@acme.com", "wrong password!").await;
    let (s2, b2) = app.login("nobody@acme.com", "wrong password!").await;
    assert_eq!(s1, StatusCode::UNAUTHORIZED);
    assert_eq!((s1, b1), (s2, b2));

    let (status, body) = app.login("ADA@acme.com", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 12 * 3600);
    assert_eq!(body["user"]["email"], "ada@acme.com");
}

#[actix_web::test]
async fn more_than_ten_failures_a_minute_is_429_with_retry_after() {
    let app = spawn_app().await;
    app.signup("Acme", "ada@acme.com").await;
    for i in 0..10 {
        let (status, _) = app.login("ada@acme.com", "wrong password!").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "ada@acme.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let retry: u64 = res.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    let (status, body) = read(res).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    assert_eq!(body["code"], "rate_limited");
    assert!((1..=60).contains(&retry), "{retry}");
    // Other accounts are not affected.
    assert_eq!(app.login("eve@acme.com", "wrong password!").await.0, StatusCode::UNAUTHORIZED);

    app.clock.advance(Duration::seconds(61));
    assert_eq!(app.login("ada@acme.com", PASSWORD).await.0, StatusCode::OK);
}

#[actix_web::test]
async fn tampered_expired_and_unsigned_tokens_are_401() {
    let app = spawn_app().await;
    let s = app.signup("Acme", "ada@acme.com").await;
    let parts: Vec<&str> = s.token.split('.').collect();

    let mut claims: serde_json::Value = serde_json::from_slice(&B64URL.decode(parts[1]).unwrap()).unwrap();
    claims["sub"] = json!("usr_0193b3a2c5d07c3e9a8b1c2d3e4f5a6b");
    let tampered = format!("{}.{}.{}", parts[0], B64URL.encode(claims.to_string()), parts[2]);
    let mut header: serde_json::Value = serde_json::from_slice(&B64URL.decode(parts[0]).unwrap()).unwrap();
    header["alg"] = json!("none");
    let unsigned = format!("{}.{}.", B64URL.encode(header.to_string()), parts[1]);

    for (what, token) in [("tampered", tampered.as_str()), ("alg none", unsigned.as_str()), ("garbage", "abc")] {
        let (status, body) = app.get("/api/v1/me", Some(token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(body["code"], "invalid_token", "{what}");
    }
    let (status, body) = app.get("/api/v1/me", None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("missing_token")));

    assert_eq!(app.get("/api/v1/me", Some(&s.token)).await.0, StatusCode::OK);
    app.clock.advance(Duration::hours(12));
    let (status, body) = app.get("/api/v1/me", Some(&s.token)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("token_expired")));
}

#[actix_web::test]
async fn logout_ends_the_session_server_side() {
    let app = spawn_app().await;
    let s = app.signup("Acme", "ada@acme.com").await;
    let res = app.client.post(app.url("/api/v1/auth/logout")).bearer_auth(&s.token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(cookie.starts_with("gatehouse_session=;") && cookie.contains("Max-Age=0"), "{cookie}");
    assert_eq!(app.get("/api/v1/me", Some(&s.token)).await.0, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn another_organization_is_404_never_403() {
    let app = spawn_app().await;
    let acme = app.signup("Acme", "ada@acme.com").await;
    let globex = app.signup("Globex", "hank@globex.com").await;
    let (status, body) = app.get(&format!("/api/v1/organizations/{}/members", acme.org_id), Some(&globex.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.to_string().contains("Acme"));
    assert_eq!(app.get("/api/v1/organizations/org_nope/members", Some(&acme.token)).await.0, StatusCode::NOT_FOUND);

    let (status, members) = app.get(&format!("/api/v1/organizations/{}/members", acme.org_id), Some(&acme.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(members["data"].as_array().unwrap().len(), 1);
    assert_eq!(members["data"][0]["email"], "ada@acme.com");
    assert_eq!(members["data"][0]["role"], "admin");
    assert_eq!(members["data"][0]["user_id"], acme.user_id.as_str());
}

#[actix_web::test]
async fn malformed_json_is_400_problem() {
    let app = spawn_app().await;
    for (body, ct) in [("{\"email\": ", "application/json"), ("[1,2]", "application/json"), ("{}", "text/plain")] {
        let res =
            app.client.post(app.url("/api/v1/auth/login")).header("content-type", ct).body(body).send().await.unwrap();
        let (status, problem) = read(res).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {problem}");
        assert!(problem["detail"].is_string());
    }
}

#[actix_web::test]
async fn rotated_keys_verify_by_kid_and_unknown_keys_do_not() {
    use api::auth::SigningKeys;
    use api::auth::tokens::{ACCESS_TYP, AccessClaims, sign};
    let (old, new, stranger) = ([1u8; 32], [2u8; 32], [3u8; 32]);
    let b64 = |k: &[u8]| base64::engine::general_purpose::STANDARD.encode(k);
    let app = crate::helpers::spawn_app_with(crate::helpers::Options {
        signing_key: Some(b64(&new)),
        previous_signing_keys: vec![b64(&old)],
        ..Default::default()
    })
    .await;
    let s = app.signup("Acme", "ada@acme.com").await;
    let claims: AccessClaims =
        serde_json::from_slice(&B64URL.decode(s.token.split('.').nth(1).unwrap()).unwrap()).unwrap();
    let by_old = sign(&SigningKeys::new(&old, &[]).unwrap(), ACCESS_TYP, &claims).unwrap();
    let by_stranger = sign(&SigningKeys::new(&stranger, &[]).unwrap(), ACCESS_TYP, &claims).unwrap();
    assert_eq!(app.get("/api/v1/me", Some(&by_old)).await.0, StatusCode::OK, "a token from before the rotation");
    assert_eq!(app.get("/api/v1/me", Some(&by_stranger)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/me", Some(&s.token)).await.0, StatusCode::OK);
}
