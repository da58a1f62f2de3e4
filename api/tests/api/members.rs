//! What an Administrator does to members and pending invites: change a
//! member's role, plan or suspension, remove a member, list, revoke and
//! resend invites — with the rules the directory follows too.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Signed, TestApp, spawn_app};

async fn patch(app: &TestApp, admin: &Signed, user_id: &str, body: Value) -> (StatusCode, Value) {
    let path = format!("/api/v1/organizations/{}/members/{user_id}", admin.org_id);
    app.send(Method::PATCH, &path, Some(&body), Some(&admin.token)).await
}

async fn remove(app: &TestApp, admin: &Signed, user_id: &str) -> (StatusCode, Value) {
    let path = format!("/api/v1/organizations/{}/members/{user_id}", admin.org_id);
    app.send(Method::DELETE, &path, None, Some(&admin.token)).await
}

/// Bob joins Acme through an invite: his user id and token.
async fn bob(app: &TestApp, acme: &Signed) -> (String, String) {
    let (status, joined) = app.invite_and_accept(acme, "bob@acme.com").await;
    assert_eq!(status, StatusCode::CREATED, "{joined}");
    let token = joined["access_token"].as_str().unwrap().to_owned();
    let (_, me) = app.get("/api/v1/me", Some(&token)).await;
    (me["user"]["id"].as_str().unwrap().to_owned(), token)
}

#[actix_web::test]
async fn an_administrator_changes_role_plan_and_suspension_and_each_is_audited() {
    let app = spawn_app().await;
    let acme = app.signup("Acme", "ada@acme.com").await;
    let (bob_id, bob_token) = bob(&app, &acme).await;

    let (status, m) = patch(&app, &acme, &bob_id, json!({"role": "admin", "plan_id": "plan_extended"})).await;
    assert_eq!(status, StatusCode::OK, "{m}");
    assert_eq!((m["role"].as_str(), m["plan_id"].as_str()), (Some("admin"), Some("plan_extended")));
    // Bob administers Acme at once (the session cache followed).
    let members = format!("/api/v1/organizations/{}/members", acme.org_id);
    assert_eq!(app.get(&members, Some(&bob_token)).await.0, StatusCode::OK);

    let (status, m) = patch(&app, &acme, &bob_id, json!({"suspended": true})).await;
    assert_eq!((status, m["suspended"].as_bool()), (StatusCode::OK, Some(true)), "{m}");
    // His session ended (Acme was his only organization).
    assert_eq!(app.get("/api/v1/me", Some(&bob_token)).await.0, StatusCode::UNAUTHORIZED);
    let (status, m) = patch(&app, &acme, &bob_id, json!({"suspended": false})).await;
    assert_eq!((status, m["suspended"].as_bool()), (StatusCode::OK, Some(false)));
    assert_eq!(app.login("bob@acme.com", PASSWORD).await.0, StatusCode::OK);

    let actions = app.audit_actions(&acme).await;
    for a in ["member.updated", "member.suspended", "member.reactivated"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    // Nothing to change, a plan outside the catalog, an unknown field: 4xx, nothing saved.
    assert_eq!(patch(&app, &acme, &bob_id, json!({})).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = patch(&app, &acme, &bob_id, json!({"plan_id": "plan_gold"})).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("plan_id")));
    assert_eq!(patch(&app, &acme, &bob_id, json!({"owner": true})).await.0, StatusCode::BAD_REQUEST);
    let (_, list) = app.get(&members, Some(&acme.token)).await;
    let b = list["data"].as_array().unwrap().iter().find(|m| m["email"] == "bob@acme.com").unwrap().clone();
    assert_eq!((b["role"].as_str(), b["plan_id"].as_str()), (Some("admin"), Some("plan_extended")));
}

