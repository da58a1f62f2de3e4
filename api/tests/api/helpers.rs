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
    pub dir: PathBuf,
    pub base: String,
    pub client: reqwest::Client,
    pub state: web::Data<AppState>,
    pub clock: Arc<ManualClock>,
    /// The database it serves (another app of the test may share it).
    pub database_url: String,
    handle: ServerHandle,
    _pg: Option<PgDatabase>,
    _dir: tempfile::TempDir,
}

/// A PostgreSQL database of its own for one test, dropped with the test's app.
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl PgDatabase {
    /// A new database on `TEST_DATABASE_URL`'s server, when it is set.
    async fn create() -> Option<Self> {
        let admin_url = std::env::var("TEST_DATABASE_URL").ok().filter(|s| !s.is_empty())?;
        let name = format!("gh_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(admin_url.as_str()).await.expect("connect TEST_DATABASE_URL");
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
        admin.close().await.ok();
        Some(Self { admin_url, name })
    }

    fn url(&self) -> String {
        let (base, _) = self.admin_url.rsplit_once('/').expect("TEST_DATABASE_URL has a database name");
        format!("{base}/{}", self.name)
    }
}

impl Drop for PgDatabase {
    /// Drops the database (closing the server's connections to it), on a
    /// thread of its own since the test's runtime may be gone: a test run
    /// leaves no database behind (each holds ~8 MB on disk).
    fn drop(&mut self) {
        // This thread blocks the test's runtime meanwhile: a connection its
        // pool was opening stays half-authenticated, and DROP DATABASE
        // waits for that backend until `authentication_timeout` (`.ci/run`
        // sets 2 s; PostgreSQL's default is a minute).
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                let admin = Database::connect(admin_url.as_str()).await?;
                admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
                admin.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}: {dropped:?}", self.name);
        }
    }
}

#[derive(Default)]
pub struct Options {
    pub web_dir: Option<PathBuf>,
    pub signing_key: Option<String>,
    pub previous_signing_keys: Vec<String>,
    /// SCIM requests per second per organization (`None`: the default).
    pub scim_requests_per_second: Option<u32>,
    /// The nameservers domain verification asks (`ip:port`, a test's DNS server).
    pub dns_servers: Option<String>,
    /// Verified domains required (the production default); the other tests
    /// claim domains without publishing DNS records, so it is off for them.
    pub require_verified_domains: bool,
    /// Serve this database (another app's `database_url`: a second server
    /// process on the same database) instead of a new one.
    pub database_url: Option<String>,
    /// `GATEHOUSE_PUBLIC_URL` (the token issuer): processes behind one
    /// address share it.
    pub public_url: Option<String>,
    /// Any other setting, changed last.
    pub tweak: Option<fn(&mut Settings)>,
}

/// The OpenID signing key the test servers share (RS256).
pub fn provider_key() -> &'static str {
    static KEY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    KEY.get_or_init(|| api::provider::keys::generate(api::provider::keys::SigningAlgorithm::RS256).unwrap())
}

/// Two server processes on one database, with the same keys and public
/// address (behind one load balancer).
pub async fn spawn_pair() -> (TestApp, TestApp) {
    let key = Some("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_owned());
    let first = spawn_app_with(Options { signing_key: key.clone(), ..Options::default() }).await;
    let second = spawn_app_with(Options {
        signing_key: key,
        database_url: Some(first.database_url.clone()),
        public_url: Some(first.base.clone()),
        ..Options::default()
    })
    .await;
    (first, second)
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

/// Everything the servers of this test binary logged, at debug level, so a
/// test can check that no secret ever reaches a log line.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&LOGS.get_or_init(Default::default).lock().unwrap()).into_owned()
}

static LOGS: std::sync::OnceLock<Arc<std::sync::Mutex<Vec<u8>>>> = std::sync::OnceLock::new();

#[derive(Clone)]
struct LogSink(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    let sink = LogSink(LOGS.get_or_init(Default::default).clone());
    let _ = tracing_subscriber::fmt()
        .with_env_filter("debug")
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || sink.clone())
        .try_init();
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    capture_logs();
    let dir = tempfile::tempdir().expect("tempdir");
    let pg = if options.database_url.is_some() { None } else { PgDatabase::create().await };
    let mut settings = Settings {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: options.database_url.or_else(|| pg.as_ref().map(PgDatabase::url)),
        public_url: options.public_url,
        data_dir: dir.path().join("data"),
        web_dir: options.web_dir.unwrap_or_else(|| dir.path().join("no-spa")),
        signing_key: options.signing_key,
        previous_signing_keys: options.previous_signing_keys,
        scim_requests_per_second: options
            .scim_requests_per_second
            .unwrap_or(Settings::default().scim_requests_per_second),
        // The identity providers these tests run listen on loopback.
        allow_private_network_urls: true,
        // No test reaches the internet's DNS: without a test server, lookups
        // go to a closed loopback port and fail at once.
        dns_servers: options.dns_servers.or_else(|| Some("127.0.0.1:9".to_owned())),
        // The tests run the re-check themselves (`domains::job::run_due`).
        domain_recheck_secs: 0,
        // One generated key for the whole test binary (RSA generation per app adds up).
        oidc_signing_key: Some(provider_key().to_owned()),
        domain_verification: if options.require_verified_domains {
            api::config::DomainVerificationMode::Required
        } else {
            api::config::DomainVerificationMode::Off
        },
        ..Settings::default()
    };
    if let Some(tweak) = options.tweak {
        tweak(&mut settings);
    }
    let database_url = settings.database_url();
    let clock = Arc::new(ManualClock::new(Utc::now().trunc_subsecs(0)));
    let running = api::start(settings, clock.clone()).await.expect("start server");
    let handle = running.handle();
    let base = format!("http://{}", running.addr);
    let state = running.state.clone();
    actix_web::rt::spawn(running.server);
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp { dir: dir.path().to_path_buf(), base, client, state, clock, database_url, handle, _pg: pg, _dir: dir }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}

