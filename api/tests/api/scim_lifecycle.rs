//! The directory lifecycle as identity providers run it (Microsoft Entra ID,
//! Okta, OneLogin, JumpCloud): the request sequences their documentation
//! shows, each of which once broke.

use reqwest::Method;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Scim, TestApp, spawn_app};

fn user(user_name: &str, email: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": { "givenName": "Ada", "familyName": "Lovelace" },
        "emails": [{ "value": email, "type": "work", "primary": true }],
        "active": true
    })
}

async fn create(app: &TestApp, s: &Scim, body: &Value) -> Value {
    let (status, created) = app.scim(s, Method::POST, "/Users", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

fn patch(ops: Value) -> Value {
    json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops })
}

/// The member as the Members page shows them.
async fn member(app: &TestApp, s: &Scim, email: &str) -> Value {
    let (_, members) =
        app.get(&format!("/api/v1/organizations/{}/members", s.admin.org_id), Some(&s.admin.token)).await;
    members["data"].as_array().unwrap().iter().find(|m| m["email"] == email).cloned().unwrap_or(Value::Null)
}

/// Entra ID's documented role mapping replaces the primary role's value,
/// naming `primary` with the string "True": the member is demoted, and the
/// stored roles stay one element with a boolean `primary`.
#[actix_web::test]
async fn entras_role_mapping_demotes_an_administrator() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    let mut body = user("ann@acme.com", "ann@acme.com");
    body["roles"] = json!([{ "value": "admin", "primary": true }]);
    let created = create(&app, &s, &body).await;
    assert_eq!(member(&app, &s, "ann@acme.com").await["role"], "admin");
    let ops = patch(json!([{ "op": "Replace", "path": "roles[primary eq \"True\"].value", "value": "member" }]));
    let (status, patched) =
        app.scim(&s, Method::PATCH, &format!("/Users/{}", created["id"].as_str().unwrap()), Some(&ops)).await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["roles"], json!([{ "value": "member", "primary": true }]));
    assert_eq!(member(&app, &s, "ann@acme.com").await["role"], "member");
    // `eq "False"` matches a boolean false as well; a literal of another
    // type never creates an element of the wrong type.
    let ops = patch(json!([{ "op": "Replace", "path": "emails[primary eq \"False\"].value", "value": "x@acme.com" }]));
    let (status, err) =
        app.scim(&s, Method::PATCH, &format!("/Users/{}", created["id"].as_str().unwrap()), Some(&ops)).await;
    assert_eq!(status, StatusCode::OK, "{err}");
    let ops = patch(json!([{ "op": "Replace", "path": "roles[primary eq \"maybe\"].value", "value": "admin" }]));
    let (status, err) =
        app.scim(&s, Method::PATCH, &format!("/Users/{}", created["id"].as_str().unwrap()), Some(&ops)).await;
    assert_eq!((status, err["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("noTarget")), "{err}");
    assert_eq!(member(&app, &s, "ann@acme.com").await["role"], "member");
}

/// OneLogin's PUT never carries `active`: a profile update keeps a
/// suspended member suspended.
#[actix_web::test]
async fn a_put_without_active_keeps_a_suspension() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    let created = create(&app, &s, &user("bo@acme.com", "bo@acme.com")).await;
    let path = format!("/Users/{}", created["id"].as_str().unwrap());
    let ops = patch(json!([{ "op": "replace", "path": "active", "value": false }]));
    assert_eq!(app.scim(&s, Method::PATCH, &path, Some(&ops)).await.0, StatusCode::OK);
    let mut profile = user("bo@acme.com", "bo@acme.com");
    profile.as_object_mut().unwrap().remove("active");
    profile["title"] = json!("Engineer");
    let (status, put) = app.scim(&s, Method::PUT, &path, Some(&profile)).await;
    assert_eq!(status, StatusCode::OK, "{put}");
    assert_eq!((put["active"].as_bool(), put["title"].as_str()), (Some(false), Some("Engineer")));
    assert_eq!(member(&app, &s, "bo@acme.com").await["suspended"], true);
    // A PUT that says `active: true` does restore access.
    profile["active"] = json!(true);
    assert_eq!(app.scim(&s, Method::PUT, &path, Some(&profile)).await.1["active"], true);
    assert_eq!(member(&app, &s, "bo@acme.com").await["suspended"], false);
}

/// RFC 7644 details: an unknown attribute in an explicit PATCH path is
/// `invalidPath`; a filtered replace that matches nothing and cannot make a
/// whole element is `noTarget`; `/Me` is 501; userNames in NFC and NFD are
/// one user.
#[actix_web::test]
async fn patch_paths_me_and_unicode_user_names_follow_the_rfc() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    let created = create(&app, &s, &user("Jos\u{e9}", "jose@acme.com")).await;
    let path = format!("/Users/{}", created["id"].as_str().unwrap());
    let ops = patch(json!([{ "op": "Add", "path": "manager", "value": "someone" }]));
    let (status, err) = app.scim(&s, Method::PATCH, &path, Some(&ops)).await;
    assert_eq!((status, err["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidPath")), "{err}");
    let ops = patch(json!([{ "op": "replace", "path": "emails[type eq \"home\"].display", "value": "Home" }]));
    let (status, err) = app.scim(&s, Method::PATCH, &path, Some(&ops)).await;
    assert_eq!((status, err["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("noTarget")), "{err}");
    let (_, unchanged) = app.scim(&s, Method::GET, &path, None).await;
    assert_eq!(unchanged["emails"].as_array().map(Vec::len), Some(1), "{unchanged}");
    // Entra's and Okta's element creation with a value still works.
    let ops =
        patch(json!([{ "op": "replace", "path": "emails[type eq \"home\"].value", "value": "jose@home.example" }]));
    assert_eq!(app.scim(&s, Method::PATCH, &path, Some(&ops)).await.0, StatusCode::OK);

    let (status, me) = app.scim(&s, Method::GET, "/Me", None).await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED, "{me}");

    let nfd = "Jose\u{301}";
    let (status, err) = app.scim(&s, Method::POST, "/Users", Some(&user(nfd, "jose2@acme.com"))).await;
    assert_eq!((status, err["scimType"].as_str()), (StatusCode::CONFLICT, Some("uniqueness")), "{err}");
    let filter = format!("/Users?filter=userName%20eq%20%22{}%22", "Jose%CC%81");
    let (status, found) = app.scim(&s, Method::GET, &filter, None).await;
    assert_eq!((status, found["totalResults"].as_u64()), (StatusCode::OK, Some(1)), "{found}");
}

/// Entra's re-assignment after a hard delete, OneLogin's "Delete"
/// deprovisioning and JumpCloud's second Test Connection: the same create
/// after a DELETE provisions the person again — the account the directory
/// made is linked, not refused as an outsider.
#[actix_web::test]
async fn a_user_deleted_through_scim_can_be_provisioned_again() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    let body = user("cy@acme.com", "cy@acme.com");
    for round in 0..3 {
        let created = create(&app, &s, &body).await;
        assert_eq!(member(&app, &s, "cy@acme.com").await["directory_managed"], true, "round {round}");
        let path = format!("/Users/{}", created["id"].as_str().unwrap());
        assert_eq!(app.scim(&s, Method::DELETE, &path, None).await.0, StatusCode::NO_CONTENT);
        assert!(member(&app, &s, "cy@acme.com").await.is_null(), "round {round}: removed");
    }
    assert_eq!(app.count("users").await, 2, "one account for cy, reused each time (and the admin's)");
    // An account that has a password of its own is still nobody's to take.
    let _dee = app.signup("Other", "dee@acme.com").await;
    let (status, err) = app.scim(&s, Method::POST, "/Users", Some(&user("dee@acme.com", "dee@acme.com"))).await;
    assert_eq!((status, err["scimType"].as_str()), (StatusCode::CONFLICT, Some("uniqueness")), "{err}");
}

/// JumpCloud's Test Connection with an existing member's email: the create
/// takes the member over, the test's DELETE detaches them — they stay a
/// member, with their access.
#[actix_web::test]
async fn deleting_a_member_the_directory_did_not_create_detaches_them() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    assert_eq!(app.invite_and_accept(&s.admin, "eve@acme.com").await.0, StatusCode::CREATED);
    let created = create(&app, &s, &user("eve@acme.com", "eve@acme.com")).await;
    assert_eq!(member(&app, &s, "eve@acme.com").await["directory_managed"], true);
    let path = format!("/Users/{}", created["id"].as_str().unwrap());
    assert_eq!(app.scim(&s, Method::DELETE, &path, None).await.0, StatusCode::NO_CONTENT);
    // Deprovisioned all the same: still a member (an Administrator can lift
    // the suspension), no longer the directory's, no access meanwhile.
    let eve = member(&app, &s, "eve@acme.com").await;
    assert_eq!((eve["directory_managed"].as_bool(), eve["suspended"].as_bool()), (Some(false), Some(true)), "{eve}");
    let (_, login) = app.login("eve@acme.com", crate::helpers::PASSWORD).await;
    let (_, me) = app.get("/api/v1/me", login["access_token"].as_str()).await;
    assert_eq!(me["memberships"], json!([]), "the organization is closed to her");
    assert!(app.audit_actions(&s.admin).await.iter().any(|a| a == "directory.user.detached"));
    // The organization's own Administrator, taken over and "deleted" the same
    // way, keeps their organization.
    let admin = create(&app, &s, &user("admin@acme.com", "admin@acme.com")).await;
    let path = format!("/Users/{}", admin["id"].as_str().unwrap());
    assert_eq!(app.scim(&s, Method::DELETE, &path, None).await.0, StatusCode::NO_CONTENT);
    let admin = member(&app, &s, "admin@acme.com").await;
    assert_eq!((admin["role"].as_str(), admin["suspended"].as_bool()), (Some("admin"), Some(false)), "{admin}");
}

