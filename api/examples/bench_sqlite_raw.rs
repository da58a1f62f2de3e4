//! The physical limit for `just bench scim`: the rows one SCIM create writes
//! (account, membership, directory user, audit event) inserted straight into
//! SQLite — Gatehouse's schema and settings (WAL, synchronous=NORMAL), one
//! connection, one transaction per user (sent as one script, so one trip to
//! the driver's SQLite thread), no HTTP, no JSON parsing, no checks.
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
        // One script per user (BEGIN … COMMIT): one trip to SQLite's thread.
        let sql = "BEGIN IMMEDIATE; \
            INSERT INTO users (id, email, name, password_hash, created_at) VALUES (?, ?, ?, NULL, ?); \
            INSERT INTO memberships (organization_id, user_id, role, created_at, plan_id, suspended_at, directory_managed) VALUES (?, ?, 'member', ?, 'plan_core', NULL, ?); \
            INSERT INTO directory_users (id, organization_id, user_id, user_name, user_name_key, external_id, email, active, resource, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?); \
            INSERT INTO audit_events (id, organization_id, actor, action, target, details, ip, user_agent, request_id, occurred_at) VALUES (?, ?, 'directory', 'directory.user.created', ?, ?, '127.0.0.1', NULL, NULL, ?); \
            COMMIT;";
        let values: Vec<Value> = vec![
            uid.clone().into(),
            email.clone().into(),
            format!("User {i:06}").into(),
            now.into(),
            org.into(),
            uid.clone().into(),
            now.into(),
            true.into(),
            format!("dus_{i:032}").into(),
            org.into(),
            uid.clone().into(),
            email.clone().into(),
            email.clone().into(),
            format!("ext-{i}").into(),
            email.clone().into(),
            true.into(),
            resource.into(),
            now.into(),
            now.into(),
            format!("evt_{i:032}").into(),
            org.into(),
            email.into(),
            format!("{{\"user_id\":\"{uid}\",\"role\":\"member\",\"plan_id\":\"plan_core\",\"active\":true}}").into(),
            now.into(),
        ];
        db.execute_raw(exec(sql, values)).await.unwrap();
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
