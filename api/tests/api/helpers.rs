use std::path::PathBuf;
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use actix_web::web;
use api::clock::ManualClock;
use api::config::Settings;
use api::state::AppState;
use chrono::{SubsecRound, Utc};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: web::Data<AppState>,
    pub clock: Arc<ManualClock>,
    handle: ServerHandle,
    _dir: tempfile::TempDir,
}

/// A fresh database URL: `None` (temp SQLite) or a new PostgreSQL database.
async fn fresh_database() -> Option<String> {
    let admin_url = std::env::var("TEST_DATABASE_URL").ok().filter(|s| !s.is_empty())?;
    let name = format!("gh_test_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(admin_url.as_str()).await.expect("connect TEST_DATABASE_URL");
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
    let (base, _) = admin_url.rsplit_once('/').expect("TEST_DATABASE_URL has a database name");
    Some(format!("{base}/{name}"))
}

pub struct Options {
    pub web_dir: Option<PathBuf>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options { web_dir: None }).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = Settings {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: fresh_database().await,
        data_dir: dir.path().join("data"),
        web_dir: options.web_dir.unwrap_or_else(|| dir.path().join("no-spa")),
        ..Settings::default()
    };
    let clock = Arc::new(ManualClock::new(Utc::now().trunc_subsecs(0)));
    let running = api::start(settings, clock.clone()).await.expect("start server");
    let handle = running.handle();
    let base = format!("http://{}", running.addr);
    let state = running.state.clone();
    actix_web::rt::spawn(running.server);
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp { base, client, state, clock, handle, _dir: dir }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}

pub struct Signed {
    pub org_id: String,
    pub user_id: String,
    pub token: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn post(&self, path: &str, body: &Value, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("request");
        read(res).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        read(req.send().await.expect("request")).await
    }

    pub async fn signup(&self, org: &str, email: &str) -> Signed {
        let (status, body) = self
            .post(
                "/api/v1/auth/signup",
                &json!({"organization_name": org, "name": "Ada Admin", "email": email, "password": PASSWORD}),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        Signed {
            org_id: body["organization"]["id"].as_str().unwrap().to_owned(),
            user_id: body["user"]["id"].as_str().unwrap().to_owned(),
            token: body["access_token"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn login(&self, email: &str, password: &str) -> (StatusCode, Value) {
        self.post("/api/v1/auth/login", &json!({"email": email, "password": password}), None).await
    }

    pub async fn count(&self, table: &str) -> i64 {
        let db = &self.state.db;
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }
}

/// Status and JSON body; asserts that errors are problem+json.
pub async fn read(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let text = res.text().await.unwrap();
    if status.is_client_error() || status.is_server_error() {
        assert_eq!(content_type, "application/problem+json", "{status}: {text}");
    }
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    if status.is_client_error() {
        assert_eq!(body["status"].as_u64(), Some(u64::from(status.as_u16())), "{body}");
        assert!(body["title"].is_string() && body["type"].is_string(), "{body}");
    }
    (status, body)
}

pub fn fields(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| (e["field"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

impl TestApp {
    pub fn clock_now(&self) -> chrono::DateTime<Utc> {
        use api::clock::Clock;
        self.clock.now()
    }
}
