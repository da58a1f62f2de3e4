//! Webhook deliveries (`just bench webhooks`): the release server on
//! SQLite with one endpoint on a local receiver (answering 204 at once).
//! Two figures: a burst of `BENCH_EVENTS` events (default 5,000) committed
//! 100 to a transaction, and deliveries/s until the last one lands; then
//! 200 single-event transactions 20 ms apart, and commit → delivery latency
//! p50/p99.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

type Seen = Arc<Mutex<HashMap<String, Instant>>>;

async fn hook(req: HttpRequest, seen: web::Data<Seen>) -> HttpResponse {
    let id = req.headers().get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    seen.lock().unwrap().entry(id).or_insert_with(Instant::now);
    HttpResponse::NoContent().finish()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[actix_web::main]
async fn main() {
    let events: usize = std::env::var("BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(5_000);
    let seen: Seen = Arc::default();
    let data = web::Data::new(seen.clone());
    let receiver = HttpServer::new(move || App::new().app_data(data.clone()).route("/hook", web::post().to(hook)))
        .workers(2)
        .bind("127.0.0.1:0")
        .unwrap();
    let receiver_addr = receiver.addrs()[0];
    actix_web::rt::spawn(receiver.run());

    let dir = tempfile::tempdir().unwrap();
    let settings = api::config::Settings {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().join("data"),
        web_dir: dir.path().join("no-spa"),
        allow_private_network_urls: true,
        domain_recheck_secs: 0,
        ..api::config::Settings::default()
    };
    let running = api::start(settings, Arc::new(api::clock::SystemClock)).await.unwrap();
    let base = format!("http://{}", running.addr);
    let state = running.state.clone();
    actix_web::rt::spawn(running.server);
    let (_, key) = api::auth::service_keys::create(
        &state.db,
        &state.keys,
        "Bench",
        api::auth::service_keys::Scope::Write,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{base}/api/v1/webhook-endpoints"))
        .bearer_auth(&key)
        .json(&serde_json::json!({ "url": format!("http://{receiver_addr}/hook") }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    let emit = |n: usize| {
        api::events::NewEvent::new("group.updated", "org_bench", format!("grp_{n}"), serde_json::json!({ "n": n }))
    };
    // The burst.
    let started = Instant::now();
    for batch in 0..events.div_ceil(100) {
        let txn = state.begin_write().await.unwrap();
        for n in batch * 100..((batch + 1) * 100).min(events) {
            api::events::emit(&*txn, emit(n), chrono::Utc::now()).await.unwrap();
        }
        txn.commit().await.unwrap();
    }
    let committed = started.elapsed();
    while seen.lock().unwrap().len() < events {
        assert!(started.elapsed() < Duration::from_secs(300), "deliveries stalled at {}", seen.lock().unwrap().len());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let all = started.elapsed();
    println!(
        "RESULT burst: {events} events committed in {:.2} s, all delivered after {:.2} s: {:.0} deliveries/s",
        committed.as_secs_f64(),
        all.as_secs_f64(),
        events as f64 / all.as_secs_f64()
    );

    // Latency, one event at a time.
    let mut commits: Vec<(String, Instant)> = Vec::new();
    for n in 0..200 {
        let txn = state.begin_write().await.unwrap();
        api::events::emit(&*txn, emit(events + n), chrono::Utc::now()).await.unwrap();
        txn.commit().await.unwrap();
        let at = Instant::now();
        let id = api::events::head(&state.db).await.unwrap().id;
        commits.push((id, at));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    while seen.lock().unwrap().len() < events + 200 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let seen = seen.lock().unwrap();
    let mut latencies: Vec<Duration> =
        commits.iter().map(|(id, at)| seen.get(id).unwrap().saturating_duration_since(*at)).collect();
    latencies.sort();
    println!(
        "RESULT latency: commit to delivery p50 {:.0} ms, p99 {:.0} ms (200 events, 20 ms apart)",
        percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0
    );
}
