//! Service keys (issue 20, first slice): `gatehouse keys create|list|revoke`
//! — the real binary on a server's data folder — and what they authenticate.

use crate::helpers::spawn_app;

/// `gatehouse keys …` on `data_dir`'s database and signing key.
fn gatehouse_keys(data_dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    crate::helpers::gatehouse_command(data_dir, "keys", args)
}

#[test]
fn the_keys_command_creates_lists_and_revokes_with_the_key_shown_once() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = gatehouse_keys(dir.path(), &["create", "--name", "Billing sync", "--scope", "write"]);
    assert!(ok, "{err}");
    let (id, key) = (crate::helpers::printed(&out, "id"), crate::helpers::printed(&out, "key"));
    assert!(id.starts_with("key_") && key.starts_with("gh_sk_") && key.len() > 60, "{out}");

    // Only a keyed hash is stored: the key is nowhere in the database files.
    crate::helpers::assert_not_stored(dir.path(), &key);

    let (_, list, _) = gatehouse_keys(dir.path(), &["list"]);
    assert!(list.contains(&id) && list.contains("Billing sync\twrite") && list.contains("never used"), "{list}");
    assert!(list.contains(&key[..14]) && !list.contains(&key), "{list}");

    // Refused with the reason.
    let (ok, _, err) = gatehouse_keys(dir.path(), &["create", "--name", "X", "--scope", "admin"]);
    assert!(!ok && err.contains("read or write"), "{err}");
    let (ok, _, err) = gatehouse_keys(dir.path(), &["create", "--scope", "read"]);
    assert!(!ok && err.contains("usage"), "{err}");

    let (ok, out, _) = gatehouse_keys(dir.path(), &["revoke", &id]);
    assert!(ok && out.contains("revoked"), "{out}");
    let (ok, _, err) = gatehouse_keys(dir.path(), &["revoke", &id]);
    assert!(!ok && err.contains("no active key"), "{err}");
    let (_, list, _) = gatehouse_keys(dir.path(), &["list"]);
    assert!(list.contains("revoked"), "{list}");
}

#[actix_web::test]
async fn a_key_authenticates_until_revoked_and_notes_its_last_use() {
    use api::auth::service_keys::{Scope, authenticate, create, revoke};
    let app = spawn_app().await;
    let (db, keys, now) = (&app.state.db, &app.state.keys, app.clock_now());
    let (row, key) = create(db, keys, "Reporting", Scope::Read, now).await.unwrap();
    let found = authenticate(db, keys, &key, now).await.unwrap().expect("the key");
    assert_eq!((found.id.as_str(), found.scope.as_str()), (row.id.as_str(), "read"));
    assert_eq!(app.count_where("service_keys", "last_used_at IS NOT NULL").await, 1);
    // A changed character, another key's id, garbage: nothing.
    let mut wrong = key.clone();
    wrong.pop();
    wrong.push(if key.ends_with('A') { 'B' } else { 'A' });
    assert!(authenticate(db, keys, &wrong, now).await.unwrap().is_none());
    assert!(
        authenticate(db, keys, "gh_sk_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", now)
            .await
            .unwrap()
            .is_none()
    );
    assert!(authenticate(db, keys, "Bearer nonsense", now).await.unwrap().is_none());
    assert!(revoke(db, &row.id, now).await.unwrap());
    assert!(authenticate(db, keys, &key, now).await.unwrap().is_none(), "revoked at once");
}

/// A service key's `Authorization: Bearer` header.
async fn as_key(
    app: &crate::helpers::TestApp,
    method: reqwest::Method,
    path: &str,
    key: &str,
    body: Option<&serde_json::Value>,
) -> (reqwest::StatusCode, serde_json::Value) {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(key);
    if let Some(b) = body {
        req = req.json(b);
    }
    crate::helpers::read(req.send().await.unwrap()).await
}

