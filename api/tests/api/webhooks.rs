//! Webhooks (issue 20): a receiver that verifies every delivery with the
//! Standard Webhooks reference library (npm `standardwebhooks`,
//! `tools/webhook-receiver.mjs`), with faults injected: errors then
//! success on the retry schedule (the server's clock moved on), 410,
//! timeouts, a refused connection, a burst, a secret rotation, a replay.

use std::path::PathBuf;
use std::time::Duration;

use api::auth::service_keys::{Scope, create};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

fn tools() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().join("tools")
}

struct Receiver {
    base: String,
    http: reqwest::Client,
    _child: tokio::process::Child,
}

impl Receiver {
    async fn start() -> Option<Self> {
        if !tools().join("node_modules/standardwebhooks").exists() {
            assert!(
                std::env::var("REQUIRE_IDP").is_err(),
                "tools/node_modules/standardwebhooks is needed: run `just tools`"
            );
            eprintln!("skipping: standardwebhooks missing (run `just tools`)");
            return None;
        }
        let port = crate::helpers::free_port();
        let mut command = tokio::process::Command::new("node");
        command.arg(tools().join("webhook-receiver.mjs")).arg(port.to_string());
        let child = crate::helpers::spawn_ready(command, "the webhook receiver").await;
        Some(Self { base: format!("http://127.0.0.1:{port}"), http: reqwest::Client::new(), _child: child })
    }

    fn hook(&self) -> String {
        format!("{}/hook", self.base)
    }

    async fn post(&self, path: &str, body: &Value) {
        let res = self.http.post(format!("{}{path}", self.base)).json(body).send().await.unwrap();
        assert!(res.status().is_success());
    }

    async fn state(&self) -> Value {
        self.http.get(format!("{}/state", self.base)).send().await.unwrap().json().await.unwrap()
    }

    /// The receiver's state once `done` holds (or a panic after 30 s).
    async fn until(&self, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        self.until_for(what, Duration::from_secs(30), done).await
    }

