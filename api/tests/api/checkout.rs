use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Signed, TestApp, captured_logs, card, fields, spawn_app, toggle};

const GOOD: &str = "4242 4242 4242 4242";

async fn quote(app: &TestApp, s: &crate::helpers::Signed, features: &str) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/organizations/{}/checkout", s.org_id), &json!({ "features": features }), Some(&s.token))
        .await
}

#[actix_web::test]
async fn checkout_needs_a_domain_and_a_default_plan() {
    let app = spawn_app().await;
    let s = app.signup("Acme", "ada@acme.com").await;
    let (status, body) = quote(&app, &s, "sso").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fields(&body),
        [
            ("domains".to_owned(), "domain_required".to_owned()),
            ("default_plan_id".to_owned(), "plan_required".to_owned())
        ]
    );
    assert_eq!(app.count("checkouts").await, 0);
    let (status, _) = quote(&app, &s, "everything").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn quote_pay_and_the_features_turn_on_awaiting() {
    let app = spawn_app().await;
    let s = app.ready_org("Acme", "acme.com").await;
    let (status, q) = quote(&app, &s, "both").await;
    assert_eq!(status, StatusCode::CREATED, "{q}");
    assert!(q["id"].as_str().unwrap().starts_with("chk_"));
    assert_eq!((q["total"].as_i64(), q["currency"].as_str()), (Some(200_000), Some("usd")));
    assert_eq!(q["line_items"][0]["amount"], 200_000);
    let id = q["id"].as_str().unwrap();

    let (status, body) = app.confirm(&s, id, None, &card(GOOD)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("idempotency_key_required")));

    let (status, paid) = app.confirm(&s, id, Some("key-1"), &card(GOOD)).await;
    assert_eq!(status, StatusCode::CREATED, "{paid}");
    let p = &paid["purchase"];
    assert!(p["id"].as_str().unwrap().starts_with("pur_"));
    assert_eq!((p["features"].as_str(), p["amount"].as_i64()), (Some("both"), Some(200_000)));
    assert_eq!(p["card"], json!({"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2031}));

    let (_, state) = app.get(&format!("/api/v1/organizations/{}/provisioning", s.org_id), Some(&s.token)).await;
    assert_eq!(state["features"], json!({"sso": true, "directory_sync": true}));
    assert_eq!(
        (state["sso"]["status"].as_str(), state["directory_sync"]["status"].as_str()),
        (Some("awaiting"), Some("awaiting"))
    );
    assert_eq!(state["domains"][0]["domain"], "acme.com");
    assert_eq!(state["default_plan_id"], "plan_core");

    // The same key and body: the same answer, no second charge.
    let (status, again) = app.confirm(&s, id, Some("key-1"), &card(GOOD)).await;
    assert_eq!((status, &again), (StatusCode::CREATED, &paid));
    // The same key, another body: refused.
    let (status, body) = app.confirm(&s, id, Some("key-1"), &card("5555 5555 5555 4444")).await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("idempotency_key_reused"))
    );
    // Another key for a paid quote: conflict.
    let (status, body) = app.confirm(&s, id, Some("key-2"), &card(GOOD)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("checkout_already_confirmed")));
    assert_eq!((app.count("purchases").await, app.sandbox_charges()), (1, 1));

    // The audit log has the purchase, without the card number.
    let db = &app.state.db;
    use sea_orm::EntityTrait;
    let events: Vec<_> = api::audit::entity::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "checkout.confirmed")
        .collect();
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].action.as_str(), events[0].actor.as_str()), ("checkout.confirmed", s.user_id.as_str()));
    assert_eq!(events[0].target, p["id"].as_str().unwrap());
    assert!(events[0].ip.is_some() && events[0].request_id.is_some());

    // Everything is owned now.
    let (status, body) = quote(&app, &s, "directory_sync").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("already_purchased")));
}

