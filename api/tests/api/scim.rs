//! Directory Sync: credentials, the SCIM server, provisioning into the
//! organization, tenancy and limits.

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Options, Scim, TestApp, buy, captured_logs, link, spawn_app, spawn_app_with, token_of};

fn user(user_name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": { "givenName": "Ada", "familyName": "Lovelace" },
        "emails": [{ "value": user_name, "type": "work", "primary": true }],
        "active": true
    })
}

async fn create(app: &TestApp, s: &Scim, body: &Value) -> Value {
    let (status, created) = app.scim(s, Method::POST, "/Users", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn directory_sync(app: &TestApp, s: &Scim) -> Value {
    let (status, p) =
        app.get(&format!("/api/v1/organizations/{}/provisioning", s.admin.org_id), Some(&s.admin.token)).await;
    assert_eq!(status, StatusCode::OK);
    p["directory_sync"].clone()
}

async fn members(app: &TestApp, s: &Scim) -> Vec<Value> {
    let (status, m) = app.get(&format!("/api/v1/organizations/{}/members", s.admin.org_id), Some(&s.admin.token)).await;
    assert_eq!(status, StatusCode::OK, "{m}");
    m["data"].as_array().unwrap().clone()
}

fn member<'a>(list: &'a [Value], email: &str) -> Option<&'a Value> {
    list.iter().find(|m| m["email"] == email)
}

