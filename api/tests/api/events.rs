//! Events (issue 20): every state change writes one event in its own
//! transaction, with a per-object version; `GET /api/v1/events` reads them
//! in commit order.

use api::auth::service_keys::{Scope, create};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

/// A read key for the feed.
pub async fn read_key(app: &TestApp) -> String {
    create(&app.state.db, &app.state.keys, "Feed", Scope::Read, app.clock_now()).await.unwrap().1
}

/// Every event the feed gives for `query`, following `next_cursor` page by page.
pub async fn feed(app: &TestApp, key: &str, query: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after = String::new();
    for _ in 0..1000 {
        let sep = if query.is_empty() { "" } else { "&" };
        let path = format!("/api/v1/events?limit=7{sep}{query}{after}");
        let (status, page) = app.send(Method::GET, &path, None, Some(key)).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let data = page["data"].as_array().unwrap().clone();
        if data.is_empty() {
            return all;
        }
        all.extend(data);
        after = format!("&after={}", page["next_cursor"].as_str().unwrap());
    }
    panic!("the feed never ended");
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

#[actix_web::test]
async fn an_administrators_changes_are_events_in_order_with_versions_and_sources() {
    let app = spawn_app().await;
    let key = read_key(&app).await;
    let (_, write_key) = create(&app.state.db, &app.state.keys, "Writer", Scope::Write, app.clock_now()).await.unwrap();
    let acme = app.signup("Acme", "ada@acme.com").await;
    let (status, _) = app.invite_and_accept(&acme, "bob@acme.com").await;
    assert_eq!(status, StatusCode::CREATED);
    let org = format!("/api/v1/organizations/{}", acme.org_id);
    let (_, members) = app.get(&format!("{org}/members"), Some(&acme.token)).await;
    let bob = members["data"].as_array().unwrap().iter().find(|m| m["email"] == "bob@acme.com").unwrap()["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let member_path = format!("{org}/members/{bob}");
    let (status, _) =
        app.send(Method::PATCH, &member_path, Some(&json!({ "suspended": true })), Some(&write_key)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) =
        app.send(Method::PATCH, &member_path, Some(&json!({ "suspended": false })), Some(&acme.token)).await;
    assert_eq!(status, StatusCode::OK);
    // Refused changes write nothing: your own role, the last Administrator.
    let (status, _) = app
        .send(
            Method::PATCH,
            &format!("{org}/members/{}", acme.user_id),
            Some(&json!({ "role": "member" })),
            Some(&write_key),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = app.send(Method::DELETE, &member_path, None, Some(&write_key)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Another organization's events stay apart under the filter.
    app.signup("Globex", "hank@globex.com").await;

    let events = feed(&app, &key, &format!("organization_id={}", acme.org_id)).await;
    assert_eq!(
        types(&events),
        [
            "organization.created",
            "member.created",
            "invite.sent",
            "invite.accepted",
            "member.created",
            "member.suspended",
            "member.reactivated",
            "member.removed"
        ]
    );
    let sources: Vec<&str> = events.iter().map(|e| e["source"].as_str().unwrap()).collect();
    assert_eq!(sources, ["signup", "signup", "admin", "invite", "invite", "api", "admin", "api"]);
    assert!(events[2]["data"].get("token").is_none() && events[2]["data"]["email"] == "bob@acme.com", "{}", events[2]);
    let bobs: Vec<&Value> = events.iter().filter(|e| e["data"]["user_id"] == bob.as_str()).collect();
    let versions: Vec<i64> = bobs.iter().map(|e| e["version"].as_i64().unwrap()).collect();
    assert_eq!(versions, [1, 2, 3, 4], "one object, counted up");
    assert_eq!(bobs[1]["object_id"], format!("{}/{bob}", acme.org_id));
    assert_eq!(bobs[1]["data"]["suspended"], true);
    assert_eq!(bobs[1]["data"]["email"], "bob@acme.com");
    assert!(
        events
            .iter()
            .all(|e| e["organization_id"] == acme.org_id.as_str() && e["id"].as_str().unwrap().starts_with("evt_"))
    );

    // Filters: types, and everything (both organizations).
    let removed = feed(&app, &key, "types=member.removed,organization.created").await;
    assert_eq!(types(&removed), ["organization.created", "member.removed", "organization.created"]);
    assert_eq!(feed(&app, &key, "").await.len(), 10);
    // After the last event (an id or a cursor): nothing, and a cursor to poll with.
    let last = events.last().unwrap()["id"].as_str().unwrap().to_owned();
    let (_, page) = app
        .send(Method::GET, &format!("/api/v1/events?organization_id={}&after={last}", acme.org_id), None, Some(&key))
        .await;
    assert_eq!(page["data"].as_array().unwrap().len(), 0, "{page}");
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let (_, again) = app.send(Method::GET, &format!("/api/v1/events?after={cursor}"), None, Some(&key)).await;
    assert_eq!(again["data"].as_array().unwrap().len(), 0, "{again}");
    // A filter's cursor moves past what it left out, and never expires:
    // everything before it pruned, polling goes on.
    let (_, filtered) = app.send(Method::GET, "/api/v1/events?types=group.deleted", None, Some(&key)).await;
    let past = filtered["next_cursor"].as_str().unwrap().to_owned();
    api::events::prune(&app.state.db, app.clock_now() + chrono::Duration::days(40), 30, None).await.unwrap();
    let (status, still) =
        app.send(Method::GET, &format!("/api/v1/events?types=group.deleted&after={past}"), None, Some(&key)).await;
    assert_eq!((status, still["data"].as_array().unwrap().len()), (StatusCode::OK, 0), "{still}");

    // Refused: a bad cursor, an unknown type, an unknown or pruned event, no key.
    let (status, body) = app.send(Method::GET, "/api/v1/events?after=nope", None, Some(&key)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_cursor")));
    let (status, body) = app.send(Method::GET, "/api/v1/events?types=member.exploded", None, Some(&key)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) =
        app.send(Method::GET, "/api/v1/events?after=evt_00000000000000000000000000000000", None, Some(&key)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::GONE, Some("cursor_expired")));
    let (status, _) = app.send(Method::GET, "/api/v1/events", None, Some(&acme.token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a person's session is not a service key");
}

#[actix_web::test]
async fn a_directorys_lifecycle_is_events_and_a_refused_change_has_none() {
    let app = spawn_app().await;
    let key = read_key(&app).await;
    let s = app.scim_org("Acme", "acme.com").await;
    let user = |email: &str| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": email, "name": { "givenName": "Ada", "familyName": "Lovelace" },
            "emails": [{ "value": email, "type": "work", "primary": true }], "active": true
        })
    };
    let patch = |ops: Value| json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops });
    let (status, created) = app.scim(&s, Method::POST, "/Users", Some(&user("ada@acme.com"))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    // A clash is refused (409) and leaves no event.
    let (status, _) = app.scim(&s, Method::POST, "/Users", Some(&user("ada@acme.com"))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let off = patch(json!([{ "op": "replace", "path": "active", "value": false }]));
    assert_eq!(app.scim(&s, Method::PATCH, &format!("/Users/{id}"), Some(&off)).await.0, StatusCode::OK);
    let rename = patch(json!([{ "op": "replace", "path": "name.givenName", "value": "Augusta" }]));
    let (status, body) = app.scim(&s, Method::PATCH, &format!("/Users/{id}"), Some(&rename)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Engineering", "members": [{ "value": id }]
    });
    let (status, g) = app.scim(&s, Method::POST, "/Groups", Some(&group)).await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    assert_eq!(app.scim(&s, Method::DELETE, &format!("/Users/{id}"), None).await.0, StatusCode::NO_CONTENT);
    // Re-created: the member's version goes on from where it was.
    let (status, again) = app.scim(&s, Method::POST, "/Users", Some(&user("ada@acme.com"))).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");

    let events = feed(&app, &key, &format!("organization_id={}", s.admin.org_id)).await;
    let scim: Vec<&Value> = events.iter().filter(|e| e["source"] == "scim").collect();
    let kinds: Vec<&str> = scim.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "feature.status_changed",
            "member.created",
            "member.suspended",
            "member.updated",
            "group.created",
            "group.member_added",
            "group.member_removed",
            "member.removed",
            "member.created"
        ]
    );
    let ada: Vec<i64> = scim
        .iter()
        .filter(|e| e["type"].as_str().unwrap().starts_with("member."))
        .map(|e| e["version"].as_i64().unwrap())
        .collect();
    assert_eq!(ada, [1, 2, 3, 4, 5]);
    assert_eq!(scim[0]["data"]["to"], "active", "the directory's first request: {}", scim[0]);
    assert_eq!(scim[3]["data"]["name"], "Augusta Lovelace", "{}", scim[3]);
    assert_eq!(scim[5]["data"]["group"]["display_name"], "Engineering");
    assert_eq!(scim[5]["data"]["user_id"], scim[1]["data"]["user_id"]);
    // The setup before it: domains, the purchase, statuses, the setup link.
    let all = types(&events);
    for t in ["domain.added", "purchase.completed", "feature.status_changed", "setup_link.created"] {
        assert!(all.contains(&t), "{t} in {all:?}");
    }
    let status_change = events.iter().find(|e| e["type"] == "feature.status_changed").unwrap();
    assert_eq!(
        (&status_change["data"]["feature"], &status_change["data"]["from"], &status_change["data"]["to"]),
        (&json!("directory_sync"), &json!("not_purchased"), &json!("awaiting")),
        "{status_change}"
    );
    assert!(events.iter().any(|e| e["type"] == "feature.status_changed" && e["data"]["to"] == "active"));
    let link = events.iter().find(|e| e["type"] == "setup_link.created").unwrap();
    assert!(link["data"].get("url").is_none() && !link.to_string().contains("gh_setup"), "{link}");
}