#[actix_web::test]
async fn the_last_administrator_and_yourself_are_protected_and_removal_ends_access() {
    let app = spawn_app().await;
    let acme = app.signup("Acme", "ada@acme.com").await;
    let (bob_id, bob_token) = bob(&app, &acme).await;

    // Ada cannot demote, suspend or remove herself (one click must not lock her out).
    for body in [json!({"role": "member"}), json!({"suspended": true})] {
        let (status, err) = patch(&app, &acme, &acme.user_id, body).await;
        assert_eq!((status, err["code"].as_str()), (StatusCode::CONFLICT, Some("own_membership")), "{err}");
    }
    assert_eq!(remove(&app, &acme, &acme.user_id).await.1["code"], "own_membership");

    // With Bob an Administrator too, he can demote Ada.
    patch(&app, &acme, &bob_id, json!({"role": "admin"})).await;
    let bob_admin = Signed { org_id: acme.org_id.clone(), user_id: bob_id.clone(), token: bob_token.clone() };
    let (status, m) = patch(&app, &bob_admin, &acme.user_id, json!({"role": "member"})).await;
    assert_eq!(status, StatusCode::OK, "{m}");
    // Bob is now the last active Administrator: Ada, a Member, cannot act; he cannot demote himself
    // (through the admin API only yourself can be the last Administrator; the directory's attempts are
    // refused with `last_admin`, see scim_lifecycle).
    let members = format!("/api/v1/organizations/{}/members", acme.org_id);
    assert_eq!(app.get(&members, Some(&acme.token)).await.0, StatusCode::NOT_FOUND);
    let (status, err) = patch(&app, &bob_admin, &bob_id, json!({"role": "member"})).await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::CONFLICT, Some("own_membership")));

    // Bob removes Ada: her membership goes, the account stays, her session ends.
    let (status, _) = remove(&app, &bob_admin, &acme.user_id).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.count("users").await, 2);
    let (_, me) = app.get("/api/v1/me", Some(&acme.token)).await;
    assert!(me["memberships"].as_array().is_none_or(|m| m.is_empty()), "{me}");
    assert_eq!(remove(&app, &bob_admin, &acme.user_id).await.0, StatusCode::NOT_FOUND);
    assert!(app.audit_actions(&bob_admin).await.iter().any(|a| a == "member.removed"));
    // Ids that are not user ids, and members of other organizations, are 404.
    assert_eq!(remove(&app, &bob_admin, "nope").await.0, StatusCode::NOT_FOUND);
    let globex = app.signup("Globex", "hank@globex.com").await;
    assert_eq!(remove(&app, &bob_admin, &globex.user_id).await.0, StatusCode::NOT_FOUND);
    assert_eq!(patch(&app, &globex, &bob_id, json!({"suspended": true})).await.0, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn a_member_the_directory_manages_changes_in_the_identity_provider() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "dan@acme.com", "emails": [{"value": "dan@acme.com", "primary": true}], "active": true
    });
    let (status, _) = app.scim(&s, Method::POST, "/Users", Some(&body)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, list) = app.get(&format!("/api/v1/organizations/{}/members", s.admin.org_id), Some(&s.admin.token)).await;
    let dan = list["data"].as_array().unwrap().iter().find(|m| m["email"] == "dan@acme.com").unwrap().clone();
    let dan_id = dan["user_id"].as_str().unwrap();
    for body in [json!({"suspended": true}), json!({"role": "admin"})] {
        let (status, err) = patch(&app, &s.admin, dan_id, body).await;
        assert_eq!((status, err["code"].as_str()), (StatusCode::CONFLICT, Some("directory_managed")), "{err}");
    }
    assert_eq!(remove(&app, &s.admin, dan_id).await.1["code"], "directory_managed");
    // The plan is Gatehouse's own: it changes here.
    let (status, m) = patch(&app, &s.admin, dan_id, json!({"plan_id": "plan_ultimate"})).await;
    assert_eq!((status, m["plan_id"].as_str()), (StatusCode::OK, Some("plan_ultimate")));
}