#[actix_web::test]
async fn credentials_are_shown_once_stored_hashed_and_replaced() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    assert!(s.token.starts_with("gh_scim_") && s.token.len() > 40);
    let (status, _) = app.scim(&s, Method::GET, "/ServiceProviderConfig", None).await;
    assert_eq!(status, StatusCode::OK);

    // The stored value is a hash, and nothing logged the token.
    let db = &app.state.db;
    use sea_orm::{ConnectionTrait, Statement};
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT token_hash FROM scim_tokens"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let stored: String = rows[0].try_get("", "token_hash").unwrap();
    assert_ne!(stored, s.token);
    assert!(!stored.contains(&s.token[8..]));
    assert!(!captured_logs().contains(&s.token[8..]), "the token reached a log line");

    // Generating again (from a new link) revokes the old token.
    let (_, l) = link(&app, &s.admin, "scim").await;
    let setup = token_of(&l);
    let (_, info) = app.get(&format!("/api/v1/setup/{setup}"), None).await;
    assert!(info["scim_token_created_at"].is_string(), "{info}");
    let (status, again) = app.post(&format!("/api/v1/setup/{setup}/scim-credentials"), &json!({}), None).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, err) = app.scim(&s, Method::GET, "/Users", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(err["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
    assert_eq!(err["status"], "401");
    let fresh = Scim { token: again["bearer_token"].as_str().unwrap().to_owned(), ..s };
    assert_eq!(app.scim(&fresh, Method::GET, "/Users", None).await.0, StatusCode::OK);
}

/// The common misconfiguration: a new token was generated but the identity
/// provider still sends the old one. The tab says so, in words, until the
/// current token is used; a stranger's wrong token changes nothing.
#[actix_web::test]
async fn a_directory_sending_a_replaced_token_is_an_error_until_it_sends_the_current_one() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    assert_eq!(app.scim(&s, Method::GET, "/Users", None).await.0, StatusCode::OK);
    let activated = directory_sync(&app, &s).await["activated_at"].clone();
    let (_, l) = link(&app, &s.admin, "scim").await;
    let (status, again) = app.post(&format!("/api/v1/setup/{}/scim-credentials", token_of(&l)), &json!({}), None).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");

    let (status, _) = app.scim_as("gh_scim_guessed", Method::GET, &format!("{}/Users", s.base), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(directory_sync(&app, &s).await["status"], "active", "an unknown token is not this directory's error");

    app.clock.advance(Duration::minutes(5));
    let (status, err) = app.scim(&s, Method::GET, "/Users", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(err["detail"].as_str().unwrap().contains("was replaced on"), "{err}");
    let ds = directory_sync(&app, &s).await;
    assert_eq!(ds["status"], "error", "{ds}");
    let reason = ds["reason"].as_str().unwrap();
    assert!(reason.contains("replaced") && reason.contains("current token"), "{reason}");
    assert!(!reason.contains(&s.token[8..]), "no token in the reason");
    // Still refused, and written once.
    assert_eq!(app.scim(&s, Method::GET, "/Users", None).await.0, StatusCode::UNAUTHORIZED);
    let errors = app.audit_actions(&s.admin).await.iter().filter(|a| *a == "directory_sync.error").count();
    assert_eq!(errors, 1);

    let fresh = Scim { token: again["bearer_token"].as_str().unwrap().to_owned(), ..s };
    assert_eq!(app.scim(&fresh, Method::GET, "/Users", None).await.0, StatusCode::OK);
    let ds = directory_sync(&app, &fresh).await;
    assert_eq!(ds["status"], "active", "{ds}");
    assert!(ds.get("reason").is_none_or(Value::is_null), "{ds}");
    assert_eq!(ds["activated_at"], activated, "recovering keeps the first activation time");

    // Replaced tokens are remembered for 90 days: after that one is just
    // unknown, and generating a token forgets it for good.
    app.clock.advance(Duration::days(91));
    let (_, signed) = app.login("admin@acme.com", crate::helpers::PASSWORD).await;
    let admin = crate::helpers::Signed { token: signed["access_token"].as_str().unwrap().to_owned(), ..fresh.admin };
    let (status, err) = app.scim_as(&s.token, Method::GET, &format!("{}/Users", fresh.base), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(err["detail"].as_str().unwrap().contains("not valid"), "{err}");
    let (_, p) = app.get(&format!("/api/v1/organizations/{}/provisioning", admin.org_id), Some(&admin.token)).await;
    assert_eq!(p["directory_sync"]["status"], "active", "{p}");
    let (_, l) = link(&app, &admin, "scim").await;
    let (status, _) = app.post(&format!("/api/v1/setup/{}/scim-credentials", token_of(&l)), &json!({}), None).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(app.count("scim_replaced_tokens").await, 1, "only the token replaced just now");
    let (status, err) = app.scim_as(&s.token, Method::GET, &format!("{}/Users", fresh.base), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(err["detail"].as_str().unwrap().contains("not valid"), "{err}");
}

#[actix_web::test]
async fn an_sso_link_cannot_issue_scim_credentials() {
    let app = spawn_app().await;
    let admin = app.ready_org("Acme", "acme.com").await;
    buy(&app, &admin, "both").await;
    let (_, l) = link(&app, &admin, "sso").await;
    let (status, body) = app.post(&format!("/api/v1/setup/{}/scim-credentials", token_of(&l)), &json!({}), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(app.count("scim_tokens").await, 0);
}

#[actix_web::test]
async fn first_authenticated_request_activates_and_activity_is_written_sparingly() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    assert_eq!(directory_sync(&app, &s).await["status"], "awaiting");
    let (status, _) = app.scim_as("gh_scim_wrong", Method::GET, &format!("{}/Users", s.base), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.client.get(format!("{}/Users", s.base)).send().await.map(|r| (r.status(), ())).unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(directory_sync(&app, &s).await["status"], "awaiting", "failed auth does not activate");

    let t0 = app.clock_now();
    app.scim(&s, Method::GET, "/Users", None).await;
    let ds = directory_sync(&app, &s).await;
    assert_eq!(ds["status"], "active");
    assert_eq!(ds["activated_at"], ds["last_activity_at"]);
    let (_, events) =
        app.get(&format!("/api/v1/organizations/{}/audit-events", s.admin.org_id), Some(&s.admin.token)).await;
    assert!(
        events["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "directory_sync.activated" && e["actor"] == "directory")
    );

    app.clock.advance(Duration::seconds(30));
    app.scim(&s, Method::GET, "/Users", None).await;
    let first = directory_sync(&app, &s).await["last_activity_at"].clone();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(first.as_str().unwrap()).unwrap(),
        t0,
        "not rewritten within a minute"
    );
    app.clock.advance(Duration::seconds(31));
    app.scim(&s, Method::GET, "/Users", None).await;
    let later = directory_sync(&app, &s).await["last_activity_at"].clone();
    assert_eq!(chrono::DateTime::parse_from_rfc3339(later.as_str().unwrap()).unwrap(), t0 + Duration::seconds(61));
}

#[actix_web::test]
async fn provisioned_users_become_members_with_the_default_plan() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    let mut body = user("Ada@Acme.com");
    body["roles"] = json!([{ "value": "admin" }]);
    body["externalId"] = json!("okta-00u1");
    let created = create(&app, &s, &body).await;
    let id = created["id"].as_str().unwrap();
    assert!(id.starts_with("dus_"));
    assert_eq!(created["userName"], "Ada@Acme.com");
    assert_eq!(created["externalId"], "okta-00u1");
    assert_eq!(created["meta"]["resourceType"], "User");
    assert_eq!(created["meta"]["location"], format!("{}/Users/{id}", s.base));
    assert_eq!(created["meta"]["version"], "W/\"1\"");

    let list = members(&app, &s).await;
    let m = member(&list, "ada@acme.com").expect("a member");
    assert_eq!((m["plan_id"].as_str(), m["role"].as_str()), (Some("plan_core"), Some("admin")));
    assert_eq!((m["directory_managed"].as_bool(), m["suspended"].as_bool()), (Some(true), Some(false)));
    assert_eq!(m["name"], "Ada Lovelace");

    // userName is unique per organization, case-insensitively.
    let (status, err) = app.scim(&s, Method::POST, "/Users", Some(&user("ada@acme.com"))).await;
    assert_eq!((status, err["scimType"].as_str()), (StatusCode::CONFLICT, Some("uniqueness")), "{err}");

    let (_, events) =
        app.get(&format!("/api/v1/organizations/{}/audit-events", s.admin.org_id), Some(&s.admin.token)).await;
    assert!(
        events["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "directory.user.created" && e["actor"] == "directory")
    );
}

#[actix_web::test]
async fn users_outside_the_domains_are_refused_and_nothing_is_saved() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    let before = (app.count("users").await, app.count("memberships").await, app.count("directory_users").await);
    let (status, err) = app.scim(&s, Method::POST, "/Users", Some(&user("eve@evil.example"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(err["scimType"], "invalidValue");
    assert!(err["detail"].as_str().unwrap().contains("evil.example"), "{err}");
    let (status, err) = app.scim(&s, Method::POST, "/Users", Some(&json!({ "userName": "no-email" }))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    let (status, err) =
        app.scim(&s, Method::POST, "/Users", Some(&json!({ "emails": [{ "value": "a@acme.com" }] }))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert!(err["detail"].as_str().unwrap().contains("userName"));
    let (status, err) =
        app.scim(&s, Method::POST, "/Users", Some(&json!({ "userName": "a@acme.com", "active": "sometimes" }))).await;
    assert_eq!((status, err["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidValue")));
    let (status, err) = app.scim_as(&s.token, Method::POST, &format!("{}/Users", s.base), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    let after = (app.count("users").await, app.count("memberships").await, app.count("directory_users").await);
    assert_eq!(before, after);
}

#[actix_web::test]
async fn suspension_ends_sessions_and_delete_disconnects_but_keeps_the_account() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    // An existing member with a password (invited earlier) is taken over by the directory.
    let (_, inv) = app
        .post(
            &format!("/api/v1/organizations/{}/invites", s.admin.org_id),
            &json!({ "email": "bob@acme.com", "role": "member" }),
            Some(&s.admin.token),
        )
        .await;
    let invite = inv["token"].as_str().unwrap().to_owned();
    let (status, joined) = app
        .post(
            "/api/v1/invites/accept",
            &json!({ "token": invite, "name": "Bob", "password": "correct horse battery" }),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{joined}");
    let bob_token = joined["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v1/me", Some(&bob_token)).await.0, StatusCode::OK);

    let created = create(&app, &s, &user("bob@acme.com")).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let users_before = app.count("users").await;

    let patch = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{ "op": "Replace", "path": "active", "value": "False" }] });
    let (status, patched) = app.scim(&s, Method::PATCH, &format!("/Users/{id}"), Some(&patch)).await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["active"], false);
    assert_eq!(patched["meta"]["version"], "W/\"2\"");
    assert_eq!(app.get("/api/v1/me", Some(&bob_token)).await.0, StatusCode::UNAUTHORIZED, "sessions ended");
    let list = members(&app, &s).await;
    assert_eq!(member(&list, "bob@acme.com").unwrap()["suspended"], true);
    // Signing in again does not reopen the organization.
    let (_, login) = app.login("bob@acme.com", "correct horse battery").await;
    let again = login["access_token"].as_str().unwrap().to_owned();
    let (_, me) = app.get("/api/v1/me", Some(&again)).await;
    assert_eq!(me["memberships"], json!([]));

    let reactivate = json!({ "Operations": [{ "op": "replace", "value": { "active": true } }] });
    let (status, _) = app.scim(&s, Method::PATCH, &format!("/Users/{id}"), Some(&reactivate)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, me) = app.get("/api/v1/me", Some(&again)).await;
    assert_eq!(me["memberships"].as_array().map(Vec::len), Some(1));

    // Bob was invited, then taken over: a DELETE detaches him (he stays a
    // member, no longer managed by the directory).
    let (status, _) = app.scim(&s, Method::DELETE, &format!("/Users/{id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.scim(&s, Method::GET, &format!("/Users/{id}"), None).await.0, StatusCode::NOT_FOUND);
    let list = members(&app, &s).await;
    let bob = member(&list, "bob@acme.com").expect("detached, not removed");
    assert_eq!((bob["directory_managed"].as_bool(), bob["suspended"].as_bool()), (Some(false), Some(true)), "{bob}");
    assert_eq!(app.count("users").await, users_before, "the account is kept");
    // A member the directory created is disconnected by its DELETE.
    let made = create(&app, &s, &user("cy@acme.com")).await["id"].as_str().unwrap().to_owned();
    assert_eq!(app.scim(&s, Method::DELETE, &format!("/Users/{made}"), None).await.0, StatusCode::NO_CONTENT);
    assert!(member(&members(&app, &s).await, "cy@acme.com").is_none(), "disconnected");
    assert_eq!(app.scim(&s, Method::DELETE, &format!("/Users/{id}"), None).await.0, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn filters_pagination_and_attribute_selection() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    for (i, name) in ["ann", "bob", "cat", "dan", "eve"].iter().enumerate() {
        let mut u = user(&format!("{name}@acme.com"));
        u["title"] = json!(if i % 2 == 0 { "Engineer" } else { "Manager" });
        create(&app, &s, &u).await;
    }
    let get = |q: &str| {
        let q = q.to_owned();
        let app = &app;
        let s = &s;
        async move { app.scim(s, Method::GET, &format!("/Users?{q}"), None).await }
    };
    let (status, page) = get("startIndex=2&count=2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (page["totalResults"].as_u64(), page["itemsPerPage"].as_u64(), page["startIndex"].as_u64()),
        (Some(5), Some(2), Some(2))
    );
    assert_eq!(page["Resources"][0]["userName"], "bob@acme.com");
    assert_eq!(page["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:ListResponse");

    let names = |v: &Value| {
        v["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["userName"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let (_, r) = get("filter=userName%20eq%20%22BOB%40acme.com%22").await;
    assert_eq!(names(&r), ["bob@acme.com"]);
    let (_, r) = get("filter=title%20eq%20%22engineer%22%20and%20not%20(userName%20sw%20%22a%22)").await;
    assert_eq!(names(&r), ["cat@acme.com", "eve@acme.com"]);
    let (_, r) = get("filter=emails%5Btype%20eq%20%22work%22%20and%20value%20co%20%22dan%22%5D").await;
    assert_eq!(names(&r), ["dan@acme.com"]);
    // Microsoft Entra ID's matching filter: emails[type eq "work"].value eq "…".
    let (status, r) = get("filter=emails%5Btype%20eq%20%22work%22%5D.value%20eq%20%22Dan%40acme.com%22").await;
    assert_eq!((status, names(&r)), (StatusCode::OK, vec!["dan@acme.com".to_owned()]), "{r}");
    let (_, r) = get("filter=title%20eq%20%22Manager%22&count=1&startIndex=2").await;
    assert_eq!((r["totalResults"].as_u64(), names(&r)), (Some(2), vec!["dan@acme.com".to_owned()]));
    let (_, r) = get("count=0").await;
    assert_eq!((r["totalResults"].as_u64(), r["Resources"].as_array().map(Vec::len)), (Some(5), Some(0)));

    let (_, r) = get("attributes=userName&count=1").await;
    let keys: Vec<&String> = r["Resources"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "schemas", "userName"]);
    let (_, r) = get("excludedAttributes=emails,name&count=1").await;
    assert!(r["Resources"][0].get("emails").is_none() && r["Resources"][0]["title"].is_string());

    let (status, r) = app
        .scim(
            &s,
            Method::POST,
            "/Users/.search",
            Some(&json!({ "filter": "title eq \"Manager\"", "attributes": ["userName"] })),
        )
        .await;
    assert_eq!((status, names(&r)), (StatusCode::OK, vec!["bob@acme.com".to_owned(), "dan@acme.com".to_owned()]));

    for bad in ["filter=userName%20eq", "filter=shoeSize%20gt%2010", "count=ten"] {
        let (status, err) = get(bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {err}");
    }
    let deep = format!("filter={}userName%20pr{}", "(".repeat(40), ")".repeat(40));
    let (status, err) = get(&deep).await;
    assert_eq!((status, err["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidFilter")));
}

#[actix_web::test]
async fn groups_hold_members() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    let a = create(&app, &s, &user("a@acme.com")).await["id"].as_str().unwrap().to_owned();
    let b = create(&app, &s, &user("b@acme.com")).await["id"].as_str().unwrap().to_owned();
    let (status, g) = app
        .scim(&s, Method::POST, "/Groups", Some(&json!({ "displayName": "Engineering", "members": [{ "value": a }] })))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let gid = g["id"].as_str().unwrap().to_owned();
    assert_eq!(g["members"][0]["value"], a.as_str());
    assert_eq!(g["members"][0]["$ref"], format!("{}/Users/{a}", s.base));

    let add = json!({ "Operations": [{ "op": "add", "path": "members", "value": [{ "value": b }] }] });
    let (status, g) = app.scim(&s, Method::PATCH, &format!("/Groups/{gid}"), Some(&add)).await;
    assert_eq!((status, g["members"].as_array().map(Vec::len)), (StatusCode::OK, Some(2)));
    let (_, u) = app.scim(&s, Method::GET, &format!("/Users/{b}"), None).await;
    assert_eq!(u["groups"][0]["display"], "Engineering");
    let (_, r) = app
        .scim(&s, Method::GET, "/Groups?filter=displayName%20eq%20%22engineering%22&excludedAttributes=members", None)
        .await;
    assert_eq!(r["totalResults"], 1);
    assert!(r["Resources"][0].get("members").is_none());

    let unknown = json!({ "Operations": [{ "op": "add", "path": "members", "value": [{ "value": "dus_00000000000000000000000000000000" }] }] });
    let (status, err) = app.scim(&s, Method::PATCH, &format!("/Groups/{gid}"), Some(&unknown)).await;
    assert_eq!((status, err["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidValue")));

    // Deleting a user removes them from groups.
    app.scim(&s, Method::DELETE, &format!("/Users/{a}"), None).await;
    let (_, g) = app.scim(&s, Method::GET, &format!("/Groups/{gid}"), None).await;
    assert_eq!(
        g["members"].as_array().map(|m| m.iter().map(|x| x["value"].clone()).collect::<Vec<_>>()),
        Some(vec![json!(b)])
    );
    let (status, _) = app.scim(&s, Method::DELETE, &format!("/Groups/{gid}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.count("directory_group_members").await, 0);
}

#[actix_web::test]
async fn one_organization_never_sees_or_changes_another() {
    let app = spawn_app().await;
    let a = app.scim_org("Acme", "acme.com").await;
    let b = app.scim_org("Globex", "globex.com").await;
    let ua = create(&app, &a, &user("ann@acme.com")).await["id"].as_str().unwrap().to_owned();
    let (_, ga) = app.scim(&a, Method::POST, "/Groups", Some(&json!({ "displayName": "A-team" }))).await;
    let ga = ga["id"].as_str().unwrap().to_owned();
    create(&app, &b, &user("bo@globex.com")).await;

    // B's token, A's objects.
    for (method, path, body) in [
        (Method::GET, format!("/Users/{ua}"), None),
        (Method::PUT, format!("/Users/{ua}"), Some(user("ann@acme.com"))),
        (
            Method::PATCH,
            format!("/Users/{ua}"),
            Some(json!({ "Operations": [{ "op": "replace", "path": "active", "value": false }] })),
        ),
        (Method::DELETE, format!("/Users/{ua}"), None),
        (Method::GET, format!("/Groups/{ga}"), None),
        (
            Method::PATCH,
            format!("/Groups/{ga}"),
            Some(json!({ "Operations": [{ "op": "replace", "path": "displayName", "value": "x" }] })),
        ),
        (Method::DELETE, format!("/Groups/{ga}"), None),
    ] {
        let (status, _) = app.scim(&b, method.clone(), &path, body.as_ref()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
    }
    let (_, list) = app.scim(&b, Method::GET, "/Users", None).await;
    assert_eq!(list["totalResults"], 1);
    let (_, list) = app.scim(&b, Method::GET, &format!("/Users?filter=id%20eq%20%22{ua}%22"), None).await;
    assert_eq!(list["totalResults"], 0);
    let (_, list) = app.scim(&b, Method::GET, "/Groups", None).await;
    assert_eq!(list["totalResults"], 0);
    // B cannot put A's user in its group, nor provision into A's domain.
    let (status, _) =
        app.scim(&b, Method::POST, "/Groups", Some(&json!({ "displayName": "B", "members": [{ "value": ua }] }))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app.scim(&b, Method::POST, "/Users", Some(&user("mallory@acme.com"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A is untouched.
    let (_, u) = app.scim(&a, Method::GET, &format!("/Users/{ua}"), None).await;
    assert_eq!(u["active"], true);
}

#[actix_web::test]
async fn revoked_directory_sync_is_refused_until_turned_back_on() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    let toggle = |feature: &str, enabled: bool| {
        let url = app.url(&format!("/api/v1/organizations/{}/integrations/{feature}", s.admin.org_id));
        app.client.put(url).bearer_auth(&s.admin.token).json(&json!({ "enabled": enabled })).send()
    };
    assert_eq!(toggle("directory-sync", false).await.unwrap().status(), StatusCode::OK);
    let (status, err) = app.scim(&s, Method::GET, "/Users", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(err["detail"].as_str().unwrap().contains("turned off"));
    assert_eq!(toggle("directory-sync", true).await.unwrap().status(), StatusCode::OK);
    assert_eq!(app.scim(&s, Method::GET, "/Users", None).await.0, StatusCode::OK, "the same token works again");
}

#[actix_web::test]
async fn limits_answer_scim_errors() {
    let app = spawn_app_with(Options { scim_requests_per_second: Some(2), ..Options::default() }).await;
    let s = app.scim_org("Acme", "acme.com").await;
    let big = json!({ "userName": "x@acme.com", "title": "x".repeat(1 << 20) });
    let (status, err) = app.scim(&s, Method::POST, "/Users", Some(&big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(err["status"], "413");
    // The burst is twice the rate; the clock is frozen, so the bucket stays empty.
    let mut last = (StatusCode::OK, Value::Null);
    for _ in 0..4 {
        last = app.scim(&s, Method::GET, "/ServiceProviderConfig", None).await;
    }
    assert_eq!(last.0, StatusCode::TOO_MANY_REQUESTS, "{}", last.1);
    let res = app.client.get(format!("{}/Users", s.base)).bearer_auth(&s.token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().get("retry-after").is_some());
    app.clock.advance(Duration::seconds(1));
    assert_eq!(app.scim(&s, Method::GET, "/ServiceProviderConfig", None).await.0, StatusCode::OK);
}

#[actix_web::test]
async fn discovery_and_unknown_paths() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    let res = app.client.get(format!("{}/ServiceProviderConfig", s.base)).bearer_auth(&s.token).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "application/scim+json");
    let spc: Value = res.json().await.unwrap();
    assert_eq!((spc["patch"]["supported"].as_bool(), spc["filter"]["maxResults"].as_u64()), (Some(true), Some(1000)));
    let (_, types) = app.scim(&s, Method::GET, "/ResourceTypes", None).await;
    assert_eq!(types["totalResults"], 2);
    let (_, schemas) = app.scim(&s, Method::GET, "/Schemas", None).await;
    assert_eq!(schemas["totalResults"], 3);
    let (status, one) = app.scim(&s, Method::GET, "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", None).await;
    assert_eq!((status, one["name"].as_str()), (StatusCode::OK, Some("User")));
    let (status, err) = app.scim(&s, Method::GET, "/Nope", None).await;
    assert_eq!((status, err["status"].as_str()), (StatusCode::NOT_FOUND, Some("404")));
    let (status, _) = app.scim(&s, Method::GET, "/Users/dus_00000000000000000000000000000000", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// scim2-tester (PyPI) against this server, from the project's `.venv`.
/// `just test` runs it on SQLite and PostgreSQL and shows its tally.
#[actix_web::test]
#[ignore = "needs ./.venv with scim2-tester: run by `just test` (or `just scim-conformance`)"]
async fn scim2_tester_finds_no_errors() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let python = root.join(".venv/bin/python");
    assert!(python.exists(), "{} is missing: run `just tools`", python.display());
    let app = spawn_app_with(Options { scim_requests_per_second: Some(0), ..Options::default() }).await;
    let s = app.scim_org("Conformance", "conformance-acme.com").await;
    let out = tokio::process::Command::new(python)
        .arg(root.join("scripts/scim_conformance.py"))
        .args([&s.base, &s.token, &s.domain])
        .args(std::env::var("SCIM_CONFORMANCE_VERBOSE").ok().map(|_| "-v"))
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "scim2-tester reported errors");
}

#[actix_web::test]
async fn concurrent_creates_commit_together_and_a_clash_fails_alone() {
    let app = spawn_app_with(Options { scim_requests_per_second: Some(0), ..Options::default() }).await;
    let s = app.scim_org("Acme", "acme.com").await;
    let audit_before = app.count("audit_events").await;
    let mut names: Vec<String> = (0..24).map(|i| format!("user{i}@acme.com")).collect();
    names.push("user3@acme.com".to_owned()); // the same person twice
    names.push("USER7@acme.com".to_owned()); // userName is case-insensitive
    let requests = names.iter().map(|n| {
        let body = user(n);
        let app = &app;
        let s = &s;
        async move { app.scim(s, Method::POST, "/Users", Some(&body)).await }
    });
    let results = futures_util::future::join_all(requests).await;
    let created = results.iter().filter(|(st, _)| *st == StatusCode::CREATED).count();
    let clashes: Vec<&Value> = results.iter().filter(|(st, _)| *st == StatusCode::CONFLICT).map(|(_, b)| b).collect();
    assert_eq!((created, clashes.len()), (24, 2), "{results:?}");
    assert!(clashes.iter().all(|b| b["scimType"] == "uniqueness"));
    assert_eq!(app.count("directory_users").await, 24);
    assert_eq!(app.count("memberships").await, 25, "24 members and the admin");
    assert_eq!(app.count("audit_events").await - audit_before, 24 + 1, "one per user, plus the activation");
    assert_eq!(
        app.count_where("events", "type = 'member.created' AND source = 'scim'").await,
        24,
        "one event per user written, none for a clash"
    );
    let (_, list) = app.scim(&s, Method::GET, "/Users?count=0", None).await;
    assert_eq!(list["totalResults"], 24);
}

/// The batch writer through sea-orm (PostgreSQL here when the suite runs
/// on it): a batch is first written without savepoints; when one job is
/// refused, nothing of that try is kept and each job goes again in its own
/// savepoint, so only the refused one fails.
#[actix_web::test]
async fn a_batch_with_a_refused_job_writes_every_other_job() {
    use api::db::batch::{BatchError, Batcher};
    use sea_orm::sea_query::{Alias, Query};
    use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
    let app = spawn_app().await;
    let db = app.state.db.clone();
    db.execute_unprepared("CREATE TABLE batch_t (id VARCHAR(8) PRIMARY KEY)").await.unwrap();
    let gate = std::sync::Arc::new(tokio::sync::Mutex::new(()));
    let batcher = Batcher::start(db.clone(), gate.clone(), None).unwrap();
    let insert = |id: &str| {
        Query::insert()
            .into_table(Alias::new("batch_t"))
            .columns([Alias::new("id")])
            .values_panic([id.into()])
            .to_owned()
    };
    // Hold the writer up on the first job, so the next ones queue into one batch.
    let held_gate = gate.clone().lock_owned().await;
    let held_table = db.begin().await.unwrap();
    if db.get_database_backend() == DbBackend::Postgres {
        held_table.execute_unprepared("LOCK TABLE batch_t IN EXCLUSIVE MODE").await.unwrap();
    }
    let first = tokio::spawn({
        let (b, s) = (batcher.clone(), vec![insert("a")]);
        async move { b.insert(s).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let jobs = [vec![insert("b"), insert("c")], vec![insert("d"), insert("a")], vec![insert("e")]];
    let rest: Vec<_> = jobs
        .into_iter()
        .map(|s| {
            let b = batcher.clone();
            tokio::spawn(async move { b.insert(s).await })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    drop(held_gate);
    held_table.commit().await.unwrap();
    assert!(first.await.unwrap().is_ok());
    let mut outcomes = Vec::new();
    for r in rest {
        outcomes.push(r.await.unwrap());
    }
    assert!(
        outcomes[0].is_ok() && matches!(outcomes[1], Err(BatchError::Unique)) && outcomes[2].is_ok(),
        "{outcomes:?}"
    );
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT id FROM batch_t ORDER BY id"))
        .await
        .unwrap();
    let ids: Vec<String> = rows.iter().map(|r| r.try_get::<String>("", "id").unwrap()).collect();
    assert_eq!(ids, ["a", "b", "c", "e"], "the refused job's first row is not kept");
}

#[actix_web::test]
async fn the_directory_cannot_suspend_demote_or_remove_the_last_active_administrator() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    let refused = |status: StatusCode, err: &Value| {
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        let detail = err["detail"].as_str().unwrap();
        assert!(detail.contains("admin@acme.com") && detail.contains("last active Administrator"), "{detail}");
    };
    let still_admin = |list: &[Value], email: &str| {
        let m = member(list, email).expect("still a member");
        assert_eq!((m["role"].as_str(), m["suspended"].as_bool()), (Some("admin"), Some(false)), "{m}");
    };
    app.scim(&s, Method::GET, "/Users", None).await; // activates Directory Sync (an audit event)
    let before = (app.count("directory_users").await, app.count("audit_events").await);

    // Taking over the only Administrator as inactive: refused, nothing saved.
    let mut inactive = user("admin@acme.com");
    inactive["active"] = json!(false);
    let (status, err) = app.scim(&s, Method::POST, "/Users", Some(&inactive)).await;
    refused(status, &err);
    assert_eq!((app.count("directory_users").await, app.count("audit_events").await), before);

    let mut body = user("admin@acme.com");
    body["roles"] = json!([{ "value": "admin" }]);
    let a = create(&app, &s, &body).await["id"].as_str().unwrap().to_owned();
    let events = app.count("audit_events").await;
    let op = |path: &str, value: Value| {
        json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{ "op": "replace", "path": path, "value": value }] })
    };
    for patch in [op("active", json!(false)), op("roles", json!([]))] {
        let (status, err) = app.scim(&s, Method::PATCH, &format!("/Users/{a}"), Some(&patch)).await;
        refused(status, &err);
    }
    still_admin(&members(&app, &s).await, "admin@acme.com");
    assert_eq!(app.get("/api/v1/me", Some(&s.admin.token)).await.0, StatusCode::OK, "sessions were not ended");
    assert_eq!(app.count("audit_events").await, events, "nothing recorded");
    let (_, stored) = app.scim(&s, Method::GET, &format!("/Users/{a}"), None).await;
    assert_eq!((stored["active"].as_bool(), stored["roles"][0]["value"].as_str()), (Some(true), Some("admin")));

    // With another active Administrator the first can be suspended; then
    // the other is the last one.
    let mut body = user("ops@acme.com");
    body["roles"] = json!([{ "value": "admin" }]);
    let b = create(&app, &s, &body).await["id"].as_str().unwrap().to_owned();
    let (status, patched) =
        app.scim(&s, Method::PATCH, &format!("/Users/{a}"), Some(&op("active", json!(false)))).await;
    assert_eq!((status, patched["active"].as_bool()), (StatusCode::OK, Some(false)), "{patched}");
    // (ops@ was created by the directory: its DELETE would remove them.)
    let (status, err) = app.scim(&s, Method::DELETE, &format!("/Users/{b}"), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert!(err["detail"].as_str().unwrap().contains("ops@acme.com"), "{err}");
    // The first, who signed up and was only taken over, is detached by a
    // DELETE, never removed: still an Administrator (suspended above).
    let memberships = app.count("memberships").await;
    assert_eq!(app.scim(&s, Method::DELETE, &format!("/Users/{a}"), None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.scim(&s, Method::GET, &format!("/Users/{a}"), None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.count("memberships").await, memberships, "detached, still a member");
    // (The suspended admin's session has ended, so the directory's view.)
    let (status, stored) = app.scim(&s, Method::GET, &format!("/Users/{b}"), None).await;
    assert_eq!((status, stored["active"].as_bool()), (StatusCode::OK, Some(true)), "{stored}");
}

#[actix_web::test]
async fn the_members_list_pages_in_joining_order_with_a_stable_cursor() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    // Several members join within the same second (ties on the time).
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(create(&app, &s, &user(&format!("p{i}@acme.com"))).await["id"].as_str().unwrap().to_owned());
    }
    let list = |query: String| {
        let app = &app;
        let org = s.admin.org_id.clone();
        let token = s.admin.token.clone();
        async move { app.get(&format!("/api/v1/organizations/{org}/members{query}"), Some(&token)).await }
    };
    let emails = |page: &Value| -> Vec<String> {
        page["data"].as_array().unwrap().iter().map(|m| m["email"].as_str().unwrap().to_owned()).collect()
    };
    let (status, all) = list(String::new()).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["next_cursor"], Value::Null, "one page");
    let all = emails(&all);
    assert_eq!(all.len(), 7);
    assert_eq!(all[0], "admin@acme.com", "oldest first");

    // Two at a time; a member leaving between pages changes nothing else.
    let mut seen = Vec::new();
    let mut query = "?limit=2".to_owned();
    let mut pages = 0;
    loop {
        let (status, page) = list(query.clone()).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page["data"].as_array().unwrap().len() <= 2);
        seen.extend(emails(&page));
        pages += 1;
        if pages == 1 {
            let (status, _) = app.scim(&s, Method::DELETE, &format!("/Users/{}", ids[0]), None).await;
            assert_eq!(status, StatusCode::NO_CONTENT, "p0 (already shown) leaves");
        }
        match page["next_cursor"].as_str() {
            Some(c) => query = format!("?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, all, "every member once, in order");
    assert_eq!(pages, 4);

    for bad in ["nope", "123.usr_x", "x.usr_00000000000000000000000000000000", "1.evt_00000000000000000000000000000000"]
    {
        let (status, err) = list(format!("?cursor={bad}")).await;
        assert_eq!((status, err["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_cursor")), "{bad}: {err}");
    }
}

/// The organization's domains are claimed, not proven: a directory must never
/// take over an account that is not already the organization's member (it may
/// administer another organization). Such an email is refused with nothing
/// saved; once the person accepts an invite with their own password, the
/// directory manages them.
#[actix_web::test]
async fn the_directory_never_takes_over_an_account_outside_the_organization() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    let carol = app.signup("Other", "carol@acme.com").await;
    app.scim(&s, Method::GET, "/Users", None).await; // activates Directory Sync (an audit event)
    let before = (app.count("memberships").await, app.count("directory_users").await, app.count("audit_events").await);

    let (status, err) = app.scim(&s, Method::POST, "/Users", Some(&user("carol@acme.com"))).await;
    assert_eq!((status, err["scimType"].as_str()), (StatusCode::CONFLICT, Some("uniqueness")), "{err}");
    assert!(err["detail"].as_str().unwrap().contains("outside this organization"), "{err}");
    assert_eq!(
        (app.count("memberships").await, app.count("directory_users").await, app.count("audit_events").await),
        before,
        "nothing saved"
    );
    let (_, me) = app.get("/api/v1/me", Some(&carol.token)).await;
    assert_eq!(me["memberships"].as_array().map(Vec::len), Some(1), "{me}");

    // Invited, and joined with her own password: now the directory may manage her.
    let (status, joined) = app.invite_and_accept(&s.admin, "carol@acme.com").await;
    assert_eq!(status, StatusCode::CREATED, "{joined}");
    let created = create(&app, &s, &user("carol@acme.com")).await;
    assert_eq!(created["userName"], "carol@acme.com");
}

/// What real directories send that once went wrong: a personal primary email
/// beside the work one, no `active` at all, and over-long indexed values
/// (PostgreSQL cannot index them: refused alike on both databases).
#[actix_web::test]
async fn work_emails_absent_active_and_long_values_are_handled_alike_everywhere() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "jo.smith",
        "emails": [
            { "value": "jo@gmail.com", "type": "home", "primary": true },
            { "value": "jo@acme.com", "type": "Work" }
        ]
    });
    let created = create(&app, &s, &body).await;
    assert_eq!(created["active"], true, "{created}");
    let (_, members) =
        app.get(&format!("/api/v1/organizations/{}/members", s.admin.org_id), Some(&s.admin.token)).await;
    assert!(members["data"].as_array().unwrap().iter().any(|m| m["email"] == "jo@acme.com"), "{members}");
    let (_, found) = app.scim(&s, Method::GET, "/Users?filter=active%20eq%20true", None).await;
    assert_eq!(found["totalResults"], 1, "{found}");

    let long = "x".repeat(3000);
    let events = app.count("audit_events").await;
    for (path, body) in [
        ("/Users", json!({ "userName": format!("{long}@acme.com") })),
        ("/Users", json!({ "userName": "kim@acme.com", "externalId": long })),
        ("/Groups", json!({ "displayName": long })),
    ] {
        let (status, err) = app.scim(&s, Method::POST, path, Some(&body)).await;
        assert_eq!((status, err["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidValue")), "{err}");
        assert!(err["detail"].as_str().unwrap().contains("longer than 1024 bytes"), "{err}");
    }
    let id = created["id"].as_str().unwrap();
    let patch = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                        "Operations": [{ "op": "replace", "path": "externalId", "value": long }] });
    let (status, err) = app.scim(&s, Method::PATCH, &format!("/Users/{id}"), Some(&patch)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(app.count("audit_events").await, events, "nothing saved");
}