/// Entra's PATCH (or Okta's PUT) that deactivates and, in the same request,
/// changes the email to an address outside the organization's domains: the
/// suspension is saved; the email change is refused, and the audit log says so.
#[actix_web::test]
async fn a_suspension_is_never_lost_to_a_refused_email_change() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    let created = create(&app, &s, &user("fay@acme.com", "fay@acme.com")).await;
    let path = format!("/Users/{}", created["id"].as_str().unwrap());
    let ops = patch(json!([
        { "op": "Replace", "path": "active", "value": "False" },
        { "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "fay@gmail.com" }
    ]));
    let (status, patched) = app.scim(&s, Method::PATCH, &path, Some(&ops)).await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["active"], false);
    assert_eq!(patched["emails"][0]["value"], "fay@acme.com", "the refused address is not stored");
    let fay = member(&app, &s, "fay@acme.com").await;
    assert_eq!(fay["suspended"], true, "{fay}");
    let (_, events) =
        app.get(&format!("/api/v1/organizations/{}/audit-events", s.admin.org_id), Some(&s.admin.token)).await;
    let suspended =
        events["data"].as_array().unwrap().iter().find(|e| e["action"] == "directory.user.suspended").cloned();
    assert!(suspended.is_some_and(|e| e.to_string().contains("fay@gmail.com")), "{events}");
    // An attribute of an extension schema we do not know (Entra's custom
    // extensions) is ignored: it never costs a suspension either.
    let reactivate = patch(json!([{ "op": "Replace", "path": "active", "value": true }]));
    assert_eq!(app.scim(&s, Method::PATCH, &path, Some(&reactivate)).await.0, StatusCode::OK);
    let ops = patch(json!([
        { "op": "Replace", "path": "active", "value": false },
        { "op": "Add", "path": "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:costCenter", "value": "42" }
    ]));
    let (status, patched) = app.scim(&s, Method::PATCH, &path, Some(&ops)).await;
    assert_eq!((status, patched["active"].as_bool()), (StatusCode::OK, Some(false)), "{patched}");
    // Without the suspension the same change is refused whole, as before.
    let ops = patch(json!([{ "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "fay@gmail.com" }]));
    let (status, err) = app.scim(&s, Method::PATCH, &path, Some(&ops)).await;
    assert_eq!((status, err["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidValue")), "{err}");
}

/// International domains: the claim `bücher.de` is stored as punycode, and
/// so is every email's domain now, so `anna@bücher.de` is routed to SSO,
/// provisioned by SCIM, and cannot sign up twice under two spellings.
#[actix_web::test]
async fn international_domains_match_in_one_canonical_form() {
    let app = spawn_app().await;
    let s = app.scim_org("Bücher", "bücher.de").await;
    let (_, state) =
        app.get(&format!("/api/v1/organizations/{}/provisioning", s.admin.org_id), Some(&s.admin.token)).await;
    assert_eq!(state["domains"][0]["domain"], "xn--bcher-kva.de", "{state}");
    let created = create(&app, &s, &user("anna@bücher.de", "anna@bücher.de")).await;
    assert_eq!(member(&app, &s, "anna@xn--bcher-kva.de").await["email"], "anna@xn--bcher-kva.de", "{created}");
    // SSO routing finds the organization: it has bought SSO and not set it
    // up yet (before, "no organization signs in with SSO for bücher.de").
    crate::helpers::buy(&app, &s.admin, "sso").await;
    let (status, err) = app.post("/api/v1/auth/sso", &json!({ "email": "anna@Bücher.de" }), None).await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::CONFLICT, Some("sso_not_ready")), "{err}");
    // One address, two spellings: one account.
    let body = |email: &str| json!({"organization_name": "X", "name": "X", "email": email, "password": crate::helpers::PASSWORD});
    assert_eq!(app.post("/api/v1/auth/signup", &body("jörg@bücher.de"), None).await.0, StatusCode::CREATED);
    let (status, err) = app.post("/api/v1/auth/signup", &body("jörg@xn--bcher-kva.de"), None).await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::CONFLICT, Some("email_taken")), "{err}");
    // Either spelling signs in.
    for spelling in ["jörg@bücher.de", "JÖRG@xn--bcher-kva.de"] {
        assert_eq!(app.login(spelling, crate::helpers::PASSWORD).await.0, StatusCode::OK, "{spelling}");
    }
}

