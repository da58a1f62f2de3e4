use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, fields, spawn_app};

async fn domains_in_db(app: &TestApp) -> Vec<String> {
    use sea_orm::{EntityTrait, QueryOrder};
    api::domains::entity::Entity::find()
        .order_by_asc(api::domains::entity::Column::Domain)
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.domain)
        .collect()
}

fn names(body: &Value) -> Vec<&str> {
    body["domains"].as_array().unwrap().iter().map(|d| d["domain"].as_str().unwrap()).collect()
}

#[actix_web::test]
async fn pasted_domains_are_normalized_and_shown() {
    let app = spawn_app().await;
    let acme = app.signup("Acme", "ada@acme.com").await;
    let path = format!("/api/v1/organizations/{}/domains", acme.org_id);
    let (status, body) = app
        .post(&path, &json!({"domains": "Acme.com, https://www.acme.io/ , acme.co.uk, ACME.com"}), Some(&acme.token))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(names(&body), ["acme.co.uk", "acme.com", "acme.io"]);
    assert_eq!(body["normalized"][1], json!({"input": "https://www.acme.io/", "domain": "acme.io"}));
    assert!(body["domains"][0]["id"].as_str().unwrap().starts_with("dom_"));
    assert_eq!(domains_in_db(&app).await, ["acme.co.uk", "acme.com", "acme.io"]);

    // Adding one again (as an array) is not an error and not a duplicate.
    let (status, body) = app.post(&path, &json!({"domains": ["acme.com", "bücher.de"]}), Some(&acme.token)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(names(&body), ["acme.co.uk", "acme.com", "acme.io", "xn--bcher-kva.de"]);
    assert_eq!(domains_in_db(&app).await.len(), 4);
}

#[actix_web::test]
async fn one_refused_domain_saves_nothing_and_each_has_its_reason() {
    let app = spawn_app().await;
    let acme = app.signup("Acme", "ada@acme.com").await;
    let path = format!("/api/v1/organizations/{}/domains", acme.org_id);
    let input = "acme.com, co.uk, gmail.com, mailinator.com, 10.0.0.1, intranet, ac me.com";
    let (status, body) = app.post(&path, &json!({ "domains": input }), Some(&acme.token)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let got: Vec<(String, String)> = fields(&body);
    let want = [
        ("domains[1]", "public_suffix"),
        ("domains[2]", "free_email_provider"),
        ("domains[3]", "disposable_email_provider"),
        ("domains[4]", "ip_address"),
        ("domains[5]", "single_label"),
        ("domains[6]", "invalid_domain"),
    ];
    assert_eq!(got, want.map(|(f, c)| (f.to_owned(), c.to_owned())));
    for e in body["errors"].as_array().unwrap() {
        assert!(e["message"].as_str().unwrap().len() > 20, "{e}");
    }
    assert!(domains_in_db(&app).await.is_empty(), "acme.com must not be saved");

    let (status, body) = app.post(&path, &json!({"domains": " , "}), Some(&acme.token)).await;
    assert_eq!((status, fields(&body)[0].1.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "required"));
}

#[actix_web::test]
async fn a_domain_of_another_organization_is_409_naming_it() {
    let app = spawn_app().await;
    let acme = app.signup("Acme", "ada@acme.com").await;
    let globex = app.signup("Globex", "hank@globex.com").await;
    app.post(
        &format!("/api/v1/organizations/{}/domains", acme.org_id),
        &json!({"domains": "acme.com"}),
        Some(&acme.token),
    )
    .await;
    let (status, body) = app
        .post(
            &format!("/api/v1/organizations/{}/domains", globex.org_id),
            &json!({"domains": "globex.com, www.acme.com"}),
            Some(&globex.token),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "domain_taken");
    assert!(body["detail"].as_str().unwrap().contains("acme.com"));
    assert_eq!(domains_in_db(&app).await, ["acme.com"], "globex.com not saved either");
}

#[actix_web::test]
async fn at_most_100_domains_per_organization() {
    let app = spawn_app().await;
    let acme = app.signup("Acme", "ada@acme.com").await;
    let path = format!("/api/v1/organizations/{}/domains", acme.org_id);
    let ninety_nine: Vec<String> = (0..99).map(|i| format!("acme{i}.com")).collect();
    assert_eq!(app.post(&path, &json!({ "domains": ninety_nine }), Some(&acme.token)).await.0, StatusCode::CREATED);
    let (status, body) = app.post(&path, &json!({"domains": ["one.com", "two.com"]}), Some(&acme.token)).await;
    assert_eq!((status, fields(&body)[0].1.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "too_many_domains"));
    assert_eq!(domains_in_db(&app).await.len(), 99);
    assert_eq!(app.post(&path, &json!({"domains": ["one.com"]}), Some(&acme.token)).await.0, StatusCode::CREATED);
    assert_eq!(domains_in_db(&app).await.len(), 100);
}

#[actix_web::test]
async fn remove_a_domain_only_in_your_organization() {
    let app = spawn_app().await;
    let acme = app.signup("Acme", "ada@acme.com").await;
    let globex = app.signup("Globex", "hank@globex.com").await;
    let (_, body) = app
        .post(
            &format!("/api/v1/organizations/{}/domains", acme.org_id),
            &json!({"domains": "acme.com"}),
            Some(&acme.token),
        )
        .await;
    let id = body["domains"][0]["id"].as_str().unwrap();
    let delete = |org: &str, token: &str| {
        app.client
            .delete(app.url(&format!("/api/v1/organizations/{org}/domains/{id}")))
            .bearer_auth(token.to_owned())
            .send()
    };
    assert_eq!(delete(&globex.org_id, &globex.token).await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(domains_in_db(&app).await, ["acme.com"]);
    assert_eq!(delete(&acme.org_id, &acme.token).await.unwrap().status(), StatusCode::NO_CONTENT);
    assert!(domains_in_db(&app).await.is_empty());
    assert_eq!(delete(&acme.org_id, &acme.token).await.unwrap().status(), StatusCode::NOT_FOUND);

    // Each change is in the audit log, with who did it; refusals are not.
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let events = api::audit::entity::Entity::find()
        .filter(api::audit::entity::Column::Action.starts_with("domain."))
        .order_by_asc(api::audit::entity::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap();
    let got: Vec<(&str, &str, &str)> =
        events.iter().map(|e| (e.action.as_str(), e.target.as_str(), e.actor.as_str())).collect();
    assert_eq!(
        got,
        [("domain.added", "acme.com", acme.user_id.as_str()), ("domain.removed", "acme.com", acme.user_id.as_str())]
    );
    assert!(events.iter().all(|e| e.organization_id == acme.org_id && e.request_id.is_some()));
}

#[actix_web::test]
async fn plans_default_plan_and_the_tab_state() {
    let app = spawn_app().await;
    let acme = app.signup("Acme", "ada@acme.com").await;
    let (status, plans) = app.get("/api/v1/plans", Some(&acme.token)).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = plans.as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["plan_core", "plan_extended", "plan_ultimate"]);
    assert!(plans[0]["name"].is_string() && plans[0]["description"].is_string());

    let state_path = format!("/api/v1/organizations/{}/provisioning", acme.org_id);
    let (status, state) = app.get(&state_path, Some(&acme.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(state["default_plan_id"], Value::Null);
    assert_eq!(state["features"], json!({"sso": false, "directory_sync": false}));
    assert_eq!(state["sso"]["status"], "not_purchased");
    assert_eq!(state["directory_sync"]["status"], "not_purchased");
    assert_eq!(state["disable_passwords_on_invites"], false);

    let plan_path = format!("/api/v1/organizations/{}/default-plan", acme.org_id);
    let put = |body: Value| app.client.put(app.url(&plan_path)).bearer_auth(&acme.token).json(&body).send();
    let (status, body) = crate::helpers::read(put(json!({"plan_id": "plan_gold"})).await.unwrap()).await;
    assert_eq!((status, fields(&body)[0].1.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "unknown_plan"));
    assert_eq!(app.get(&state_path, Some(&acme.token)).await.1["default_plan_id"], Value::Null);
    let (status, body) = crate::helpers::read(put(json!({"plan_id": "plan_extended"})).await.unwrap()).await;
    assert_eq!((status, body["default_plan_id"].as_str()), (StatusCode::OK, Some("plan_extended")));

    app.post(
        &format!("/api/v1/organizations/{}/domains", acme.org_id),
        &json!({"domains": "acme.com"}),
        Some(&acme.token),
    )
    .await;
    let (_, state) = app.get(&state_path, Some(&acme.token)).await;
    assert_eq!(state["default_plan_id"], "plan_extended");
    assert_eq!(names(&state), ["acme.com"]);

    // Not an admin of that organization → 404; not signed in → 401.
    let globex = app.signup("Globex", "hank@globex.com").await;
    assert_eq!(app.get(&state_path, Some(&globex.token)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/plans", None).await.0, StatusCode::UNAUTHORIZED);
}
