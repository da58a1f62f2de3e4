//! Complete OpenID Connect code flows per second (`just bench oidc`): a
//! member with a Gatehouse session asks the authorization endpoint for a
//! code, the application exchanges it at the token endpoint (HTTP Basic,
//! PKCE) and calls userinfo — from `BENCH_CLIENTS` concurrent clients
//! (default 8) for `BENCH_SECS` (default 10) against the release server on
//! SQLite. Prints flows/s, p50 and p99.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use sha2::Digest;

const REDIRECT: &str = "http://127.0.0.1:3000/callback";
const VERIFIER: &str = "a-code-verifier-that-is-long-enough-to-be-valid-0123456789";

#[actix_web::main]
async fn main() {
    let clients: usize = std::env::var("BENCH_CLIENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(8);
    let secs: u64 = std::env::var("BENCH_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let dir = tempfile::tempdir().unwrap();
    let settings = api::config::Settings {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().join("data"),
        web_dir: dir.path().join("no-spa"),
        auth_requests_per_minute: 0,
        domain_recheck_secs: 0,
        ..api::config::Settings::default()
    };
    let running = api::start(settings, Arc::new(api::clock::SystemClock)).await.unwrap();
    let base = format!("http://{}", running.addr);
    let state = running.state.clone();
    actix_web::rt::spawn(running.server);

    let args: Vec<String> =
        ["add", "--name", "Bench", "--redirect-uri", REDIRECT].iter().map(|s| (*s).to_owned()).collect();
    let out = api::provider::cli::run(&state.db, &args, chrono::Utc::now()).await.unwrap();
    let field = |name: &str| out.lines().find_map(|l| l.strip_prefix(&format!("{name}: "))).unwrap().to_owned();
    let (client_id, secret) = (field("client_id"), field("client_secret"));

    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let signup: serde_json::Value = http
        .post(format!("{base}/api/v1/auth/signup"))
        .json(&serde_json::json!({"organization_name": "Bench", "name": "Ada", "email": "ada@bench.io", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session = signup["access_token"].as_str().unwrap().to_owned();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(VERIFIER.as_bytes()));
    let mut authorize = reqwest::Url::parse(&format!("{base}/oauth2/authorize")).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid email profile")
        .append_pair("state", "bench")
        .append_pair("nonce", "bench")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");

    let flow = {
        let (http, base, authorize, session, client_id, secret) =
            (http.clone(), base.clone(), authorize.to_string(), session.clone(), client_id.clone(), secret.clone());
        move || {
            let (http, base, authorize, session, client_id, secret) =
                (http.clone(), base.clone(), authorize.clone(), session.clone(), client_id.clone(), secret.clone());
            async move {
                let res = http.get(&authorize).bearer_auth(&session).send().await.unwrap();
                let location = res.headers()["location"].to_str().unwrap().to_owned();
                let code = reqwest::Url::parse(&location)
                    .unwrap()
                    .query_pairs()
                    .find(|(k, _)| k == "code")
                    .map(|(_, v)| v.into_owned())
                    .expect("a code");
                let tokens: serde_json::Value = http
                    .post(format!("{base}/oauth2/token"))
                    .basic_auth(&client_id, Some(&secret))
                    .form(&[
                        ("grant_type", "authorization_code"),
                        ("code", code.as_str()),
                        ("redirect_uri", REDIRECT),
                        ("code_verifier", VERIFIER),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let access = tokens["access_token"].as_str().expect("an access token");
                let info = http.get(format!("{base}/oauth2/userinfo")).bearer_auth(access).send().await.unwrap();
                assert!(info.status().is_success());
            }
        }
    };
    // Warm up, then measure.
    for _ in 0..20 {
        flow().await;
    }
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let flow = flow.clone();
        tasks.push(actix_web::rt::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                flow().await;
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)].as_secs_f64() * 1e3;
    println!(
        "RESULT oidc code flows (authorize → token → userinfo), {clients} clients, {secs} s: {:.0} flows/s, p50 {:.2} ms, p99 {:.2} ms ({} flows)",
        all.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99),
        all.len()
    );
}