/// Emails stored before the canonical form are rewritten by migration m0016.
#[actix_web::test]
async fn stored_international_emails_are_rewritten_in_the_canonical_form() {
    use sea_orm::{ConnectionTrait, Database};
    use sea_orm_migration::MigratorTrait;
    let dir = tempfile::tempdir().unwrap();
    let db = Database::connect(format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display())).await.unwrap();
    api::db::migration::Migrator::up(&db, Some(15)).await.unwrap();
    let insert = |id: &str, email: &str| {
        format!(
            "INSERT INTO users (id, email, name, password_hash, created_at) VALUES ('{id}', '{email}', 'A', NULL, '2026-01-01T00:00:00Z')"
        )
    };
    db.execute_unprepared(&insert("usr_a", "anna@bücher.de")).await.unwrap();
    db.execute_unprepared(&insert("usr_b", "bob@example.com")).await.unwrap();
    // Both spellings signed up under the old rules: the second stays as it is.
    db.execute_unprepared(&insert("usr_c", "carl@bücher.de")).await.unwrap();
    db.execute_unprepared(&insert("usr_d", "carl@xn--bcher-kva.de")).await.unwrap();
    api::db::migration::Migrator::up(&db, None).await.unwrap();
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT id, email FROM users ORDER BY id",
        ))
        .await
        .unwrap();
    let emails: Vec<(String, String)> =
        rows.iter().map(|r| (r.try_get("", "id").unwrap(), r.try_get("", "email").unwrap())).collect();
    assert_eq!(
        emails,
        [
            ("usr_a".into(), "anna@xn--bcher-kva.de".into()),
            ("usr_b".into(), "bob@example.com".into()),
            ("usr_c".into(), "carl@bücher.de".into()),
            ("usr_d".into(), "carl@xn--bcher-kva.de".into()),
        ]
    );
}