#[actix_web::test]
async fn pending_invites_are_listed_revoked_and_resent() {
    let app = spawn_app().await;
    let acme = app.signup("Acme", "ada@acme.com").await;
    let invites = format!("/api/v1/organizations/{}/invites", acme.org_id);
    let mut tokens = Vec::new();
    for email in ["a@acme.com", "b@acme.com", "c@acme.com"] {
        let (_, inv) = app.post(&invites, &json!({ "email": email }), Some(&acme.token)).await;
        tokens.push((inv["id"].as_str().unwrap().to_owned(), inv["token"].as_str().unwrap().to_owned()));
    }
    let (status, page) = app.get(&format!("{invites}?limit=2"), Some(&acme.token)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    assert_eq!(page["data"][0]["email"], "a@acme.com");
    assert!(page["data"][0].get("token").is_none(), "the token is never listed");
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) = app.get(&format!("{invites}?limit=2&cursor={cursor}"), Some(&acme.token)).await;
    assert_eq!((rest["data"][0]["email"].as_str(), rest["next_cursor"].as_str()), (Some("c@acme.com"), None));

    // Revoked: the link answers that, and the list no longer shows it.
    let (a_id, a_token) = &tokens[0];
    assert_eq!(
        app.send(Method::DELETE, &format!("{invites}/{a_id}"), None, Some(&acme.token)).await.0,
        StatusCode::NO_CONTENT
    );
    let (status, err) = app.get(&format!("/api/v1/invites/{a_token}"), None).await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::GONE, Some("invite_revoked")));
    let accept = json!({ "token": a_token, "name": "A", "password": PASSWORD });
    assert_eq!(app.post("/api/v1/invites/accept", &accept, None).await.0, StatusCode::GONE);
    assert_eq!(
        app.send(Method::DELETE, &format!("{invites}/{a_id}"), None, Some(&acme.token)).await.0,
        StatusCode::NOT_FOUND
    );

    // Resent: a new link, 7 days from now; the old one stops working.
    let (b_id, b_token) = &tokens[1];
    app.clock.advance(chrono::Duration::minutes(30));
    let (status, resent) = app.post(&format!("{invites}/{b_id}/resend"), &json!({}), Some(&acme.token)).await;
    assert_eq!(status, StatusCode::OK, "{resent}");
    let expires: chrono::DateTime<chrono::Utc> = resent["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires, app.clock_now() + chrono::Duration::days(7));
    assert_eq!(app.get(&format!("/api/v1/invites/{b_token}"), None).await.0, StatusCode::NOT_FOUND);
    let accept = json!({ "token": resent["token"], "name": "B", "password": PASSWORD });
    assert_eq!(app.post("/api/v1/invites/accept", &accept, None).await.0, StatusCode::CREATED);
    let (_, left) = app.get(&invites, Some(&acme.token)).await;
    let left: Vec<&str> = left["data"].as_array().unwrap().iter().map(|i| i["email"].as_str().unwrap()).collect();
    assert_eq!(left, ["c@acme.com"]);
    let actions = app.audit_actions(&acme).await;
    assert!(actions.iter().any(|a| a == "invite.revoked") && actions.iter().any(|a| a == "invite.resent"));
    // Another organization's Administrator sees and touches none of them.
    let globex = app.signup("Globex", "hank@globex.com").await;
    assert_eq!(app.get(&invites, Some(&globex.token)).await.0, StatusCode::NOT_FOUND);
    let (c_id, _) = &tokens[2];
    let theirs = format!("/api/v1/organizations/{}/invites/{c_id}", globex.org_id);
    assert_eq!(app.send(Method::DELETE, &theirs, None, Some(&globex.token)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("{invites}?cursor=bogus"), Some(&acme.token)).await.0, StatusCode::BAD_REQUEST);
}