#[actix_web::test]
async fn directory_sync_after_sso_charges_only_directory_sync() {
    let app = spawn_app().await;
    let s = app.ready_org("Acme", "acme.com").await;
    let (_, q) = quote(&app, &s, "sso").await;
    assert_eq!(q["total"], 120_000);
    assert_eq!(app.confirm(&s, q["id"].as_str().unwrap(), Some("a"), &card(GOOD)).await.0, StatusCode::CREATED);
    let (status, body) = quote(&app, &s, "both").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("already_purchased")));
    assert!(body["detail"].as_str().unwrap().contains("Single Sign-On"));
    let (status, q) = quote(&app, &s, "directory_sync").await;
    assert_eq!((status, q["total"].as_i64()), (StatusCode::CREATED, Some(120_000)));
    let (status, paid) = app.confirm(&s, q["id"].as_str().unwrap(), Some("b"), &card(GOOD)).await;
    assert_eq!((status, paid["purchase"]["amount"].as_i64()), (StatusCode::CREATED, Some(120_000)));
}

#[actix_web::test]
async fn declines_are_402_with_their_code_and_the_checkout_can_be_retried() {
    let app = spawn_app().await;
    let s = app.ready_org("Acme", "acme.com").await;
    let (_, q) = quote(&app, &s, "sso").await;
    let id = q["id"].as_str().unwrap();
    for (number, code, key) in
        [("4000 0000 0000 0002", "card_declined", "k1"), ("4000000000009995", "insufficient_funds", "k2")]
    {
        let (status, body) = app.confirm(&s, id, Some(key), &card(number)).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::PAYMENT_REQUIRED, Some(code)), "{body}");
        // The decline is the key's answer from now on.
        assert_eq!(app.confirm(&s, id, Some(key), &card(number)).await.0, StatusCode::PAYMENT_REQUIRED);
    }
    assert_eq!((app.count("purchases").await, app.count("organization_features").await), (0, 0));
    let (_, state) = app.get(&format!("/api/v1/organizations/{}/provisioning", s.org_id), Some(&s.token)).await;
    assert_eq!(state["sso"]["status"], "not_purchased");

    let (status, _) = app.confirm(&s, id, Some("k3"), &card(GOOD)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(app.count("purchases").await, 1);
    // Each decline is in the audit log with what was tried.
    let (_, events) = app.get(&format!("/api/v1/organizations/{}/audit-events", s.org_id), Some(&s.token)).await;
    let declined: Vec<&Value> =
        events["data"].as_array().unwrap().iter().filter(|e| e["action"] == "checkout.declined").collect();
    assert_eq!(declined.len(), 2, "{events}");
    assert_eq!(declined[0]["details"]["card"], json!({"brand": "visa", "last4": "9995"}));
    assert_eq!(declined[0]["details"]["decline_code"], "insufficient_funds");
    assert_eq!(declined[0]["details"]["amount"], q["total"]);
}

