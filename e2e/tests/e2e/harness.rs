use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use api::clock::SystemClock;
use api::config::Settings;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

pub const PASSWORD: &str = "correct horse battery";

pub struct Browser {
    pub client: Client,
    pub base: String,
    /// The server's data directory (its development mail sink is `mail/` in it).
    pub data: PathBuf,
    server: ServerHandle,
    driver: Child,
    driver_port: u16,
    _dir: tempfile::TempDir,
}

/// Ports this process's chromedrivers were given and may still listen on.
/// `bind(0)` hands out a port that is free *now*: a parallel test could get
/// the same one before the first chromedriver listens on it, connect to the
/// other test's browser and lose it when that test ends.
static DRIVER_PORTS: std::sync::Mutex<std::collections::BTreeSet<u16>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

fn driver_port() -> u16 {
    loop {
        let port = TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
        if DRIVER_PORTS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(port) {
            return port;
        }
    }
}

fn release_port(port: u16) {
    DRIVER_PORTS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&port);
}

fn spawn_driver(port: u16) -> Child {
    Command::new(chromedriver().expect("chromedriver"))
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver")
}

fn require() -> bool {
    std::env::var("REQUIRE_E2E").is_ok_and(|v| v == "1")
}

fn dist_dir() -> PathBuf {
    std::env::var_os("GATEHOUSE_WEB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../dist")))
}

fn chromedriver() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join("chromedriver")).find(|p| p.is_file())
}

fn chromium() -> String {
    std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}

/// `None` (with a note on stderr) when e2e cannot run here and is not required.
fn provider_key() -> &'static str {
    static KEY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        api::provider::keys::generate(api::provider::keys::SigningAlgorithm::RS256).expect("an OpenID signing key")
    })
}

pub async fn launch() -> Option<Browser> {
    launch_with(|_| {}).await
}