#[actix_web::test]
async fn events_older_than_the_retention_are_pruned_and_versions_stay() {
    let app = spawn_app().await;
    let key = read_key(&app).await;
    let acme = app.signup("Acme", "ada@acme.com").await;
    app.clock.advance(chrono::Duration::days(31));
    let pruned = api::events::prune(&app.state.db, app.clock_now(), 30, None).await.unwrap();
    assert_eq!(pruned.deleted, 1, "the newest stays: SQLite's next seq counts on from it");
    assert_eq!(types(&feed(&app, &key, "").await), ["member.created"]);
    assert_eq!(app.count("event_versions").await, 2, "versions outlive their events");
    assert_eq!(app.count_where("organizations", &format!("id = '{}'", acme.org_id)).await, 1);
}

/// An event stamped ahead of its neighbours (a process whose clock runs
/// ahead) is stepped over: the older events after it are still pruned.
#[actix_web::test]
async fn an_event_stamped_ahead_does_not_hold_pruning_up() {
    use api::events::{NewEvent, emit};
    let app = spawn_app().await;
    let now = app.clock_now();
    let event = |n: u32| NewEvent::new("group.updated", "org_x", format!("grp_{n}"), json!({ "n": n }));
    let txn = app.state.begin_write().await.unwrap();
    emit(&*txn, event(0), now + chrono::Duration::days(5)).await.unwrap();
    txn.commit().await.unwrap();
    for n in 1..=3 {
        let txn = app.state.begin_write().await.unwrap();
        emit(&*txn, event(n), now).await.unwrap();
        txn.commit().await.unwrap();
    }
    let later = now + chrono::Duration::days(31);
    let txn = app.state.begin_write().await.unwrap();
    emit(&*txn, event(4), later).await.unwrap();
    txn.commit().await.unwrap();
    let pruned = api::events::prune(&app.state.db, later, 30, None).await.unwrap();
    assert_eq!(pruned.deleted, 3, "the three old ones behind the one stamped ahead");
    assert_eq!(pruned.go_on_after, None, "a short batch: nothing more");
    assert_eq!(app.count("events").await, 2, "the one stamped ahead and the newest stay");
}