/// Mistyped numbers that pass the Luhn check (12 and 15 digits of a Visa)
/// were charged once; now they are refused before any charge, per brand.
#[actix_web::test]
async fn card_numbers_of_the_wrong_length_for_their_brand_are_never_charged() {
    let app = spawn_app().await;
    let s = app.ready_org("Acme", "acme.com").await;
    let (_, q) = quote(&app, &s, "sso").await;
    let id = q["id"].as_str().unwrap();
    for (i, number) in
        ["4242 4242 4242", "4242 4242 4242 424", "3782 822463 1000", "3530 1113 3330 0000"].iter().enumerate()
    {
        let (status, body) = app.confirm(&s, id, Some(&format!("k{i}")), &card(number)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{number}: {body}");
        assert_eq!(fields(&body)[0], ("payment.card_number".to_owned(), "invalid_card_number".to_owned()));
    }
    assert_eq!((app.sandbox_charges(), app.count("purchases").await), (0, 0));
}

/// The checkout page's price list, and the Billing tab's receipts.
#[actix_web::test]
async fn prices_before_choosing_and_purchases_with_their_receipts() {
    let app = spawn_app().await;
    let s = app.ready_org("Acme", "acme.com").await;
    let (status, prices) = app.get("/api/v1/prices", Some(&s.token)).await;
    assert_eq!(status, StatusCode::OK, "{prices}");
    assert_eq!(
        prices,
        json!({"currency": "usd", "period": "year", "sso": 120000, "directory_sync": 120000, "both": 200000, "test_mode": true})
    );
    assert_eq!(app.get("/api/v1/prices", None).await.0, StatusCode::UNAUTHORIZED);

    let purchases = format!("/api/v1/organizations/{}/purchases", s.org_id);
    let (_, empty) = app.get(&purchases, Some(&s.token)).await;
    assert_eq!(empty, json!({"data": [], "next_cursor": null}));
    let (_, q1) = quote(&app, &s, "sso").await;
    let (_, paid) = app.confirm(&s, q1["id"].as_str().unwrap(), Some("a"), &card(GOOD)).await;
    app.clock.advance(Duration::minutes(1));
    let (_, q2) = quote(&app, &s, "directory_sync").await;
    app.confirm(&s, q2["id"].as_str().unwrap(), Some("b"), &card("5555 5555 5555 4444")).await;

    let (status, page) = app.get(&format!("{purchases}?limit=1"), Some(&s.token)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let newest = &page["data"][0];
    assert_eq!(
        (newest["features"].as_str(), newest["card"]["brand"].as_str()),
        (Some("directory_sync"), Some("mastercard"))
    );
    assert_eq!(newest["card"]["last4"], "4444");
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, older) = app.get(&format!("{purchases}?limit=1&cursor={cursor}"), Some(&s.token)).await;
    // The receipt is what the confirmation answered.
    assert_eq!(older["data"][0], paid["purchase"]);
    assert_eq!(older["next_cursor"], Value::Null);
    assert_eq!(older["data"][0]["amount"], 120000);
    // Another organization sees none of it.
    let other = app.ready_org("Globex", "globex.com").await;
    assert_eq!(app.get(&purchases, Some(&other.token)).await.0, StatusCode::NOT_FOUND);
    let (_, theirs) = app.get(&format!("/api/v1/organizations/{}/purchases", other.org_id), Some(&other.token)).await;
    assert_eq!(theirs["data"], json!([]));
}

#[actix_web::test]
async fn bad_card_details_are_422_and_an_old_quote_is_410() {
    let app = spawn_app().await;
    let s = app.ready_org("Acme", "acme.com").await;
    let (_, q) = quote(&app, &s, "sso").await;
    let id = q["id"].as_str().unwrap();
    let bad = json!({"card_number": "4242 4242 4242 4241", "exp_month": 1, "exp_year": 2020, "cvc": "12", "cardholder_name": " "});
    let (status, body) = app.confirm(&s, id, Some("x"), &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let codes: Vec<String> = fields(&body).into_iter().map(|(_, c)| c).collect();
    assert_eq!(codes, ["invalid_card_number", "card_expired", "invalid_cvc", "required"]);
    assert_eq!((app.count("idempotency_keys").await, app.count("purchases").await), (0, 0));

    let other = app.ready_org("Globex", "globex.com").await;
    assert_eq!(app.confirm(&other, id, Some("y"), &card(GOOD)).await.0, StatusCode::NOT_FOUND);

    app.clock.advance(Duration::minutes(60));
    let (status, body) = app.confirm(&s, id, Some("z"), &card(GOOD)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::GONE, Some("checkout_expired")));
    assert_eq!((app.count("purchases").await, app.sandbox_charges()), (0, 0));
}

#[actix_web::test]
async fn fifty_concurrent_confirms_with_one_key_charge_once() {
    let app = spawn_app().await;
    let s = app.ready_org("Acme", "acme.com").await;
    let (_, q) = quote(&app, &s, "both").await;
    let id = q["id"].as_str().unwrap();
    let payment = card(GOOD);
    let attempts = (0..50).map(|_| app.confirm(&s, id, Some("double-click"), &payment));
    let results = futures_util::future::join_all(attempts).await;
    let created: Vec<&Value> = results.iter().filter(|(st, _)| *st == StatusCode::CREATED).map(|(_, b)| b).collect();
    assert!(!created.is_empty());
    assert!(created.iter().all(|b| *b == created[0]), "every 201 is the same purchase");
    for (status, body) in &results {
        assert!(
            *status == StatusCode::CREATED
                || (*status == StatusCode::CONFLICT && body["code"] == "request_in_progress"),
            "{status} {body}"
        );
    }
    assert_eq!((app.count("purchases").await, app.sandbox_charges()), (1, 1));
    // Once settled, every retry gets the purchase.
    assert_eq!(app.confirm(&s, id, Some("double-click"), &card(GOOD)).await.1, *created[0]);
}

#[actix_web::test]
async fn the_card_number_is_in_neither_the_database_nor_the_logs() {
    let app = spawn_app().await;
    let s = app.ready_org("Acme", "acme.com").await;
    let (_, q) = quote(&app, &s, "sso").await;
    assert_eq!(
        app.confirm(&s, q["id"].as_str().unwrap(), Some("k"), &card("4242424242424242")).await.0,
        StatusCode::CREATED
    );
    let (_, q) = quote(&app, &s, "directory_sync").await;
    app.confirm(&s, q["id"].as_str().unwrap(), Some("k2"), &card("4000 0000 0000 0002")).await;

    let needles = ["4242424242424242", "4242 4242 4242 4242", "4000000000000002"];
    let mut searched = 0;
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|s| !s.is_empty()) {
        // PostgreSQL: look through every text column of every table we wrote.
        use sea_orm::ConnectionTrait;
        let db = &app.state.db;
        for table in ["purchases", "idempotency_keys", "audit_events", "checkouts"] {
            let rows = db
                .query_all_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    format!("SELECT row_to_json(t)::text AS j FROM {table} t"),
                ))
                .await
                .unwrap();
            for r in rows {
                let j: String = r.try_get("", "j").unwrap();
                searched += 1;
                assert!(needles.iter().all(|n| !j.contains(n)), "{table}: {j}");
            }
        }
    } else {
        for entry in std::fs::read_dir(app.dir.join("data")).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            searched += bytes.len();
            assert!(needles.iter().all(|n| !text.contains(n)), "card number found in the database files");
        }
    }
    assert!(searched > 0);
    let logs = captured_logs();
    assert!(logs.contains("/confirm"), "the log capture works");
    assert!(needles.iter().all(|n| !logs.contains(n)), "card number found in the logs");
}