/// A consultant who runs her own organization and is also a member of a
/// client's: the client's directory acts on her membership there, not on
/// her account — suspending her ends no session of her own organization, and
/// a new email from the client's directory does not change her login.
#[actix_web::test]
async fn one_organizations_directory_does_not_change_a_shared_account_elsewhere() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    let carol = app.signup("Carol Consulting", "carol@acme.com").await;
    assert_eq!(app.invite_and_accept(&s.admin, "carol@acme.com").await.0, StatusCode::CREATED);
    let created = create(&app, &s, &user("carol@acme.com", "carol@acme.com")).await;
    let path = format!("/Users/{}", created["id"].as_str().unwrap());
    let own_members = format!("/api/v1/organizations/{}/members", carol.org_id);

    let ops = patch(json!([{ "op": "replace", "path": "active", "value": false }]));
    assert_eq!(app.scim(&s, Method::PATCH, &path, Some(&ops)).await.0, StatusCode::OK);
    assert_eq!(member(&app, &s, "carol@acme.com").await["suspended"], true);
    assert_eq!(app.get(&own_members, Some(&carol.token)).await.0, StatusCode::OK, "her own organization still opens");
    let (_, me) = app.get("/api/v1/me", Some(&carol.token)).await;
    let orgs: Vec<&str> =
        me["memberships"].as_array().unwrap().iter().filter_map(|m| m["organization_id"].as_str()).collect();
    assert_eq!(orgs, [carol.org_id.as_str()], "the client's organization is closed to her");

    let ops = patch(json!([
        { "op": "replace", "path": "active", "value": true },
        { "op": "replace", "path": "emails[type eq \"work\"].value", "value": "c.jones@acme.com" },
        { "op": "replace", "path": "name.givenName", "value": "Caroline" }
    ]));
    let (status, patched) = app.scim(&s, Method::PATCH, &path, Some(&ops)).await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["emails"][0]["value"], "c.jones@acme.com", "the directory's view");
    assert_eq!(app.login("carol@acme.com", crate::helpers::PASSWORD).await.0, StatusCode::OK, "her login is hers");
    let (_, me) = app.get("/api/v1/me", Some(&carol.token)).await;
    assert_eq!(me["user"]["email"], "carol@acme.com");
    // Someone whose only organization is this one does follow the directory.
    let solo = create(&app, &s, &user("dan@acme.com", "dan@acme.com")).await;
    let ops = patch(json!([{ "op": "replace", "path": "emails[type eq \"work\"].value", "value": "daniel@acme.com" }]));
    let solo_path = format!("/Users/{}", solo["id"].as_str().unwrap());
    assert_eq!(app.scim(&s, Method::PATCH, &solo_path, Some(&ops)).await.0, StatusCode::OK);
    assert!(!member(&app, &s, "daniel@acme.com").await.is_null(), "the account's email followed");
}