/// PostgreSQL: a transaction that started first but commits last never has
/// its event passed by a reader's cursor (the feed stops below the oldest
/// transaction still running). SQLite writes one transaction at a time.
#[actix_web::test]
async fn a_reader_never_passes_an_event_that_commits_later() {
    use api::events::{NewEvent, emit};
    let app = spawn_app().await;
    if app.state.db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return;
    }
    let key = read_key(&app).await;
    let now = app.clock_now();
    let event = |n: u32| NewEvent::new("organization.created", "org_x", format!("obj{n}"), json!({ "n": n }));
    let first = app.state.begin_write().await.unwrap();
    emit(&first, event(1), now).await.unwrap();
    let second = app.state.begin_write().await.unwrap();
    emit(&second, event(2), now).await.unwrap();
    second.commit().await.unwrap();
    assert!(feed(&app, &key, "").await.is_empty(), "the second waits for the first to end");
    first.commit().await.unwrap();
    let both: Vec<i64> = feed(&app, &key, "").await.iter().map(|e| e["data"]["n"].as_i64().unwrap()).collect();
    assert_eq!(both, [1, 2]);
    // A rolled-back transaction leaves no event, and holds nothing up.
    let third = app.state.begin_write().await.unwrap();
    emit(&third, event(3), now).await.unwrap();
    drop(third);
    assert_eq!(feed(&app, &key, "").await.len(), 2);
}