#[derive(Clone)]
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

    /// Any method, with an optional JSON body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, self.url(path));
        if let Some(b) = body {
            req = req.json(b);
        }
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        read(req.send().await.expect("request")).await
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

    pub async fn count_where(&self, table: &str, condition: &str) -> i64 {
        self.count(&format!("{table} WHERE {condition}")).await
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

impl TestApp {
    /// An organization ready for checkout: a domain and a default plan.
    pub async fn ready_org(&self, name: &str, domain: &str) -> Signed {
        let s = self.signup(name, &format!("admin@{domain}")).await;
        let (status, body) = self
            .post(&format!("/api/v1/organizations/{}/domains", s.org_id), &json!({ "domains": domain }), Some(&s.token))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let res = self
            .client
            .put(self.url(&format!("/api/v1/organizations/{}/default-plan", s.org_id)))
            .bearer_auth(&s.token)
            .json(&json!({"plan_id": "plan_core"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        s
    }

    pub async fn confirm(
        &self,
        s: &Signed,
        checkout_id: &str,
        key: Option<&str>,
        payment: &Value,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .post(self.url(&format!("/api/v1/organizations/{}/checkout/{checkout_id}/confirm", s.org_id)))
            .bearer_auth(&s.token)
            .json(&json!({ "payment": payment }));
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        read(req.send().await.unwrap()).await
    }

    /// `admin` invites `email`, who accepts with `PASSWORD` (an existing
    /// account's own, or the new account's): the accept's answer.
    pub async fn invite_and_accept(&self, admin: &Signed, email: &str) -> (StatusCode, Value) {
        let path = format!("/api/v1/organizations/{}/invites", admin.org_id);
        let (status, invite) = self.post(&path, &json!({ "email": email }), Some(&admin.token)).await;
        assert_eq!(status, StatusCode::CREATED, "{invite}");
        let accept = json!({ "token": invite["token"], "name": "Invited Person", "password": PASSWORD });
        self.post("/api/v1/invites/accept", &accept, None).await
    }

    /// The actions in an organization's audit log, newest first.
    pub async fn audit_actions(&self, s: &Signed) -> Vec<String> {
        let (_, events) = self.get(&format!("/api/v1/organizations/{}/audit-events", s.org_id), Some(&s.token)).await;
        events["data"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str().map(str::to_owned)).collect()
    }

    /// A checkout quote for `features`, not yet confirmed.
    pub async fn quote(&self, s: &Signed, features: &str) -> Value {
        let path = format!("/api/v1/organizations/{}/checkout", s.org_id);
        self.post(&path, &json!({ "features": features }), Some(&s.token)).await.1
    }

    pub fn sandbox_charges(&self) -> u64 {
        self.state.gateway.as_any().downcast_ref::<api::billing::gateway::SandboxGateway>().unwrap().charges()
    }
}

pub fn card(number: &str) -> Value {
    json!({"card_number": number, "exp_month": 12, "exp_year": 2031, "cvc": "123", "cardholder_name": "Ada Admin"})
}

pub async fn buy(app: &TestApp, s: &Signed, features: &str) {
    let (_, q) = app
        .post(&format!("/api/v1/organizations/{}/checkout", s.org_id), &json!({ "features": features }), Some(&s.token))
        .await;
    let (status, _) = app.confirm(s, q["id"].as_str().unwrap(), Some(features), &card("4242424242424242")).await;
    assert_eq!(status, StatusCode::CREATED);
}

/// Turns a feature (`sso` or `directory-sync`) on or off from the Provision tab.
pub async fn toggle(app: &TestApp, s: &Signed, which: &str, enabled: bool) -> (StatusCode, Value) {
    let res = app
        .client
        .put(app.url(&format!("/api/v1/organizations/{}/integrations/{which}", s.org_id)))
        .bearer_auth(&s.token)
        .json(&json!({ "enabled": enabled }))
        .send()
        .await
        .unwrap();
    read(res).await
}

pub async fn link(app: &TestApp, s: &Signed, kind: &str) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/organizations/{}/setup-links", s.org_id), &json!({ "kind": kind }), Some(&s.token)).await
}

pub fn token_of(link: &Value) -> String {
    link["url"].as_str().unwrap().rsplit_once("/setup/").unwrap().1.to_owned()
}

/// An organization with Directory Sync bought and a SCIM token generated.
pub struct Scim {
    pub admin: Signed,
    pub domain: String,
    pub base: String,
    pub token: String,
}

impl TestApp {
    pub async fn scim_org(&self, name: &str, domain: &str) -> Scim {
        let admin = self.ready_org(name, domain).await;
        buy(self, &admin, "directory_sync").await;
        let (status, l) = link(self, &admin, "scim").await;
        assert_eq!(status, StatusCode::CREATED, "{l}");
        let (status, creds) =
            self.post(&format!("/api/v1/setup/{}/scim-credentials", token_of(&l)), &json!({}), None).await;
        assert_eq!(status, StatusCode::CREATED, "{creds}");
        let base = creds["scim_base_url"].as_str().unwrap().to_owned();
        assert_eq!(base, format!("{}/scim/v2", self.base));
        Scim { admin, domain: domain.to_owned(), base, token: creds["bearer_token"].as_str().unwrap().to_owned() }
    }

    /// A SCIM request with the directory's token; the body parsed as JSON (or Null).
    pub async fn scim(
        &self,
        s: &Scim,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        self.scim_as(&s.token, method, &format!("{}{path}", s.base), body).await
    }

    pub async fn scim_as(
        &self,
        token: &str,
        method: reqwest::Method,
        url: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, url).bearer_auth(token);
        if let Some(b) = body {
            req = req.header("content-type", "application/scim+json").body(b.to_string());
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// Starts a helper process (a test identity provider) that prints "ready"
/// once listening; keeps reading its output so it never blocks. Killed when
/// the returned child is dropped.
pub async fn spawn_ready(mut command: tokio::process::Command, what: &str) -> tokio::process::Child {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {what}: {e}"));
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line()).await;
    assert!(matches!(ready, Ok(Ok(Some(ref l))) if l == "ready"), "{what} did not start: {ready:?}");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    child
}

/// The real binary serving `data`'s SQLite database (its own dev keys) on
/// `port`, with `env` on top, once it answers `/ready`. Killed when dropped.
pub async fn start_gatehouse(data: &std::path::Path, port: u16, env: &[(&str, &str)]) -> tokio::process::Child {
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .env_remove("DATABASE_URL")
        .env_remove("GATEHOUSE_SIGNING_KEY")
        .env("GATEHOUSE_CONFIG", data.join("none.toml"))
        .env("GATEHOUSE_BIND", format!("127.0.0.1:{port}"))
        .env("GATEHOUSE_DATA_DIR", data)
        .env("GATEHOUSE_WEB_DIR", data.join("no-spa"))
        .env("RUST_LOG", "error")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    for _ in 0..600 {
        if reqwest::get(format!("http://127.0.0.1:{port}/ready")).await.is_ok_and(|r| r.status().is_success()) {
            return child;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("gatehouse did not become ready");
}

/// `gatehouse {command} {args}`, the real binary, on `data_dir`'s SQLite
/// database and keys: whether it succeeded, its output and its errors.
pub fn gatehouse_command(data_dir: &std::path::Path, command: &str, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg(command)
        .args(args)
        .env("GATEHOUSE_DATA_DIR", data_dir)
        .env("GATEHOUSE_CONFIG", data_dir.join("none.toml"))
        .env_remove("DATABASE_URL")
        .env_remove("GATEHOUSE_SIGNING_KEY")
        .output()
        .expect("run gatehouse");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The value of a `name: value` line the command printed.
pub fn printed(out: &str, name: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no {name} in {out}"))
}

/// Fails if `secret` is anywhere in `data_dir`'s SQLite files (database and log).
pub fn assert_not_stored(data_dir: &std::path::Path, secret: &str) {
    let db = std::fs::read(data_dir.join("gatehouse.db")).unwrap();
    let wal = std::fs::read(data_dir.join("gatehouse.db-wal")).unwrap_or_default();
    let contains = |hay: &[u8]| hay.windows(secret.len()).any(|w| w == secret.as_bytes());
    assert!(!contains(&db) && !contains(&wal), "{secret} was stored in clear");
}

/// A port a helper process can listen on: below the kernel's ephemeral
/// range (32768–60999), where a port the system picks for some outgoing
/// connection in between can never be, and never one this test binary
/// handed out before.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    use rand::Rng;
    loop {
        let port = rand::rng().random_range(20_000..32_000);
        let mut given = GIVEN.lock().unwrap();
        if given.contains(&port) {
            continue;
        }
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            given.push(port);
            return port;
        }
    }
}