/// Accounts a directory made before `provisioned_by` existed are marked by
/// migration m0017 (so a DELETE removes them and they can be linked again),
/// and userName keys stored before NFC are rewritten.
#[actix_web::test]
async fn older_directory_accounts_and_user_name_keys_are_brought_forward() {
    use sea_orm::{ConnectionTrait, Database};
    use sea_orm_migration::MigratorTrait;
    let dir = tempfile::tempdir().unwrap();
    let db = Database::connect(format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display())).await.unwrap();
    api::db::migration::Migrator::up(&db, Some(16)).await.unwrap();
    let t = "'2026-01-01T00:00:00Z'";
    for sql in [
        format!(
            "INSERT INTO organizations (id, name, disable_passwords_on_invites, created_at) VALUES ('org_a', 'A', false, {t})"
        ),
        format!(
            "INSERT INTO users (id, email, name, password_hash, created_at) VALUES ('usr_d', 'd@a.com', 'D', NULL, {t})"
        ),
        format!(
            "INSERT INTO users (id, email, name, password_hash, created_at) VALUES ('usr_p', 'p@a.com', 'P', 'x', {t})"
        ),
        format!(
            "INSERT INTO directory_users (id, organization_id, user_id, user_name, user_name_key, external_id, email, active, resource, version, created_at, updated_at) \
             VALUES ('dir_1', 'org_a', 'usr_d', 'Jose\u{301}', 'jose\u{301}', NULL, 'd@a.com', true, '{{}}', 1, {t}, {t})"
        ),
        format!(
            "INSERT INTO directory_users (id, organization_id, user_id, user_name, user_name_key, external_id, email, active, resource, version, created_at, updated_at) \
             VALUES ('dir_2', 'org_a', 'usr_p', 'p@a.com', 'p@a.com', NULL, 'p@a.com', true, '{{}}', 1, {t}, {t})"
        ),
    ] {
        db.execute_unprepared(&sql).await.unwrap();
    }
    api::db::migration::Migrator::up(&db, None).await.unwrap();
    let one = |sql: &str| {
        let db = &db;
        let sql = sql.to_owned();
        async move {
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql))
                .await
                .unwrap()
                .unwrap();
            row.try_get::<Option<String>>("", "v").unwrap()
        }
    };
    assert_eq!(one("SELECT provisioned_by AS v FROM users WHERE id = 'usr_d'").await.as_deref(), Some("org_a"));
    assert_eq!(one("SELECT provisioned_by AS v FROM users WHERE id = 'usr_p'").await, None, "has a password");
    assert_eq!(
        one("SELECT user_name_key AS v FROM directory_users WHERE id = 'dir_1'").await.as_deref(),
        Some("jos\u{e9}")
    );
}