/// A member the organization's identity provider created (here: as SSO
/// just-in-time does, not managed by the directory), removed by an
/// Administrator, is not linked back by the next sign-in or directory
/// create: they return through an invite.
#[actix_web::test]
async fn an_administrators_removal_is_not_undone_by_the_identity_provider() {
    let app = spawn_app().await;
    let s = app.scim_org("Acme", "acme.com").await;
    let carol = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "carol@acme.com", "emails": [{"value": "carol@acme.com", "primary": true}], "active": true
    });
    let (status, created) = app.scim(&s, Method::POST, "/Users", Some(&carol)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let scim_id = created["id"].as_str().unwrap().to_owned();
    // As if SSO had made her: the organization's own account, not the directory's.
    assert_eq!(app.scim(&s, Method::DELETE, &format!("/Users/{scim_id}"), None).await.0, StatusCode::NO_CONTENT);
    let (status, again) = app.scim(&s, Method::POST, "/Users", Some(&carol)).await;
    assert_eq!(status, StatusCode::CREATED, "the directory links its own account again: {again}");
    sea_orm::ConnectionTrait::execute_unprepared(&app.state.db, "UPDATE memberships SET directory_managed = false")
        .await
        .unwrap();
    let (_, list) = app.get(&format!("/api/v1/organizations/{}/members", s.admin.org_id), Some(&s.admin.token)).await;
    let carol_id = list["data"].as_array().unwrap().iter().find(|m| m["email"] == "carol@acme.com").unwrap()["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let again_id = again["id"].as_str().unwrap();
    assert_eq!(remove(&app, &s.admin, &carol_id).await.0, StatusCode::NO_CONTENT);
    app.scim(&s, Method::DELETE, &format!("/Users/{again_id}"), None).await;
    let (status, err) = app.scim(&s, Method::POST, "/Users", Some(&carol)).await;
    assert_eq!(status, StatusCode::CONFLICT, "removed by an Administrator: not linked back: {err}");
}

/// An Administrator's rights are read inside the change (a demotion another
/// process has not seen yet counts), your own role and status are another
/// Administrator's to change, and the invites a departing Administrator sent
/// stop working.
#[actix_web::test]
async fn a_demoted_administrator_can_change_nothing_and_their_invites_stop() {
    let app = spawn_app().await;
    let acme = app.signup("Acme", "ada@acme.com").await;
    let (bob_id, bob_token) = bob(&app, &acme).await;
    patch(&app, &acme, &bob_id, json!({"role": "admin"})).await;
    let bob_admin = Signed { org_id: acme.org_id.clone(), user_id: bob_id.clone(), token: bob_token.clone() };
    // Bob invites an address of his own as an Administrator.
    let invites = format!("/api/v1/organizations/{}/invites", acme.org_id);
    let (_, spare) =
        app.post(&invites, &json!({"email": "bob.spare@acme.com", "role": "admin"}), Some(&bob_token)).await;
    // Promoting yourself is refused as well as demoting yourself.
    let (status, err) = patch(&app, &bob_admin, &bob_id, json!({"role": "admin"})).await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::CONFLICT, Some("own_membership")));

    // Ada demotes Bob with the database alone (as another process would):
    // Bob's cached session still says Administrator here.
    let (status, _) = patch(&app, &acme, &bob_id, json!({"role": "member"})).await;
    assert_eq!(status, StatusCode::OK);
    // His pending Administrator invite was revoked with the demotion.
    let accept = json!({ "token": spare["token"], "name": "Spare", "password": PASSWORD });
    let (status, body) = app.post("/api/v1/invites/accept", &accept, None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::GONE, Some("invite_revoked")), "{body}");
    // The session cache of this process forgot him; a stale cache elsewhere
    // would still be refused inside the transaction (`still_admin`).
    assert_eq!(patch(&app, &bob_admin, &acme.user_id, json!({"suspended": true})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(remove(&app, &bob_admin, &acme.user_id).await.0, StatusCode::NOT_FOUND);
}