    async fn until_for(&self, what: &str, limit: Duration, done: impl Fn(&Value) -> bool) -> Value {
        let started = std::time::Instant::now();
        while started.elapsed() < limit {
            let s = self.state().await;
            if done(&s) {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{what}: {}", self.state().await);
    }
}

fn answered(s: &Value) -> Vec<u64> {
    s["deliveries"].as_array().unwrap().iter().map(|d| d["answered"].as_u64().unwrap()).collect()
}

/// A write key, and an endpoint for `url` (with `types`): (key, endpoint).
async fn endpoint(app: &TestApp, url: &str, types: &[&str]) -> (String, Value) {
    let (_, key) = create(&app.state.db, &app.state.keys, "Hooks", Scope::Write, app.clock_now()).await.unwrap();
    let body = json!({ "url": url, "event_types": types, "description": "Our receiver" });
    let (status, created) = app.send(Method::POST, "/api/v1/webhook-endpoints", Some(&body), Some(&key)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    (key, created)
}

/// `n` `group.updated` events (objects `grp_{tag}_…`) committed in one
/// transaction of `app`'s.
async fn commit_events(app: &TestApp, tag: impl std::fmt::Display, n: usize) {
    let now = app.clock_now();
    let txn = app.state.begin_write().await.unwrap();
    for i in 0..n {
        let e = api::events::NewEvent::new("group.updated", "org_x", format!("grp_{tag}_{i}"), json!({ "n": i }));
        api::events::emit(&*txn, e, now).await.unwrap();
    }
    txn.commit().await.unwrap();
}

async fn attempts(app: &TestApp, key: &str, id: &str) -> Vec<Value> {
    let (status, page) =
        app.send(Method::GET, &format!("/api/v1/webhook-endpoints/{id}/attempts"), None, Some(key)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["data"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn deliveries_are_signed_and_retried_on_schedule_until_they_land() {
    let Some(rx) = Receiver::start().await else { return };
    let app = spawn_app().await;
    let (key, ep) = endpoint(&app, &rx.hook(), &["organization.created"]).await;
    let secret = ep["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let body = secret.trim_start_matches("whsec_");
    assert_eq!(
        app.count_where("webhook_endpoints", &format!("secret LIKE '%{body}%'")).await,
        0,
        "sealed, not in clear"
    );
    rx.post("/secrets", &json!([secret])).await;
    rx.post("/program", &json!({ "statuses": [500, 503] })).await;

    app.signup("Acme", "ada@acme.com").await;
    let s = rx.until("the first attempt", |s| answered(s).len() == 1).await;
    assert_eq!(s["invalid"], 0, "signed with the endpoint's secret: {s}");
    // Not again before its time (5 s, ±10 %) on the server's clock.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(answered(&rx.state().await), [500]);
    app.clock.advance(chrono::Duration::seconds(6));
    rx.until("the second attempt", |s| answered(s).len() == 2).await;
    app.clock.advance(chrono::Duration::seconds(200));
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(answered(&rx.state().await).len(), 2, "the third waits 5 minutes");
    app.clock.advance(chrono::Duration::seconds(150));
    let s = rx.until("delivered", |s| s["unique"] == 1).await;
    assert_eq!(answered(&s), [500, 503, 204]);
    let d = &s["deliveries"][2];
    assert_eq!((d["type"].as_str(), d["version"].as_i64()), (Some("organization.created"), Some(1)));
    assert!(d["id"].as_str().unwrap().starts_with("evt_"));

    // The log, newest first, with the receiver's words as printable text.
    let log = attempts(&app, &key, ep["id"].as_str().unwrap()).await;
    let statuses: Vec<u64> = log.iter().map(|a| a["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [204, 503, 500]);
    assert_eq!(log[2]["response_excerpt"], "receiver says no (500)", "control characters dropped: {}", log[2]);
    assert!(log[2]["error"].as_str().unwrap().contains("HTTP 500"));
    assert!(log.iter().all(|a| a["latency_ms"].as_i64().unwrap() >= 0));
    // Nothing more: only the endpoint's type, once.
    let globex = app.signup("Globex", "hank@globex.com").await;
    app.invite_and_accept(&globex, "x@globex.com").await;
    let s = rx.until("the second organization", |s| s["unique"] == 2).await;
    assert_eq!(s["duplicates"], 0);
    assert!(s["deliveries"].as_array().unwrap().iter().all(|d| d["type"] == "organization.created"));
}

#[actix_web::test]
async fn a_410_or_five_days_of_failures_turn_an_endpoint_off_with_an_event() {
    let Some(rx) = Receiver::start().await else { return };
    let app = spawn_app().await;
    let (key, gone) = endpoint(&app, &rx.hook(), &[]).await;
    rx.post("/secrets", &json!([gone["secret"]])).await;
    rx.post("/program", &json!({ "statuses": [410] })).await;
    // Nothing listens on the other: every attempt fails to connect.
    let closed = format!("http://127.0.0.1:{}/hook", crate::helpers::free_port());
    let (_, failing) = endpoint(&app, &closed, &["organization.created"]).await;
    app.signup("Acme", "ada@acme.com").await;
    rx.until("the 410", |s| answered(s).contains(&410)).await;
    let gone_id = gone["id"].as_str().unwrap();
    for _ in 0..100 {
        let (_, e) = app.send(Method::GET, &format!("/api/v1/webhook-endpoints/{gone_id}"), None, Some(&key)).await;
        if e["enabled"] == false {
            assert_eq!(e["disabled_reason"], "gone");
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let failing_id = failing["id"].as_str().unwrap();
    let first = loop {
        let log = attempts(&app, &key, failing_id).await;
        if let Some(a) = log.first() {
            break a.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(first["status"].is_null() && first["error"].as_str().unwrap().contains("could not connect"), "{first}");
    // Retried on the schedule until, 5 days on, the endpoint goes off.
    for _ in 0..12 {
        app.clock.advance(chrono::Duration::hours(11));
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    let (_, e) = app.send(Method::GET, &format!("/api/v1/webhook-endpoints/{failing_id}"), None, Some(&key)).await;
    assert_eq!((e["enabled"].as_bool(), e["disabled_reason"].as_str()), (Some(false), Some("failing")), "{e}");
    let tries = attempts(&app, &key, failing_id).await.len();
    assert!((6..=13).contains(&tries), "{tries} attempts");
    let (_, feed) = app.send(Method::GET, "/api/v1/events?types=webhook_endpoint.disabled", None, Some(&key)).await;
    let reasons: Vec<&str> =
        feed["data"].as_array().unwrap().iter().map(|e| e["data"]["disabled_reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["gone", "failing"], "{feed}");
    // Turned back on by the operator: delivers again from then on.
    let on = json!({ "enabled": true });
    let (status, e) =
        app.send(Method::PATCH, &format!("/api/v1/webhook-endpoints/{gone_id}"), Some(&on), Some(&key)).await;
    assert_eq!((status, e["disabled_reason"].clone()), (StatusCode::OK, Value::Null));
    app.signup("Globex", "hank@globex.com").await;
    rx.until("delivered after turning it on", |s| s["unique"].as_u64() >= Some(1)).await;
}

#[actix_web::test]
async fn a_burst_of_a_thousand_events_arrives_whole_and_a_replay_keeps_ids() {
    let Some(rx) = Receiver::start().await else { return };
    let app = spawn_app().await;
    let (key, ep) = endpoint(&app, &rx.hook(), &[]).await;
    rx.post("/secrets", &json!([ep["secret"]])).await;
    let now = app.clock_now();
    for batch in 0..10 {
        commit_events(&app, batch, 100).await;
    }
    // A rolled-back change has no event and no delivery.
    let txn = app.state.begin_write().await.unwrap();
    api::events::emit(&*txn, api::events::NewEvent::new("group.deleted", "org_x", "grp_gone", json!({})), now)
        .await
        .unwrap();
    drop(txn);
    let s = rx.until("a thousand deliveries", |s| s["unique"] == 1000).await;
    assert_eq!((s["duplicates"].as_u64(), s["invalid"].as_u64()), (Some(0), Some(0)));
    assert!(s["deliveries"].as_array().unwrap().iter().all(|d| d["type"] == "group.updated"));

    // Replayed after the 990th: ten again, with the same webhook-ids.
    let all = crate::events::feed(&app, &key, "").await;
    assert_eq!(all.len(), 1000);
    let cursor = all[989]["id"].as_str().unwrap();
    let id = ep["id"].as_str().unwrap();
    let (status, replayed) = app
        .send(
            Method::POST,
            &format!("/api/v1/webhook-endpoints/{id}/replay"),
            Some(&json!({ "after": cursor })),
            Some(&key),
        )
        .await;
    assert_eq!((status, replayed["queued"].as_u64()), (StatusCode::ACCEPTED, Some(10)), "{replayed}");
    let s = rx.until("the replay", |s| s["duplicates"] == 10).await;
    assert_eq!(s["unique"], 1000);
}

#[actix_web::test]
async fn a_rotated_secret_signs_beside_the_old_one_for_a_day() {
    let Some(rx) = Receiver::start().await else { return };
    let app = spawn_app().await;
    let (key, ep) = endpoint(&app, &rx.hook(), &["organization.created"]).await;
    let old = ep["secret"].as_str().unwrap().to_owned();
    let id = ep["id"].as_str().unwrap();
    let (status, rotated) =
        app.send(Method::POST, &format!("/api/v1/webhook-endpoints/{id}/rotate-secret"), None, Some(&key)).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(old, new);
    rx.post("/secrets", &json!([old, new])).await;
    app.signup("Acme", "ada@acme.com").await;
    let s = rx.until("signed with both", |s| s["unique"] == 1).await;
    assert_eq!(s["deliveries"][0]["valid_with"], json!([0, 1]), "{s}");
    assert_eq!(s["deliveries"][0]["signatures"], 2);
    // A day later only the new one signs.
    app.clock.advance(chrono::Duration::hours(25));
    app.signup("Globex", "hank@globex.com").await;
    let s = rx.until("signed with the new one", |s| s["unique"] == 2).await;
    assert_eq!(s["deliveries"][1]["valid_with"], json!([1]), "{s}");
    assert_eq!(s["deliveries"][1]["signatures"], 1);
}

#[actix_web::test]
async fn endpoints_are_a_service_keys_with_reasons_for_every_refusal() {
    let app = spawn_app().await;
    let (key, ep) = endpoint(&app, "https://hooks.example.com/gatehouse", &["member.created"]).await;
    let (_, read) = create(&app.state.db, &app.state.keys, "Reader", Scope::Read, app.clock_now()).await.unwrap();
    let id = ep["id"].as_str().unwrap();
    let path = format!("/api/v1/webhook-endpoints/{id}");
    // Read: listed and got, never with the secret.
    let (status, list) = app.send(Method::GET, "/api/v1/webhook-endpoints", None, Some(&read)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["data"][0]["id"], id);
    assert!(list["data"][0].get("secret").is_none() && !list.to_string().contains("whsec_"), "{list}");
    let (_, got) = app.send(Method::GET, &path, None, Some(&read)).await;
    assert_eq!(got["event_types"], json!(["member.created"]));
    // Refused: a read key writing, bad fields, a private address, no key.
    let (status, _) = app.send(Method::PATCH, &path, Some(&json!({ "enabled": false })), Some(&read)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let bad = json!({ "url": "ftp://x", "event_types": ["member.exploded"] });
    let (status, refused) = app.send(Method::POST, "/api/v1/webhook-endpoints", Some(&bad), Some(&key)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = crate::helpers::fields(&refused).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["url", "event_types[0]"]);
    let (status, _) = app
        .send(Method::POST, "/api/v1/webhook-endpoints", Some(&json!({ "url": "https://x", "extra": 1 })), Some(&key))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app.send(Method::GET, "/api/v1/webhook-endpoints", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("webhook_endpoints").await, 1, "nothing half-saved");
    // Changed, then deleted.
    let change = json!({ "description": "Billing", "event_types": [] });
    let (status, changed) = app.send(Method::PATCH, &path, Some(&change), Some(&key)).await;
    assert_eq!(
        (status, changed["description"].as_str(), changed["event_types"].clone()),
        (StatusCode::OK, Some("Billing"), json!([]))
    );
    let (status, _) = app.send(Method::DELETE, &path, None, Some(&key)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.send(Method::GET, &path, None, Some(&key)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Every attempt the endpoint's log holds, once there are `n` (or a panic
/// after 30 s).
async fn until_attempts(app: &TestApp, key: &str, id: &str, n: usize) -> Vec<Value> {
    for _ in 0..300 {
        let log = attempts(app, key, id).await;
        if log.len() >= n {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{n} attempts never logged: {:?}", attempts(app, key, id).await);
}

#[actix_web::test]
async fn a_receiver_slower_than_five_seconds_is_logged_as_such_and_retried() {
    let Some(rx) = Receiver::start().await else { return };
    let app = spawn_app().await;
    let (key, ep) = endpoint(&app, &rx.hook(), &["organization.created"]).await;
    let id = ep["id"].as_str().unwrap();
    rx.post("/secrets", &json!([ep["secret"]])).await;
    rx.post("/program", &json!({ "delay_ms": 6_500 })).await;

    app.signup("Acme", "ada@acme.com").await;
    let log = until_attempts(&app, &key, id, 1).await;
    let first = &log[0];
    assert_eq!(first["status"], Value::Null, "no answer: {first}");
    assert_eq!(first["error"], "the webhook URL did not answer within 5 seconds");
    let waited = first["latency_ms"].as_i64().unwrap();
    assert!((4_900..6_500).contains(&waited), "gave up at 5 s, not when the receiver answered: {waited} ms");

    // The retry, 5 s later on the server's clock, lands.
    rx.post("/program", &json!({ "delay_ms": 0 })).await;
    app.clock.advance(chrono::Duration::seconds(6));
    let log = until_attempts(&app, &key, id, 2).await;
    assert_eq!(log[0]["status"], 204, "{log:?}");
    // The receiver saw the first one's connection closed before it answered.
    let s = rx.until("the slow one abandoned", |s| s["abandoned"] == 1).await;
    assert_eq!((s["unique"].as_u64(), s["duplicates"].as_u64(), s["invalid"].as_u64()), (Some(1), Some(0), Some(0)));
}

/// The JSON a request to the real binary is answered with.
async fn answer(req: reqwest::RequestBuilder) -> Value {
    req.send().await.unwrap().json().await.unwrap()
}

/// Every organization the server holds, through the API.
async fn organization_ids(base: &str, key: &str) -> std::collections::BTreeSet<String> {
    let http = reqwest::Client::new();
    let mut ids = std::collections::BTreeSet::new();
    let mut cursor = String::new();
    loop {
        let page = answer(http.get(format!("{base}/api/v1/organizations?limit=100{cursor}")).bearer_auth(key)).await;
        ids.extend(page["data"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return ids,
        }
    }
}

/// A Gatehouse process SIGKILLed while it sends (deliveries in flight,
/// others queued, organizations being created): once it is back, every
/// committed organization's event is delivered, and none for one whose
/// transaction the kill cut short.
#[actix_web::test]
async fn a_process_killed_mid_delivery_still_delivers_every_committed_event() {
    if std::env::var("TEST_DATABASE_URL").is_ok() {
        return; // one SQLite file the binary owns; the SQLite pass runs it
    }
    let Some(rx) = Receiver::start().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let (ok, out, err) =
        crate::helpers::gatehouse_command(&data, "keys", &["create", "--name", "Hooks", "--scope", "write"]);
    assert!(ok, "{err}");
    let key = crate::helpers::printed(&out, "key");
    let port = crate::helpers::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let private = [("GATEHOUSE_ALLOW_PRIVATE_NETWORK_URLS", "true")];
    let mut server = crate::helpers::start_gatehouse(&data, port, &private).await;
    let http = reqwest::Client::new();
    let body = json!({ "url": rx.hook(), "event_types": ["organization.created"] });
    let ep = answer(http.post(format!("{base}/api/v1/webhook-endpoints")).bearer_auth(&key).json(&body)).await;
    rx.post("/secrets", &json!([ep["secret"]])).await;
    // Slow answers: sends are in flight when the process dies.
    rx.post("/program", &json!({ "delay_ms": 400 })).await;

    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (base, key, acknowledged) = (base.clone(), key.clone(), acknowledged.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                for n in 0.. {
                    let body =
                        json!({ "name": format!("Org {w}-{n}"), "admin_email": format!("a{w}n{n}@kill.example") });
                    match http.post(format!("{base}/api/v1/organizations")).bearer_auth(&key).json(&body).send().await {
                        Ok(res) if res.status() == StatusCode::CREATED => {
                            let org: Value = res.json().await.unwrap();
                            acknowledged.lock().unwrap().push(org["id"].as_str().unwrap().to_owned());
                        }
                        Ok(res) => panic!("create answered {}", res.status()),
                        Err(_) => return, // the server is gone
                    }
                }
            })
        })
        .collect();
    // Killed once some deliveries have landed and more are under way.
    rx.until("the first deliveries", |s| s["unique"].as_u64() >= Some(3)).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    server.start_kill().unwrap(); // SIGKILL
    server.wait().await.unwrap();
    for w in writers {
        w.await.unwrap();
    }
    // The sends the kill cut off: the receiver saw their connections close.
    let cut = rx.until("the cut-off sends", |s| s["abandoned"].as_u64() >= Some(1)).await;
    let before_restart = cut["unique"].as_u64().unwrap();
    let restarted = std::time::Instant::now();

    rx.post("/program", &json!({ "delay_ms": 0 })).await;
    let _server = crate::helpers::start_gatehouse(&data, port, &private).await;
    let committed = organization_ids(&base, &key).await;
    let acknowledged: std::collections::BTreeSet<String> = acknowledged.lock().unwrap().iter().cloned().collect();
    assert!(acknowledged.is_subset(&committed), "every acknowledged organization was committed");
    assert!(committed.len() > before_restart as usize, "some were left to deliver after the crash");
    // The crashed process's claims run out (20 s), then everything lands.
    let s = rx
        .until_for("every committed organization's event", Duration::from_secs(60), |s| {
            s["unique"].as_u64() == Some(committed.len() as u64)
        })
        .await;
    let delivered: std::collections::BTreeSet<String> = s["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["answered"] == 204)
        .map(|d| d["object_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(delivered, committed, "exactly the committed organizations, none for a change the kill cut short");
    assert_eq!(s["invalid"], 0);
    assert!(restarted.elapsed() >= Duration::from_secs(15), "the cut-off ones waited for their claims to run out");
    eprintln!(
        "killed mid-delivery: {} organizations committed ({} acknowledged), {} delivered and {} cut off before the \
         kill, all {} delivered {:.1} s after the restart",
        committed.len(),
        acknowledged.len(),
        before_restart,
        cut["abandoned"],
        delivered.len(),
        restarted.elapsed().as_secs_f64()
    );
}

/// Two server processes on one database (PostgreSQL in its pass): each
/// delivery is attempted by one of them, once.
#[actix_web::test]
async fn two_processes_send_each_delivery_once() {
    let Some(rx) = Receiver::start().await else { return };
    let (first, second) = crate::helpers::spawn_pair().await;
    let (_, ep) = endpoint(&first, &rx.hook(), &[]).await;
    rx.post("/secrets", &json!([ep["secret"]])).await;
    rx.post("/program", &json!({ "delay_ms": 20 })).await;
    for (i, app) in [&first, &second].into_iter().cycle().take(6).enumerate() {
        commit_events(app, i, 50).await;
    }
    let s = rx.until("300 deliveries", |s| s["unique"] == 300).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let s2 = rx.state().await;
    assert_eq!(s2["deliveries"].as_array().unwrap().len(), 300, "none sent twice: {}", s["duplicates"]);
    assert_eq!((s2["duplicates"].as_u64(), s2["invalid"].as_u64()), (Some(0), Some(0)));
    assert_eq!(first.count("webhook_attempts").await, 300, "one attempt per delivery");
    assert_eq!(first.count_where("webhook_deliveries", "state = 'delivered'").await, 300);
}

/// Four receivers that take 3 s to answer, each with a backlog big enough
/// to fill every send a process may start, and a quick one: the quick one
/// gets its deliveries while the slow ones are still at their first few,
/// not after them (the last free sends go to endpoints with few in flight).
#[actix_web::test]
async fn slow_receivers_with_backlogs_do_not_hold_up_a_quick_one() {
    let Some(rx) = Receiver::start().await else { return };
    let app = spawn_app().await;
    let mut secrets = Vec::new();
    let mut key = String::new();
    for n in 0..4 {
        let (k, ep) = endpoint(&app, &format!("{}/hook/slow?n={n}", rx.base), &[]).await;
        secrets.push(ep["secret"].clone());
        key = k;
    }
    let (_, quick) = endpoint(&app, &rx.hook(), &[]).await;
    secrets.push(quick["secret"].clone());
    rx.post("/secrets", &json!(secrets)).await;
    rx.post("/program", &json!({ "slow_paths": { "/hook/slow": 3000 } })).await;
    commit_events(&app, "burst", 60).await;
    let at = |s: &Value, path: &str| {
        s["deliveries"].as_array().unwrap().iter().filter(|d| d["path"] == path && d["answered"] == 204).count()
    };
    let s = rx.until("the quick receiver's 60", |s| at(s, "/hook") == 60).await;
    let slow = at(&s, "/hook/slow");
    assert!(slow < 120, "the quick one waited for the slow ones' backlogs: {slow} of 240 slow ones first");
    assert_eq!(s["invalid"], 0);
    let (status, _) = app.send(Method::GET, "/api/v1/webhook-endpoints", None, Some(&key)).await;
    assert_eq!(status, StatusCode::OK);
}

/// A replay queues no event twice for an endpoint, and an endpoint with
/// 10,000 deliveries waiting takes no more from replays: a key cannot pile
/// up deliveries (each retried for days) by replaying in a loop.
#[actix_web::test]
async fn replays_queue_nothing_twice_and_stop_at_a_backlog() {
    let app = spawn_app().await;
    // Nobody listens there: deliveries fail and wait for their retry.
    let closed = format!("http://127.0.0.1:{}/hook", crate::helpers::free_port());
    let (key, ep) = endpoint(&app, &closed, &[]).await;
    let id = ep["id"].as_str().unwrap().to_owned();
    commit_events(&app, "five", 5).await;
    let now = app.clock_now();
    let waiting = format!("endpoint_id = '{id}' AND state = 'pending'");
    for _ in 0..100 {
        if app.count_where("webhook_deliveries", &waiting).await == 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.count_where("webhook_deliveries", &waiting).await, 5);
    let (path, everything) = (format!("/api/v1/webhook-endpoints/{id}/replay"), json!({}));
    let replay = || app.send(Method::POST, &path, Some(&everything), Some(&key));
    let (status, body) = replay().await;
    assert_eq!((status, body["queued"].as_u64()), (StatusCode::ACCEPTED, Some(0)), "all five wait already: {body}");
    assert_eq!(app.count_where("webhook_deliveries", &waiting).await, 5);

    // 10,000 waiting (queued straight, due tomorrow): no replay.
    let more: Vec<String> = (0..9_995).map(|n| format!("evt_fill{n}")).collect();
    let txn = app.state.begin_write().await.unwrap();
    api::webhooks::dispatch::queue(&*txn, &id, &more, now + chrono::Duration::days(1)).await.unwrap();
    txn.commit().await.unwrap();
    let (status, body) = replay().await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("replay_backlog")), "{body}");
    assert!(body["detail"].as_str().unwrap().contains("10000 deliveries waiting"), "{body}");
    assert_eq!(app.count_where("webhook_deliveries", &format!("endpoint_id = '{id}'")).await, 10_000);
}
