//! SCIM load generator for `just bench scim`. Against a running server
//! (`BENCH_URL`, default http://127.0.0.1:18081) it signs up an organization,
//! buys Directory Sync in the sandbox, generates a SCIM token, then:
//! 1. creates `BENCH_USERS` users (default 10,000) from `BENCH_CLIENTS`
//!    concurrent clients (default 8) and reports users per second;
//! 2. sends `BENCH_QUERIES` (default 2,000) `GET /Users?filter=userName eq "…"`
//!    for random existing users, one at a time, and reports p50/p99 latency.
//!
//! With `BENCH_SCIM_URL` (a SCIM base URL, e.g. PyPI scim2-server's) it skips
//! the Gatehouse set-up and runs the same workload there (bearer token from
//! `BENCH_SCIM_TOKEN`, if any). The last line, `RESULT …`, is for scripts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn post(c: &reqwest::Client, url: &str, token: Option<&str>, body: Value) -> Value {
    let mut req = c.post(url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let v: Value = res.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "POST {url}: {status} {v}");
    v
}

/// A fresh organization with Directory Sync: (SCIM base URL, token).
async fn setup(c: &reqwest::Client, base: &str, domain: &str) -> (String, String) {
    let s = post(
        c,
        &format!("{base}/api/v1/auth/signup"),
        None,
        json!({ "organization_name": "Bench", "name": "Bench Admin", "email": format!("admin@{domain}"), "password": "benchmark-pass-1" }),
    )
    .await;
    let token = s["access_token"].as_str().unwrap().to_owned();
    let org = s["organization"]["id"].as_str().unwrap().to_owned();
    let api = format!("{base}/api/v1/organizations/{org}");
    post(c, &format!("{api}/domains"), Some(&token), json!({ "domains": domain })).await;
    let res = c
        .put(format!("{api}/default-plan"))
        .bearer_auth(&token)
        .json(&json!({ "plan_id": "plan_core" }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let quote = post(c, &format!("{api}/checkout"), Some(&token), json!({ "features": "directory_sync" })).await;
    let res = c
        .post(format!("{api}/checkout/{}/confirm", quote["id"].as_str().unwrap()))
        .bearer_auth(&token)
        .header("Idempotency-Key", "bench")
        .json(&json!({ "payment": { "card_number": "4242424242424242", "exp_month": 12, "exp_year": 2031, "cvc": "123", "cardholder_name": "Bench" } }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{:?}", res.text().await);
    let link = post(c, &format!("{api}/setup-links"), Some(&token), json!({ "kind": "scim" })).await;
    let setup = link["url"].as_str().unwrap().rsplit_once("/setup/").unwrap().1.to_owned();
    let creds = post(c, &format!("{base}/api/v1/setup/{setup}/scim-credentials"), None, json!({})).await;
    (creds["scim_base_url"].as_str().unwrap().to_owned(), creds["bearer_token"].as_str().unwrap().to_owned())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let base = std::env::var("BENCH_URL").unwrap_or_else(|_| "http://127.0.0.1:18081".to_owned());
    let users = env("BENCH_USERS", 10_000);
    let clients = env("BENCH_CLIENTS", 8);
    let queries = env("BENCH_QUERIES", 2_000);
    let domain = "bench-corp.com";
    let http = reqwest::Client::builder().pool_max_idle_per_host(clients * 2).build().unwrap();
    let (scim, token) = match std::env::var("BENCH_SCIM_URL") {
        Ok(url) => (url, std::env::var("BENCH_SCIM_TOKEN").unwrap_or_default()),
        Err(_) => setup(&http, &base, domain).await,
    };

    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, scim, token, next) = (http.clone(), scim.clone(), token.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= users {
                    break;
                }
                let name = format!("user{i:06}@{domain}");
                let body = json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": name,
                    "externalId": format!("ext-{i}"),
                    "name": { "givenName": "User", "familyName": format!("{i:06}") },
                    "emails": [{ "value": name, "type": "work", "primary": true }],
                    "active": true
                });
                let res = http
                    .post(format!("{scim}/Users"))
                    .bearer_auth(&token)
                    .header("content-type", "application/scim+json")
                    .body(body.to_string())
                    .send()
                    .await
                    .expect("create");
                assert_eq!(res.status(), reqwest::StatusCode::CREATED, "{:?}", res.text().await);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = started.elapsed();
    let rate = users as f64 / elapsed.as_secs_f64();

    let mut latencies = Vec::with_capacity(queries);
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..queries {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let i = (seed % users as u64) as usize;
        let url = format!("{scim}/Users?filter=userName%20eq%20%22user{i:06}%40{domain}%22");
        let t0 = Instant::now();
        let res = http.get(&url).bearer_auth(&token).send().await.expect("query");
        let body: Value = res.json().await.unwrap();
        latencies.push(t0.elapsed());
        assert_eq!(body["totalResults"], 1, "{body}");
    }
    latencies.sort();
    println!("SCIM create: {users} users, {clients} clients: {:.1} s, {rate:.0} users/s", elapsed.as_secs_f64());
    println!(
        "SCIM filter userName eq at {users} users: p50 {:.2} ms, p99 {:.2} ms ({queries} queries, 1 client)",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3
    );
    println!(
        "RESULT users_per_sec={rate:.0} p50_ms={:.3} p99_ms={:.3}",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3
    );
}
