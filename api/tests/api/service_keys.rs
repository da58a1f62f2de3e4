//! Service keys (issue 20, first slice): `gatehouse keys create|list|revoke`
//! — the real binary on a server's data folder — and what they authenticate.

use std::process::Command;

use crate::helpers::spawn_app;

/// `gatehouse keys …` on `data_dir`'s database and signing key.
fn gatehouse_keys(data_dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("keys")
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

#[test]
fn the_keys_command_creates_lists_and_revokes_with_the_key_shown_once() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = gatehouse_keys(dir.path(), &["create", "--name", "Billing sync", "--scope", "write"]);
    assert!(ok, "{err}");
    let field = |name: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("{out}"))
    };
    let (id, key) = (field("id"), field("key"));
    assert!(id.starts_with("key_") && key.starts_with("gh_sk_") && key.len() > 60, "{out}");

    // Only a keyed hash is stored: the key is nowhere in the database files.
    let db = std::fs::read(dir.path().join("gatehouse.db")).unwrap();
    let wal = std::fs::read(dir.path().join("gatehouse.db-wal")).unwrap_or_default();
    let contains = |hay: &[u8]| hay.windows(key.len()).any(|w| w == key.as_bytes());
    assert!(!contains(&db) && !contains(&wal), "the key was stored in clear");

    let (_, list, _) = gatehouse_keys(dir.path(), &["list"]);
    assert!(list.contains(&id) && list.contains("Billing sync\twrite") && list.contains("never used"), "{list}");
    assert!(list.contains(&key[..14]) && !list.contains(&key), "{list}");

    // Refused with the reason.
    let (ok, _, err) = gatehouse_keys(dir.path(), &["create", "--name", "X", "--scope", "admin"]);
    assert!(!ok && err.contains("read or write"), "{err}");
    let (ok, _, err) = gatehouse_keys(dir.path(), &["create", "--scope", "read"]);
    assert!(!ok && err.contains("usage"), "{err}");

    let (ok, out, _) = gatehouse_keys(dir.path(), &["revoke", &id]);
    assert!(ok && out.contains("revoked"), "{out}");
    let (ok, _, err) = gatehouse_keys(dir.path(), &["revoke", &id]);
    assert!(!ok && err.contains("no active key"), "{err}");
    let (_, list, _) = gatehouse_keys(dir.path(), &["list"]);
    assert!(list.contains("revoked"), "{list}");
}

#[actix_web::test]
async fn a_key_authenticates_until_revoked_and_notes_its_last_use() {
    use api::auth::service_keys::{Scope, authenticate, create, revoke};
    let app = spawn_app().await;
    let (db, keys, now) = (&app.state.db, &app.state.keys, app.clock_now());
    let (row, key) = create(db, keys, "Reporting", Scope::Read, now).await.unwrap();
    let found = authenticate(db, keys, &key, now).await.unwrap().expect("the key");
    assert_eq!((found.id.as_str(), found.scope.as_str()), (row.id.as_str(), "read"));
    assert_eq!(app.count_where("service_keys", "last_used_at IS NOT NULL").await, 1);
    // A changed character, another key's id, garbage: nothing.
    let mut wrong = key.clone();
    wrong.pop();
    wrong.push(if key.ends_with('A') { 'B' } else { 'A' });
    assert!(authenticate(db, keys, &wrong, now).await.unwrap().is_none());
    assert!(
        authenticate(db, keys, "gh_sk_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", now)
            .await
            .unwrap()
            .is_none()
    );
    assert!(authenticate(db, keys, "Bearer nonsense", now).await.unwrap().is_none());
    assert!(revoke(db, &row.id, now).await.unwrap());
    assert!(authenticate(db, keys, &key, now).await.unwrap().is_none(), "revoked at once");
}
