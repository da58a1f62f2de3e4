//! The physical limit for `just bench scim`: the rows one SCIM create writes
//! (account, membership, directory user, audit event) inserted straight into
//! SQLite through its own API (rusqlite) — Gatehouse's schema and settings
//! (WAL, synchronous=NORMAL), one connection, one transaction per user, no
//! driver threads, no HTTP, no JSON parsing, no checks.
//! `BENCH_USERS` (default 10,000) users; prints users per second.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

#[tokio::main]
async fn main() {
    let users: usize = std::env::var("BENCH_USERS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let settings = api::config::Settings {
        data_dir: dir.path().to_path_buf(),
        db_max_connections: 1,
        ..api::config::Settings::default()
    };
    let db = api::db::connect(&settings).await.unwrap();
    let now = chrono::Utc::now();
    let org = "org_bench";
    let exec = |sql: &str, values: Vec<Value>| Statement::from_sql_and_values(DbBackend::Sqlite, sql, values);
    db.execute_raw(exec(
        "INSERT INTO organizations (id, name, disable_passwords_on_invites, created_at) VALUES (?, ?, ?, ?)",
        vec![org.into(), "Bench".into(), false.into(), now.into()],
    ))
    .await
    .unwrap();
    // The rows go in through SQLite's own API (rusqlite, the library sqlx
    // links), with the pool's settings: no driver threads, no HTTP, no JSON
    // parsing, no checks.
    let path = api::db::batch::sqlite_file(&settings.database_url()).expect("an SQLite file");
    let mut conn = api::db::batch::direct::open(&path).unwrap();
    let now_text = now.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false);
    let started = Instant::now();
    for i in 0..users {
        let (uid, email) = (format!("usr_{i:032}"), format!("user{i:06}@bench-corp.com"));
        let resource = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": email, "externalId": format!("ext-{i}"),
            "name": { "givenName": "User", "familyName": format!("{i:06}") },
            "emails": [{ "value": email, "type": "work", "primary": true }], "active": true
        })
        .to_string();
        let details =
            format!("{{\"user_id\":\"{uid}\",\"role\":\"member\",\"plan_id\":\"plan_core\",\"active\":true}}");
        let txn = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).unwrap();
        txn.prepare_cached("INSERT INTO users (id, email, name, password_hash, created_at) VALUES (?, ?, ?, NULL, ?)")
            .unwrap()
            .execute(rusqlite::params![uid, email, format!("User {i:06}"), now_text])
            .unwrap();
        txn.prepare_cached(
            "INSERT INTO memberships (organization_id, user_id, role, created_at, plan_id, suspended_at, directory_managed) \
             VALUES (?, ?, 'member', ?, 'plan_core', NULL, 1)",
        )
        .unwrap()
        .execute(rusqlite::params![org, uid, now_text])
        .unwrap();
        txn.prepare_cached(
            "INSERT INTO directory_users (id, organization_id, user_id, user_name, user_name_key, external_id, email, \
             active, resource, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, 1, ?, ?)",
        )
        .unwrap()
        .execute(rusqlite::params![
            format!("dus_{i:032}"),
            org,
            uid,
            email,
            email,
            format!("ext-{i}"),
            email,
            resource,
            now_text,
            now_text
        ])
        .unwrap();
        txn.prepare_cached(
            "INSERT INTO audit_events (id, organization_id, actor, action, target, details, ip, user_agent, request_id, \
             occurred_at) VALUES (?, ?, 'directory', 'directory.user.created', ?, ?, '127.0.0.1', NULL, NULL, ?)",
        )
        .unwrap()
        .execute(rusqlite::params![format!("evt_{i:032}"), org, email, details, now_text])
        .unwrap();
        txn.commit().unwrap();
    }
    let elapsed = started.elapsed();
    let stored = db
        .query_one_raw(Statement::from_string(DbBackend::Sqlite, "SELECT COUNT(*) AS n FROM directory_users"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.try_get::<i64>("", "n").unwrap(), users as i64, "every row is there");
    println!(
        "SQLite raw inserts: {users} users (4 rows each, one transaction per user, 1 connection): {:.1} s, {:.0} users/s",
        elapsed.as_secs_f64(),
        users as f64 / elapsed.as_secs_f64()
    );
}