#[actix_web::test]
async fn a_write_key_creates_organizations_and_a_read_key_lists_them() {
    use api::auth::service_keys::{Scope, create};
    use reqwest::{Method, StatusCode};
    use serde_json::json;
    let app = spawn_app().await;
    let (db, keys, now) = (&app.state.db, &app.state.keys, app.clock_now());
    let (writer, write_key) = create(db, keys, "Provisioner", Scope::Write, now).await.unwrap();
    let (_, read_key) = create(db, keys, "Reporting", Scope::Read, now).await.unwrap();
    let existing = app.signup("Acme", "ada@acme.com").await;
    app.clock.advance(chrono::Duration::seconds(1));

    // Created, with its first Administrator invited (by the key, audited as such).
    let body = json!({ "name": "Globex", "admin_email": "hank@globex.com" });
    let (status, created) = as_key(&app, Method::POST, "/api/v1/organizations", &write_key, Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let org_id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["name"], "Globex");
    assert_eq!(app.count_where("invites", &format!("organization_id = '{org_id}' AND role = 'admin'")).await, 1);
    assert_eq!(
        app.count_where("audit_events", &format!("organization_id = '{org_id}' AND actor = '{}'", writer.id)).await,
        2,
        "organization.created and invite.sent, by the key"
    );
    // Refused: a read key writing, bad fields, no key, a session, a wrong key.
    let (status, refused) = as_key(&app, Method::POST, "/api/v1/organizations", &read_key, Some(&body)).await;
    assert_eq!((status, refused["code"].as_str()), (StatusCode::FORBIDDEN, Some("insufficient_scope")));
    let bad = json!({ "name": "", "admin_email": "nope" });
    let (status, refused) = as_key(&app, Method::POST, "/api/v1/organizations", &write_key, Some(&bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let fields: Vec<String> = crate::helpers::fields(&refused).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["name", "admin_email"]);
    let (status, _) = app.post("/api/v1/organizations", &body, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, refused) = app.post("/api/v1/organizations", &body, Some(&existing.token)).await;
    assert_eq!((status, refused["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("missing_api_key")));
    let forged = format!("{}x", &write_key[..write_key.len() - 1]);
    let (status, refused) = as_key(&app, Method::GET, "/api/v1/organizations", &forged, None).await;
    assert_eq!((status, refused["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_api_key")));
    assert_eq!(app.count("organizations").await, 2, "nothing half-saved by the refusals");

    // Listed, oldest first, a page at a time, by a read key.
    let (status, page) = as_key(&app, Method::GET, "/api/v1/organizations?limit=1", &read_key, None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["data"][0]["id"], existing.org_id.as_str(), "{page}");
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let (_, next) =
        as_key(&app, Method::GET, &format!("/api/v1/organizations?limit=1&cursor={cursor}"), &read_key, None).await;
    assert_eq!(next["data"][0]["id"], org_id.as_str(), "{page} then {next}");
    assert!(next["data"][0]["created_at"].is_string());
    let (status, _) = as_key(&app, Method::GET, "/api/v1/organizations?cursor=garbage", &read_key, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn guessing_service_keys_is_limited_per_address() {
    use reqwest::{Method, StatusCode};
    let app = spawn_app().await;
    let (_, key) = api::auth::service_keys::create(
        &app.state.db,
        &app.state.keys,
        "Real",
        api::auth::service_keys::Scope::Read,
        app.clock_now(),
    )
    .await
    .unwrap();
    let guess = |n: u32| format!("gh_sk_{:016x}_{}", n, "A".repeat(43));
    for n in 0..10 {
        let (status, _) = as_key(&app, Method::GET, "/api/v1/organizations", &guess(n), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, refused) = as_key(&app, Method::GET, "/api/v1/organizations", &guess(10), None).await;
    assert_eq!((status, refused["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")));
    // The integrator behind the same address (a proxy, a NAT) is not locked
    // out by a guesser, and its success does not let the guesser start over.
    let (status, _) = as_key(&app, Method::GET, "/api/v1/organizations", &key, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = as_key(&app, Method::GET, "/api/v1/organizations", &guess(11), None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(!crate::helpers::captured_logs().contains(&key), "a key never reaches the log");
}

#[actix_web::test]
async fn a_write_key_administers_an_organization_like_its_administrator() {
    use api::auth::service_keys::{Scope, create, revoke};
    use reqwest::{Method, StatusCode};
    use serde_json::json;
    let app = spawn_app().await;
    let (db, keys, now) = (&app.state.db, &app.state.keys, app.clock_now());
    let (writer, write_key) = create(db, keys, "Provisioner", Scope::Write, now).await.unwrap();
    let (_, read_key) = create(db, keys, "Reporting", Scope::Read, now).await.unwrap();
    let acme = app.signup("Acme", "ada@acme.com").await;
    let other = app.signup("Globex", "hank@globex.com").await;
    let (status, joined) = app.invite_and_accept(&acme, "bob@acme.com").await;
    assert_eq!(status, StatusCode::CREATED, "{joined}");
    let org = format!("/api/v1/organizations/{}", acme.org_id);
    let (_, members) = as_key(&app, Method::GET, &format!("{org}/members"), &read_key, None).await;
    let bob = members["data"].as_array().unwrap().iter().find(|m| m["email"] == "bob@acme.com").unwrap()["user_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Reads: entitlements and statuses, members, invites, setup links, audit.
    for path in
        ["/provisioning", "/members", "/invites", "/setup-links", "/audit-events", "/purchases", "/sso-enforcement"]
    {
        let (status, body) = as_key(&app, Method::GET, &format!("{org}{path}"), &read_key, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    // A read key changes nothing.
    let suspend = json!({ "suspended": true });
    let (status, refused) =
        as_key(&app, Method::PATCH, &format!("{org}/members/{bob}"), &read_key, Some(&suspend)).await;
    assert_eq!((status, refused["code"].as_str()), (StatusCode::FORBIDDEN, Some("insufficient_scope")));
    assert_eq!(app.count_where("memberships", "suspended_at IS NOT NULL").await, 0);

    // A write key: the same validation and rules as an Administrator.
    let bad = json!({ "plan_id": "no-such-plan" });
    let (status, refused) = as_key(&app, Method::PATCH, &format!("{org}/members/{bob}"), &write_key, Some(&bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let (status, member) =
        as_key(&app, Method::PATCH, &format!("{org}/members/{bob}"), &write_key, Some(&suspend)).await;
    assert_eq!((status, member["suspended"].as_bool()), (StatusCode::OK, Some(true)), "{member}");
    let (status, refused) =
        as_key(&app, Method::DELETE, &format!("{org}/members/{}", acme.user_id), &write_key, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "never the last active Administrator: {refused}");
    let (status, invite) =
        as_key(&app, Method::POST, &format!("{org}/invites"), &write_key, Some(&json!({ "email": "cy@acme.com" })))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{invite}");
    let (status, _) = as_key(&app, Method::DELETE, &format!("{org}/members/{bob}"), &write_key, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let by_key = app.count_where("audit_events", &format!("actor = '{}'", writer.id)).await;
    assert_eq!(by_key, 3, "member.suspended, invite.sent and member.removed, with the key as actor");
    let (_, log) = as_key(&app, Method::GET, &format!("{org}/audit-events?actor={}", writer.id), &read_key, None).await;
    assert_eq!(log["data"].as_array().unwrap().len(), 3, "{log}");

    // Tenancy: another organization's member through this one's path, an
    // unknown organization, a browser-only action.
    let (status, _) =
        as_key(&app, Method::PATCH, &format!("{org}/members/{}", other.user_id), &write_key, Some(&suspend)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) =
        as_key(&app, Method::GET, "/api/v1/organizations/org_00000000000000000000000000/members", &read_key, None)
            .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, refused) = as_key(&app, Method::POST, &format!("{org}/sso/test"), &write_key, None).await;
    assert_eq!((status, refused["code"].as_str()), (StatusCode::FORBIDDEN, Some("person_required")));

    // Revoked: refused at once.
    revoke(db, &writer.id, now).await.unwrap();
    let (status, refused) = as_key(&app, Method::GET, &format!("{org}/members"), &write_key, None).await;
    assert_eq!((status, refused["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_api_key")));
}