fn statuses(state: &Value) -> (String, String) {
    (
        state["sso"]["status"].as_str().unwrap().to_owned(),
        state["directory_sync"]["status"].as_str().unwrap().to_owned(),
    )
}

#[actix_web::test]
async fn revoking_sso_revokes_directory_sync_and_restoring_keeps_the_rest() {
    let app = spawn_app().await;
    let s = app.ready_org("Acme", "acme.com").await;
    assert_eq!(toggle(&app, &s, "sso", false).await.1["code"], "not_purchased");
    let (_, q) = quote(&app, &s, "both").await;
    app.confirm(&s, q["id"].as_str().unwrap(), Some("k"), &card(GOOD)).await;

    // Directory Sync off leaves SSO on.
    let (status, state) = toggle(&app, &s, "directory-sync", false).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(statuses(&state), ("awaiting".into(), "inactive".into()));
    assert_eq!(toggle(&app, &s, "directory-sync", true).await.1["directory_sync"]["status"], "awaiting");

    // SSO off turns both off, in one go.
    let (_, state) = toggle(&app, &s, "sso", false).await;
    assert_eq!(statuses(&state), ("inactive".into(), "inactive".into()));
    assert_eq!(state["features"], json!({"sso": true, "directory_sync": true}), "still purchased");
    // Directory Sync cannot come back while SSO is off.
    let (status, body) = toggle(&app, &s, "directory-sync", true).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("sso_inactive")));

    // Back on: each restores the status it had.
    assert_eq!(statuses(&toggle(&app, &s, "sso", true).await.1), ("awaiting".into(), "inactive".into()));
    assert_eq!(statuses(&toggle(&app, &s, "directory-sync", true).await.1), ("awaiting".into(), "awaiting".into()));
    // Asking for what already is changes nothing.
    assert_eq!(statuses(&toggle(&app, &s, "sso", true).await.1), ("awaiting".into(), "awaiting".into()));

    use sea_orm::{EntityTrait, QueryOrder};
    let events: Vec<(String, String)> = api::audit::entity::Entity::find()
        .order_by_asc(api::audit::entity::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("integration."))
        .map(|e| (e.action, e.target))
        .collect();
    let want = [
        ("integration.disabled", "directory_sync"),
        ("integration.enabled", "directory_sync"),
        ("integration.disabled", "sso"),
        ("integration.disabled", "directory_sync"),
        ("integration.enabled", "sso"),
        ("integration.enabled", "directory_sync"),
    ];
    assert_eq!(events, want.map(|(a, t)| (a.to_owned(), t.to_owned())));

    let other = app.ready_org("Globex", "globex.com").await;
    // Globex's admin naming Acme's organization.
    let intruder = Signed { org_id: s.org_id.clone(), user_id: other.user_id.clone(), token: other.token.clone() };
    let (status, _) = toggle(&app, &intruder, "sso", false).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Overlapping confirms never both charge: two quotes that share a feature,