/// m0030 rebuilds the SQLite tables (`seq` becomes the table's key, the
/// versions a table without rowid): every event and version is kept, and
/// new events number on from the old ones. (On PostgreSQL it only drops an
/// index; every test database there runs it.)
#[actix_web::test]
async fn upgrading_to_lean_events_keeps_every_event_and_numbers_on() {
    use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
    use sea_orm_migration::MigratorTrait;
    if std::env::var("TEST_DATABASE_URL").is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = Database::connect(format!("sqlite://{}?mode=rwc", dir.path().join("g.db").display())).await.unwrap();
    api::db::migration::Migrator::up(&db, Some(29)).await.unwrap();
    let exec = |sql: &str| Statement::from_string(DbBackend::Sqlite, sql.to_owned());
    let old = [(1, "evt_01", "org_a/usr_1", 1), (2, "evt_02", "org_a/usr_1", 2), (3, "evt_03", "grp_9", 1)];
    for (seq, id, object, version) in old {
        db.execute_raw(exec(&format!(
            "INSERT INTO events (id, seq, type, occurred_at, organization_id, object_id, version, source, data) \
             VALUES ('{id}', {seq}, 'member.updated', '2026-11-30T10:00:00+00:00', 'org_a', '{object}', {version}, 'scim', '{{}}')"
        )))
        .await
        .unwrap();
    }
    db.execute_raw(exec("INSERT INTO event_versions (object_id, version) VALUES ('org_a/usr_1', 2), ('grp_9', 1)"))
        .await
        .unwrap();
    api::db::migration::Migrator::up(&db, None).await.unwrap();

    let next = api::events::NewEvent::new("member.updated", "org_a", "org_a/usr_1", json!({ "n": 4 }));
    api::events::emit(&db, next, chrono::Utc::now()).await.unwrap();
    let all = api::events::after(&db, None, &api::events::Filter::default(), 10).await.unwrap();
    let got: Vec<(i64, &str, i64)> = all.iter().map(|e| (e.seq, e.object_id.as_str(), e.version)).collect();
    assert_eq!(got, [(1, "org_a/usr_1", 1), (2, "org_a/usr_1", 2), (3, "grp_9", 1), (4, "org_a/usr_1", 3)]);
    assert_eq!(all[0].id, "evt_01");
    let org = api::events::Filter { organization_id: Some("org_a"), ..Default::default() };
    let after_two = api::events::Cursor { seq: 2, id: "evt_02".to_owned() };
    let page = api::events::after(&db, Some(&after_two), &org, 10).await.unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 4]);
}