/// The same, with some settings changed.
pub async fn launch_with(tweak: impl FnOnce(&mut Settings)) -> Option<Browser> {
    let dist = dist_dir();
    let missing = match chromedriver() {
        None => Some("chromedriver is not on PATH".to_owned()),
        Some(_) if !dist.join("index.html").is_file() => {
            Some(format!("the SPA is not built at {} (run `just e2e`)", dist.display()))
        }
        Some(_) => None,
    };
    if let Some(why) = missing {
        assert!(!require(), "REQUIRE_E2E=1 but {why}");
        eprintln!("skipping e2e: {why}");
        return None;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut settings = Settings {
        bind: "127.0.0.1:0".parse().expect("addr"),
        data_dir: dir.path().join("data"),
        web_dir: dist,
        // The identity providers these tests run listen on loopback.
        allow_private_network_urls: true,
        // These tests publish no DNS records (the API tests verify domains
        // against a DNS server); the tab shows that verification is off.
        domain_verification: api::config::DomainVerificationMode::Off,
        domain_recheck_secs: 0,
        dns_servers: Some("127.0.0.1:9".to_owned()),
        // One generated OpenID signing key for all the browser tests.
        oidc_signing_key: Some(provider_key().to_owned()),
        ..Settings::default()
    };
    tweak(&mut settings);
    let data = settings.data_dir.clone();
    let running = api::start(settings, Arc::new(SystemClock)).await.expect("start server");
    let base = format!("http://{}", running.addr);
    let server = running.handle();
    actix_web::rt::spawn(running.server);

    let mut port = driver_port();
    let mut driver = spawn_driver(port);

    let profile = dir.path().join("chromium-profile");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": chromium(),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    // chromedriver takes a moment to listen: retry the session for up to ~20 s.
    let mut last_err = None;
    for _ in 0..80 {
        // Another process took the port before chromedriver listened on it
        // (it exits): start it again on another one.
        if driver.try_wait().is_ok_and(|exited| exited.is_some()) {
            release_port(port);
            port = driver_port();
            driver = spawn_driver(port);
        }
        match ClientBuilder::new(HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => {
                return Some(Browser { client, base, data, server, driver, driver_port: port, _dir: dir });
            }
            Err(e) => {
                last_err = Some(e);
                actix_web::rt::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }
    panic!("could not start a browser session: {last_err:?}");
}

impl Browser {
    pub async fn goto(&self, path: &str) {
        self.client.goto(&format!("{}{}", self.base, path)).await.expect("goto");
    }

    pub async fn el(&self, testid: &str) -> Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(&format!("[data-testid=\"{testid}\"]")))
            .await
            .unwrap_or_else(|e| panic!("no element {testid}: {e}"))
    }

    pub async fn fill(&self, testid: &str, text: &str) {
        let el = self.el(testid).await;
        el.clear().await.expect("clear");
        el.send_keys(text).await.expect("type");
    }

    pub async fn click(&self, testid: &str) {
        self.el(testid).await.click().await.expect("click");
    }

    /// Waits until the element's text contains `want` (the SPA renders asynchronously).
    pub async fn wait_text(&self, testid: &str, want: &str) -> String {
        self.wait_css(&format!("[data-testid=\"{testid}\"]"), want).await
    }

    /// Waits until the element `css` (on any page, ours or not) shows `want`.
    pub async fn wait_css(&self, css: &str, want: &str) -> String {
        let mut last = String::new();
        for _ in 0..100 {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                last = el.text().await.unwrap_or_default();
                if last.contains(want) {
                    return last;
                }
            }
            actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        }
        let url = self.client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
        panic!("{css} never showed {want:?} (at {url}); last text {last:?}");
    }

    /// On the checkout page: chooses `features` (`sso`, `directory_sync`),
    /// pays with the sandbox's good card, and goes back to the Provision tab
    /// from the receipt.
    pub async fn buy(&self, features: &str, cardholder: &str) {
        self.click(&format!("choose-{features}")).await;
        self.fill("input-cardholder_name", cardholder).await;
        self.fill("input-card_number", "4242 4242 4242 4242").await;
        self.fill("input-expiry", "12/31").await;
        self.fill("input-cvc", "123").await;
        self.click("confirm-purchase").await;
        self.el("receipt").await;
        self.click("to-provision").await;
    }

    /// Creates an organization through the sign-up page and waits for its page.
    pub async fn sign_up(&self, org: &str, name: &str, email: &str) {
        self.goto("/signup").await;
        self.fill("input-organization_name", org).await;
        self.fill("input-name", name).await;
        self.fill("input-email", email).await;
        self.fill("input-password", PASSWORD).await;
        self.click("signup-submit").await;
        self.wait_text("organization-name", org).await;
    }

    /// Through the API: the Administrator `admin_email` (password
    /// [`PASSWORD`]) invites `email` into their first organization, and the
    /// invite is accepted with [`PASSWORD`] (a new account, or an existing
    /// one proving it).
    pub async fn join_by_invite(&self, admin_email: &str, email: &str, name: &str) {
        let api = reqwest::Client::new();
        let post = |path: &str, token: Option<&str>, body: serde_json::Value| {
            let mut req = api.post(format!("{}{path}", self.base)).json(&body);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            async move { req.send().await.expect("request").json::<serde_json::Value>().await.expect("json") }
        };
        let login = post("/api/v1/auth/login", None, json!({ "email": admin_email, "password": PASSWORD })).await;
        let token = login["access_token"].as_str().expect("token").to_owned();
        let me: serde_json::Value = api
            .get(format!("{}/api/v1/me", self.base))
            .bearer_auth(&token)
            .send()
            .await
            .expect("me")
            .json()
            .await
            .expect("json");
        let org = me["memberships"][0]["organization_id"].as_str().expect("org").to_owned();
        let invite =
            post(&format!("/api/v1/organizations/{org}/invites"), Some(&token), json!({ "email": email })).await;
        let accepted = api
            .post(format!("{}/api/v1/invites/accept", self.base))
            .json(&json!({ "token": invite["token"], "name": name, "password": PASSWORD }))
            .send()
            .await
            .expect("accept");
        assert_eq!(accepted.status(), 201, "{}", accepted.text().await.unwrap_or_default());
    }

    /// Saves PNGs of the page at 1280 and 390 px wide to
    /// `$E2E_SCREENSHOT_DIR/{name}.png` and `{name}-390.png` when that is set
    /// (for looking at the UI; tests never compare pixels).
    pub async fn screenshot(&self, name: &str) {
        if let Some(dir) = std::env::var_os("E2E_SCREENSHOT_DIR") {
            let png = self.client.screenshot().await.expect("screenshot");
            std::fs::write(PathBuf::from(&dir).join(format!("{name}.png")), png).expect("write screenshot");
            self.client.set_window_size(390, 844).await.expect("narrow window");
            actix_web::rt::time::sleep(Duration::from_millis(150)).await;
            let png = self.client.screenshot().await.expect("screenshot");
            std::fs::write(PathBuf::from(&dir).join(format!("{name}-390.png")), png).expect("write screenshot");
            self.client.set_window_size(1280, 900).await.expect("wide window");
        }
    }

    /// Like `screenshot`, with the element `testid` scrolled into view at
    /// each width (`{name}-card.png`, `{name}-card-390.png`): a part far
    /// down a long page.
    pub async fn screenshot_of(&self, testid: &str, name: &str) {
        let Some(dir) = std::env::var_os("E2E_SCREENSHOT_DIR") else { return };
        let script = format!("document.querySelector('[data-testid=\"{testid}\"]').scrollIntoView()");
        for (width, height, suffix) in [(1280, 900, ""), (390, 844, "-390")] {
            self.client.set_window_size(width, height).await.expect("window size");
            actix_web::rt::time::sleep(Duration::from_millis(150)).await;
            self.client.execute(&script, vec![]).await.expect("scroll");
            let png = self.client.screenshot().await.expect("screenshot");
            std::fs::write(PathBuf::from(&dir).join(format!("{name}-card{suffix}.png")), png)
                .expect("write screenshot");
        }
        self.client.set_window_size(1280, 900).await.expect("wide window");
    }

    /// Runs axe-core (tools/node_modules, `just tools`) on the page as it is
    /// now: any serious or critical violation fails the test, named with the
    /// elements it found.
    pub async fn assert_accessible(&self, page: &str) {
        let script = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tools/node_modules/axe-core/axe.min.js"));
        let Ok(axe) = std::fs::read_to_string(&script) else {
            assert!(!require(), "axe-core is missing: run `just tools`");
            eprintln!("skipping the accessibility audit: axe-core missing (run `just tools`)");
            return;
        };
        self.client.execute(&axe, vec![]).await.expect("load axe-core");
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations
                     .filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at '
                         + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))));",
                vec![],
            )
            .await
            .expect("run axe-core");
        let violations: Vec<String> = serde_json::from_value(found).unwrap_or_default();
        assert!(violations.is_empty(), "{page}: accessibility violations:\n{}", violations.join("\n"));
    }

    /// Looks at a screen as a reviewer would: the accessibility audit, and
    /// the screenshots at 1280 and 390 px (`E2E_SCREENSHOT_DIR`).
    pub async fn look(&self, name: &str) {
        self.assert_accessible(name).await;
        self.screenshot(name).await;
        assert_eq!(self.overflow_at_390().await, 0, "{name} scrolls sideways at 390 px");
    }

    /// How many CSS pixels the page is wider than a 390 px phone screen
    /// (0: nothing scrolls sideways).
    pub async fn overflow_at_390(&self) -> i64 {
        self.client.set_window_size(390, 844).await.expect("narrow window");
        actix_web::rt::time::sleep(Duration::from_millis(150)).await;
        let wider = self
            .client
            .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth;", vec![])
            .await
            .expect("measure");
        self.client.set_window_size(1280, 900).await.expect("wide window");
        wider.as_i64().unwrap_or(-1)
    }

    /// Waits until the organization's audit log (read with the page's session)
    /// has an event of `action`: the change behind it is saved.
    pub async fn wait_audit(&self, action: &str) {
        let script = "const [action, done] = [arguments[0], arguments[arguments.length - 1]];
            const org = location.pathname.split('/')[2];
            fetch('/api/v1/organizations/' + org + '/audit-events?action=' + action)
                .then(r => r.json()).then(p => done((p.data || []).length), () => done(0));";
        for _ in 0..50 {
            let found = self.client.execute_async(script, vec![json!(action)]).await.expect("read the audit log");
            if found.as_i64().unwrap_or(0) > 0 {
                return;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no {action} in the audit log");
    }

    /// Accepts the page's `confirm()` question.
    pub async fn accept_dialog(&self) {
        for _ in 0..50 {
            if self.client.accept_alert().await.is_ok() {
                return;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no dialog to accept");
    }

    pub async fn path(&self) -> String {
        self.client.current_url().await.expect("url").path().to_owned()
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
        self.server.stop(false).await;
    }
}

/// Even when a test panics, chromedriver does not outlive it.
impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        release_port(self.driver_port);
    }
}