/// or one quote under two Idempotency-Keys, confirmed at the same moment.
#[actix_web::test]
async fn concurrent_confirms_of_overlapping_quotes_charge_once() {
    let app = spawn_app().await;
    let s = app.ready_org("Acme", "acme.com").await;
    let (sso, both) = (quote(&app, &s, "sso").await.1, quote(&app, &s, "both").await.1);
    let payment = card(GOOD);
    let (a, b) = tokio::join!(
        app.confirm(&s, sso["id"].as_str().unwrap(), Some("key-a"), &payment),
        app.confirm(&s, both["id"].as_str().unwrap(), Some("key-b"), &payment),
    );
    let created = [&a, &b].iter().filter(|(st, _)| *st == StatusCode::CREATED).count();
    assert_eq!(created, 1, "{a:?} {b:?}");
    for (status, body) in [&a, &b] {
        assert!(
            *status == StatusCode::CREATED
                || (*status == StatusCode::CONFLICT
                    && ["checkout_in_progress", "already_purchased"].contains(&body["code"].as_str().unwrap_or(""))),
            "{status} {body}"
        );
    }
    assert_eq!((app.count("purchases").await, app.sandbox_charges()), (1, 1));
    assert_eq!(app.count("checkout_charges").await, 0, "the charge slot is given back");

    // One quote, two keys at once: one charge.
    let other = app.ready_org("Globex", "globex.com").await;
    let q = quote(&app, &other, "both").await.1;
    let id = q["id"].as_str().unwrap();
    let results = futures_util::future::join_all((0..6).map(|i| {
        let key = format!("key-{i}");
        let payment = payment.clone();
        let other = &other;
        let app = &app;
        async move { app.confirm(other, id, Some(&key), &payment).await }
    }))
    .await;
    assert_eq!(results.iter().filter(|(st, _)| *st == StatusCode::CREATED).count(), 1, "{results:?}");
    assert_eq!((app.count("purchases").await, app.sandbox_charges()), (2, 2));
    // And after a refused charge, the slot is free for the next attempt.
    let third = app.ready_org("Initech", "initech.com").await;
    let q = quote(&app, &third, "sso").await.1;
    let id = q["id"].as_str().unwrap();
    assert_eq!(
        app.confirm(&third, id, Some("declined"), &card("4000 0000 0000 0002")).await.0,
        StatusCode::PAYMENT_REQUIRED
    );
    assert_eq!(app.count("checkout_charges").await, 0);
    assert_eq!(app.confirm(&third, id, Some("fine"), &payment).await.0, StatusCode::CREATED);
}

/// Directory Sync cannot run while Single Sign-On is turned off: bought then,
/// it starts off, gets no setup link, and awaits its setup once both are on.
#[actix_web::test]
async fn directory_sync_bought_while_sso_is_off_starts_off() {
    let app = spawn_app().await;
    let s = app.ready_org("Acme", "acme.com").await;
    let q = quote(&app, &s, "sso").await.1;
    app.confirm(&s, q["id"].as_str().unwrap(), Some("k1"), &card(GOOD)).await;
    toggle(&app, &s, "sso", false).await;
    let q = quote(&app, &s, "directory_sync").await.1;
    let (status, body) = app.confirm(&s, q["id"].as_str().unwrap(), Some("k2"), &card(GOOD)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, state) = app.get(&format!("/api/v1/organizations/{}/provisioning", s.org_id), Some(&s.token)).await;
    assert_eq!(statuses(&state), ("inactive".into(), "inactive".into()));
    let (status, body) = crate::helpers::link(&app, &s, "scim").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("feature_inactive")), "{body}");
    assert_eq!(statuses(&toggle(&app, &s, "sso", true).await.1), ("awaiting".into(), "inactive".into()));
    assert_eq!(statuses(&toggle(&app, &s, "directory-sync", true).await.1), ("awaiting".into(), "awaiting".into()));
}