/// A link revoked because someone replaced it or turned its feature off
/// says who: the Administrator (`admin`) or a key (`api`).
#[actix_web::test]
async fn revoked_setup_links_name_who_revoked_them() {
    use crate::helpers::{buy, link};
    let app = spawn_app().await;
    let key = read_key(&app).await;
    let (_, write_key) = create(&app.state.db, &app.state.keys, "Writer", Scope::Write, app.clock_now()).await.unwrap();
    let acme = app.ready_org("Acme", "acme.com").await;
    buy(&app, &acme, "sso").await;
    assert_eq!(link(&app, &acme, "sso").await.0, StatusCode::CREATED);
    assert_eq!(link(&app, &acme, "sso").await.0, StatusCode::CREATED, "replaces the first");
    let path = format!("/api/v1/organizations/{}/integrations/sso", acme.org_id);
    let (status, body) = app.send(Method::PUT, &path, Some(&json!({ "enabled": false })), Some(&write_key)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let links = feed(&app, &key, "types=setup_link.created,setup_link.revoked").await;
    let seen: Vec<(&str, &str)> =
        links.iter().map(|e| (e["type"].as_str().unwrap(), e["source"].as_str().unwrap())).collect();
    assert_eq!(
        seen,
        [
            ("setup_link.created", "admin"),
            ("setup_link.revoked", "admin"),
            ("setup_link.created", "admin"),
            ("setup_link.revoked", "api")
        ]
    );
    assert!(links.iter().all(|e| e["data"].get("url").is_none() && e["data"].get("token").is_none()));
}

/// Identical PATCHes at once (a directory retrying, or sending twice):
/// one `group.member_added` per member actually added, one
/// `group.member_removed` per member actually removed.
#[actix_web::test]
async fn a_member_added_or_removed_by_several_requests_at_once_has_one_event() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Options {
        scim_requests_per_second: Some(0),
        ..Default::default()
    })
    .await;
    let key = read_key(&app).await;
    let s = app.scim_org("Acme", "acme.com").await;
    let body = json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bob@acme.com", "active": true });
    let (status, bob) = app.scim(&s, Method::POST, "/Users", Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{bob}");
    let bob = bob["id"].as_str().unwrap().to_owned();
    let group = json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Ops" });
    let (_, g) = app.scim(&s, Method::POST, "/Groups", Some(&group)).await;
    let path = format!("/Groups/{}", g["id"].as_str().unwrap());
    for op in ["add", "remove"] {
        let value = if op == "add" { json!([{ "value": bob }]) } else { json!(null) };
        let operation = if op == "add" {
            json!({ "op": "add", "path": "members", "value": value })
        } else {
            json!({ "op": "remove", "path": format!("members[value eq \"{bob}\"]") })
        };
        let patch = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [operation] });
        let sent = (0..6).map(|_| app.scim(&s, Method::PATCH, &path, Some(&patch)));
        for (status, body) in futures_util::future::join_all(sent).await {
            assert!(status == StatusCode::OK || status == StatusCode::NO_CONTENT, "{status}: {body}");
        }
    }
    let events = feed(&app, &key, "types=group.member_added,group.member_removed").await;
    assert_eq!(types(&events), ["group.member_added", "group.member_removed"], "{events:?}");
    let versions: Vec<i64> = events.iter().map(|e| e["version"].as_i64().unwrap()).collect();
    assert_eq!(versions, [1, 2]);
}

