//! What real directories send, replayed request by request.
//!
//! Sources of the shapes:
//! - Microsoft Entra ID: "Tutorial: Develop and plan provisioning for a SCIM
//!   endpoint in Microsoft Entra ID" (learn.microsoft.com, request/response
//!   examples in "User operations" and "Group operations"), and the
//!   documented pre-2020 behaviour of sending booleans as "True"/"False"
//!   strings and `Add`/`Replace`/`Remove` capitalized.
//! - Okta: "SCIM 2.0 protocol reference" (developer.okta.com, "SCIM user
//!   operations" and "SCIM group operations").

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Scim, TestApp, spawn_app};

const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

async fn ok(app: &TestApp, s: &Scim, method: Method, path: &str, body: Option<&Value>, expected: StatusCode) -> Value {
    let (status, v) = app.scim(s, method.clone(), path, body).await;
    assert_eq!(status, expected, "{method} {path}: {v}");
    v
}

fn enc(filter: &str) -> String {
    filter.replace(' ', "%20").replace('"', "%22").replace('@', "%40").replace('[', "%5B").replace(']', "%5D")
}

#[actix_web::test]
async fn microsoft_entra_id_provisioning_cycle() {
    let app = spawn_app().await;
    let s = app.scim_org("Contoso", "contoso.com").await;

    // Entra first looks the user up by userName, then creates it.
    let lookup = ok(
        &app,
        &s,
        Method::GET,
        &format!("/Users?filter={}", enc(r#"userName eq "Test_User_ab6490ee@contoso.com""#)),
        None,
        StatusCode::OK,
    )
    .await;
    assert_eq!(lookup["totalResults"], 0);
    let created = ok(
        &app,
        &s,
        Method::POST,
        "/Users",
        Some(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            "userName": "Test_User_ab6490ee@contoso.com",
            "active": true,
            "emails": [{ "primary": true, "type": "work", "value": "Test_User_fd0ea19b@contoso.com" }],
            "meta": { "resourceType": "User" },
            "name": { "formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName" },
            "roles": [],
            ENTERPRISE: { "department": "Sales", "employeeNumber": "1234" }
        })),
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created[ENTERPRISE]["department"], "Sales");
    assert_eq!(created["schemas"], json!(["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE]));

    let by_external = ok(
        &app,
        &s,
        Method::GET,
        &format!("/Users?filter={}", enc(r#"externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef""#)),
        None,
        StatusCode::OK,
    )
    .await;
    assert_eq!(by_external["Resources"][0]["id"], id.as_str());

    let patched = ok(
        &app,
        &s,
        Method::PATCH,
        &format!("/Users/{id}"),
        Some(&json!({ "schemas": [PATCH], "Operations": [
            { "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@contoso.com" },
            { "op": "Replace", "path": "name.familyName", "value": "updatedFamilyName" },
            { "op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "2819c223-7f76-453a-919d-413861904646" },
            { "op": "Add", "value": { "title": "Engineer", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter": "42" } }
        ] })),
        StatusCode::OK,
    )
    .await;
    assert_eq!(patched["emails"][0]["value"], "updatedEmail@contoso.com");
    assert_eq!(patched["name"]["familyName"], "updatedFamilyName");
    assert_eq!(patched[ENTERPRISE]["manager"]["value"], "2819c223-7f76-453a-919d-413861904646");
    assert_eq!(patched[ENTERPRISE]["costCenter"], "42");
    assert_eq!(patched["title"], "Engineer");
    // The account follows the new work email.
    let (_, m) = app.get(&format!("/api/v1/organizations/{}/members", s.admin.org_id), Some(&s.admin.token)).await;
    assert!(m["data"].as_array().unwrap().iter().any(|x| x["email"] == "updatedemail@contoso.com"), "{m}");

    // Disable, the way Entra sent it before its 2020 fix: a "False" string.
    let disabled = ok(
        &app,
        &s,
        Method::PATCH,
        &format!("/Users/{id}"),
        Some(&json!({ "schemas": [PATCH], "Operations": [{ "op": "Replace", "path": "active", "value": "False" }] })),
        StatusCode::OK,
    )
    .await;
    assert_eq!(disabled["active"], false);

    // Groups.
    let lookup = ok(
        &app,
        &s,
        Method::GET,
        &format!("/Groups?excludedAttributes=members&filter={}", enc(r#"displayName eq "displayName""#)),
        None,
        StatusCode::OK,
    )
    .await;
    assert_eq!(lookup["totalResults"], 0);
    let group = ok(
        &app,
        &s,
        Method::POST,
        "/Groups",
        Some(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "displayName",
            "meta": { "resourceType": "Group" }
        })),
        StatusCode::CREATED,
    )
    .await;
    let gid = group["id"].as_str().unwrap().to_owned();
    ok(
        &app,
        &s,
        Method::PATCH,
        &format!("/Groups/{gid}"),
        Some(&json!({ "schemas": [PATCH], "Operations": [{ "op": "Add", "path": "members", "value": [{ "$ref": null, "value": id }] }] })),
        StatusCode::OK,
    )
    .await;
    let has = ok(
        &app,
        &s,
        Method::GET,
        &format!(
            "/Groups?excludedAttributes=members&filter={}",
            enc(&format!(r#"id eq "{gid}" and members[value eq "{id}"]"#))
        ),
        None,
        StatusCode::OK,
    )
    .await;
    assert_eq!(has["totalResults"], 1);
    assert!(has["Resources"][0].get("members").is_none());
    ok(
        &app,
        &s,
        Method::PATCH,
        &format!("/Groups/{gid}"),
        Some(&json!({ "schemas": [PATCH], "Operations": [{ "op": "Remove", "path": "members", "value": [{ "$ref": null, "value": id }] }] })),
        StatusCode::OK,
    )
    .await;
    let one =
        ok(&app, &s, Method::GET, &format!("/Groups/{gid}?excludedAttributes=members"), None, StatusCode::OK).await;
    assert!(one.get("members").is_none());
    let has = ok(
        &app,
        &s,
        Method::GET,
        &format!("/Groups?filter={}", enc(&format!(r#"id eq "{gid}" and members[value eq "{id}"]"#))),
        None,
        StatusCode::OK,
    )
    .await;
    assert_eq!(has["totalResults"], 0);
    ok(&app, &s, Method::PATCH, &format!("/Groups/{gid}"), Some(&json!({ "schemas": [PATCH], "Operations": [{ "op": "Replace", "path": "displayName", "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName" }] })), StatusCode::OK).await;
    ok(&app, &s, Method::DELETE, &format!("/Groups/{gid}"), None, StatusCode::NO_CONTENT).await;
    ok(&app, &s, Method::DELETE, &format!("/Users/{id}"), None, StatusCode::NO_CONTENT).await;
}

#[actix_web::test]
async fn okta_provisioning_cycle() {
    let app = spawn_app().await;
    let s = app.scim_org("Example", "example-co.com").await;
    let lookup = ok(
        &app,
        &s,
        Method::GET,
        &format!("/Users?filter={}&startIndex=1&count=100", enc(r#"userName eq "test.user@example-co.com""#)),
        None,
        StatusCode::OK,
    )
    .await;
    assert_eq!(lookup["totalResults"], 0);
    let created = ok(
        &app,
        &s,
        Method::POST,
        "/Users",
        Some(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "test.user@example-co.com",
            "name": { "givenName": "Test", "familyName": "User" },
            "emails": [{ "primary": true, "value": "test.user@example-co.com", "type": "work" }],
            "displayName": "Test User",
            "locale": "en-US",
            "externalId": "00ujl29u0le5T6Aj10h7",
            "groups": [],
            "password": "1mz050nq",
            "active": true
        })),
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(created.get("password").is_none(), "passwords are never returned");
    assert_eq!(created["displayName"], "Test User");

    // Okta's profile push: the whole user with PUT.
    let mut full = created.clone();
    full["name"]["familyName"] = json!("Userson");
    full["displayName"] = json!("Test Userson");
    let put = ok(&app, &s, Method::PUT, &format!("/Users/{id}"), Some(&full), StatusCode::OK).await;
    assert_eq!(put["name"]["familyName"], "Userson");
    assert_eq!(put["meta"]["created"], created["meta"]["created"]);

    // Deactivation: replace without a path, the id in the value map.
    let off = ok(
        &app,
        &s,
        Method::PATCH,
        &format!("/Users/{id}"),
        Some(
            &json!({ "schemas": [PATCH], "Operations": [{ "op": "replace", "value": { "id": id, "active": false } }] }),
        ),
        StatusCode::OK,
    )
    .await;
    assert_eq!(off["active"], false);
    assert_eq!(off["id"], id.as_str());

    // Groups: push, rename, add and remove members.
    let group = ok(&app, &s, Method::POST, "/Groups", Some(&json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Test SCIMv2", "members": [] })), StatusCode::CREATED).await;
    let gid = group["id"].as_str().unwrap().to_owned();
    let renamed = ok(
        &app,
        &s,
        Method::PATCH,
        &format!("/Groups/{gid}"),
        Some(&json!({ "schemas": [PATCH], "Operations": [{ "op": "replace", "value": { "id": gid, "displayName": "Test SCIMv2 renamed" } }] })),
        StatusCode::OK,
    )
    .await;
    assert_eq!(renamed["displayName"], "Test SCIMv2 renamed");
    let added = ok(
        &app,
        &s,
        Method::PATCH,
        &format!("/Groups/{gid}"),
        Some(&json!({ "schemas": [PATCH], "Operations": [{ "op": "add", "path": "members", "value": [{ "value": id, "display": "test.user@example-co.com" }] }] })),
        StatusCode::OK,
    )
    .await;
    assert_eq!(added["members"][0]["value"], id.as_str());
    let removed = ok(
        &app,
        &s,
        Method::PATCH,
        &format!("/Groups/{gid}"),
        Some(&json!({ "schemas": [PATCH], "Operations": [{ "op": "remove", "path": format!("members[value eq \"{id}\"]") }] })),
        StatusCode::OK,
    )
    .await;
    assert!(removed.get("members").is_none());
    let list = ok(
        &app,
        &s,
        Method::GET,
        &format!("/Groups?filter={}&startIndex=1&count=100", enc(r#"displayName eq "Test SCIMv2 renamed""#)),
        None,
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["totalResults"], 1);
    ok(&app, &s, Method::DELETE, &format!("/Groups/{gid}"), None, StatusCode::NO_CONTENT).await;
}