/// A member shared with another organization keeps the account's own name
/// and email, so a directory that syncs a different name (every sync)
/// changes nothing an event would show: no `member.updated`, while a
/// suspension still is one.
#[actix_web::test]
async fn a_shared_members_directory_profile_is_no_member_event() {
    let app = spawn_app().await;
    let key = read_key(&app).await;
    let s = app.scim_org("Acme", "acme.com").await;
    assert_eq!(app.invite_and_accept(&s.admin, "bob@acme.com").await.0, StatusCode::CREATED);
    let globex = app.signup("Globex", "hank@globex.com").await;
    let (status, joined) = app.invite_and_accept(&globex, "bob@acme.com").await;
    assert!(status.is_success(), "{status}: {joined}");
    let user = |given: &str, active: bool| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bob@acme.com",
            "name": { "givenName": given, "familyName": "Tables" },
            "emails": [{ "value": "bob@acme.com", "type": "work", "primary": true }], "active": active
        })
    };
    let (status, created) = app.scim(&s, Method::POST, "/Users", Some(&user("Robert", true))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let path = format!("/Users/{}", created["id"].as_str().unwrap());
    let before = feed(&app, &key, &format!("organization_id={}&types=member.updated", s.admin.org_id)).await.len();
    for given in ["Robert", "Robert", "Bobby"] {
        let (status, body) = app.scim(&s, Method::PUT, &path, Some(&user(given, true))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = app.scim(&s, Method::PUT, &path, Some(&user("Bobby", false))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let after =
        feed(&app, &key, &format!("organization_id={}&types=member.updated,member.suspended", s.admin.org_id)).await;
    assert_eq!(after.len() - before, 1, "{after:?}");
    let last = after.last().unwrap();
    assert_eq!(
        (last["type"].as_str(), last["data"]["name"].as_str()),
        (Some("member.suspended"), Some("Invited Person"))
    );
}

/// The changes around members and setup: invites sent, sent again and
/// revoked (also because their sender stopped being an Administrator),
/// Require SSO, a setup link opened and completed, the SCIM token made.
#[actix_web::test]
async fn invites_require_sso_and_setup_progress_are_events() {
    use crate::helpers::token_of;
    let app = spawn_app().await;
    let key = read_key(&app).await;
    let s = app.scim_org("Acme", "acme.com").await;
    let org = format!("/api/v1/organizations/{}", s.admin.org_id);
    let (_, carol) =
        app.post(&format!("{org}/invites"), &json!({ "email": "carol@acme.com" }), Some(&s.admin.token)).await;
    let carol = carol["id"].as_str().unwrap().to_owned();
    let (status, _) = app.post(&format!("{org}/invites/{carol}/resend"), &json!({}), Some(&s.admin.token)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.send(Method::DELETE, &format!("{org}/invites/{carol}"), None, Some(&s.admin.token)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // An Administrator's pending invite goes when they stop being one.
    assert_eq!(app.invite_and_accept(&s.admin, "bob@acme.com").await.0, StatusCode::CREATED);
    let (_, members) = app.get(&format!("{org}/members"), Some(&s.admin.token)).await;
    let bob_id = members["data"].as_array().unwrap().iter().find(|m| m["email"] == "bob@acme.com").unwrap()["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let member = format!("{org}/members/{bob_id}");
    app.send(Method::PATCH, &member, Some(&json!({ "role": "admin" })), Some(&s.admin.token)).await;
    let bob_login = app.login("bob@acme.com", crate::helpers::PASSWORD).await.1;
    let bob_token = bob_login["access_token"].as_str().unwrap().to_owned();
    let (status, _) = app.post(&format!("{org}/invites"), &json!({ "email": "dan@acme.com" }), Some(&bob_token)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app.send(Method::PATCH, &member, Some(&json!({ "role": "member" })), Some(&s.admin.token)).await;
    assert_eq!(status, StatusCode::OK);

    let invites = feed(&app, &key, "types=invite.sent,invite.resent,invite.revoked,invite.accepted").await;
    let seen: Vec<(&str, &str, &str)> = invites
        .iter()
        .map(|e| (e["type"].as_str().unwrap(), e["source"].as_str().unwrap(), e["data"]["email"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            ("invite.sent", "admin", "carol@acme.com"),
            ("invite.resent", "admin", "carol@acme.com"),
            ("invite.revoked", "admin", "carol@acme.com"),
            ("invite.sent", "admin", "bob@acme.com"),
            ("invite.accepted", "invite", "bob@acme.com"),
            ("invite.sent", "admin", "dan@acme.com"),
            ("invite.revoked", "system", "dan@acme.com"),
        ]
    );
    assert!(invites.iter().all(|e| !e.to_string().contains("token")), "{invites:?}");
    let versions: Vec<i64> = invites[..5].iter().map(|e| e["version"].as_i64().unwrap()).collect();
    assert_eq!(versions, [1, 2, 3, 1, 2], "one invite, counted up");
    assert!(invites[2]["data"]["revoked_at"].is_string() && invites[4]["data"]["accepted_at"].is_string());
    assert!(invites[3]["data"]["accepted_at"].is_null());

    // Setup: the SCIM link of `scim_org` completed, its token made; a new
    // SSO link opened.
    let setup = feed(&app, &key, "types=setup_link.opened,setup_link.completed,scim_token.created").await;
    let kinds: Vec<&str> = setup.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["setup_link.completed", "scim_token.created"], "{setup:?}");
    assert!(setup.iter().all(|e| e["source"] == "setup_link"));
    assert!(!setup[1].to_string().contains("gh_scim") && setup[1]["data"]["replaced_previous"] == false);
    crate::helpers::buy(&app, &s.admin, "sso").await;
    let (_, l) = crate::helpers::link(&app, &s.admin, "sso").await;
    let token = token_of(&l);
    for _ in 0..2 {
        assert_eq!(app.get(&format!("/api/v1/setup/{token}"), None).await.0, StatusCode::OK);
    }
    let opened = feed(&app, &key, "types=setup_link.opened").await;
    assert_eq!(opened.len(), 1, "the first opening only: {opened:?}");
    assert_eq!(opened[0]["data"]["status"], "opened");

    // Require SSO: off → on is refused here (no verified domain, no SSO),
    // so the break-glass list alone changes.
    let (_, members) = app.get(&format!("{org}/members"), Some(&s.admin.token)).await;
    let admin_id = members["data"].as_array().unwrap().iter().find(|m| m["role"] == "admin").unwrap()["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = json!({ "required": false, "break_glass_user_ids": [admin_id] });
    let (status, res) =
        app.send(Method::PUT, &format!("{org}/sso-enforcement"), Some(&body), Some(&s.admin.token)).await;
    assert_eq!(status, StatusCode::OK, "{res}");
    app.send(Method::PUT, &format!("{org}/sso-enforcement"), Some(&body), Some(&s.admin.token)).await;
    let enforcement = feed(&app, &key, "types=sso_enforcement.changed").await;
    assert_eq!(enforcement.len(), 1, "a change once, not a save that changes nothing: {enforcement:?}");
    assert_eq!(enforcement[0]["data"]["break_glass_user_ids"], json!([admin_id]));
    assert_eq!(enforcement[0]["data"]["required"], false);
    // A break-glass Administrator demoted, or removed, is off the list: so says an event.
    let both = json!({ "required": false, "break_glass_user_ids": [admin_id, bob_id] });
    for leave in [Method::PATCH, Method::DELETE] {
        app.send(Method::PATCH, &member, Some(&json!({ "role": "admin" })), Some(&s.admin.token)).await;
        let (status, res) =
            app.send(Method::PUT, &format!("{org}/sso-enforcement"), Some(&both), Some(&s.admin.token)).await;
        assert_eq!(status, StatusCode::OK, "{res}");
        let demote = json!({ "role": "member" });
        let body = (leave == Method::PATCH).then_some(&demote);
        let (status, res) = app.send(leave, &member, body, Some(&s.admin.token)).await;
        assert!(status.is_success(), "{status} {res}");
    }
    let enforcement = feed(&app, &key, "types=sso_enforcement.changed").await;
    let lists: Vec<&Value> = enforcement.iter().map(|e| &e["data"]["break_glass_user_ids"]).collect();
    let (one, two) = (json!([admin_id]), json!([admin_id, bob_id]));
    assert_eq!(lists, [&one, &two, &one, &two, &one], "{enforcement:?}");
    assert!(enforcement.iter().all(|e| e["source"] == "admin" && e["version"].is_i64()));
}
