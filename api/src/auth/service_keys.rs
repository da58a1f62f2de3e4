//! Operator-level service keys (`gh_sk_…`) for server-to-server calls: the
//! only writer of `service_keys`. The operator creates them with
//! `gatehouse keys create --name N --scope read|write` (the key is printed
//! once), lists and revokes them. A key is `gh_sk_{id}_{secret}`: found by
//! its id, its secret compared in constant time against a keyed hash
//! ([`SigningKeys::keyed_hash`]), so neither the key nor anything a
//! stolen database could test guesses against is stored.
//!
//! API calls present one as `Authorization: Bearer gh_sk_…` ([`ServiceCaller`]):
//! checked like a password (failures limited per client address), and a
//! `read` key may only use safe methods.

use std::fmt::Write as _;

use chrono::{DateTime, Duration, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, QueryOrder};

use super::SigningKeys;

/// A service key (its keyed hash).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_keys")]
pub struct Model {
    /// `key_{16 hex}`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    /// `read` (safe methods only) or `write`.
    pub scope: String,
    /// The key's first characters, to recognise it in a list.
    pub prefix: String,
    pub key_hash: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

pub const KEY_PREFIX: &str = "gh_sk_";
/// `last_used_at` is written at most this often per key.
const LAST_USED_EVERY_SECS: i64 = 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Read,
    Write,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(Scope::Read),
            "write" => Some(Scope::Write),
            _ => None,
        }
    }
}

/// `gh_sk_{16 hex}_{secret}` → (the row id, the whole key), or `None` for
/// anything that cannot be a key (no database read then).
fn parse(key: &str) -> Option<String> {
    let rest = key.strip_prefix(KEY_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let plausible = id.len() == 16
        && id.bytes().all(|b| b.is_ascii_hexdigit())
        && (40..=64).contains(&secret.len())
        && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plausible.then(|| format!("key_{id}"))
}

/// Creates a key: the row, and the key itself (shown once).
pub async fn create(
    db: &impl ConnectionTrait,
    keys: &SigningKeys,
    name: &str,
    scope: Scope,
    now: DateTime<Utc>,
) -> anyhow::Result<(Model, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        anyhow::bail!("--name must be 1 to 200 printable characters");
    }
    let mut id = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut id);
    let id = hex::encode(id);
    let key = format!("{KEY_PREFIX}{id}_{}", crate::auth::tokens::random_token());
    let row = ActiveModel {
        id: Set(format!("key_{id}")),
        name: Set(name.to_owned()),
        scope: Set(scope.as_str().to_owned()),
        prefix: Set(key.chars().take(KEY_PREFIX.len() + 8).collect()),
        key_hash: Set(keys.keyed_hash(key.as_bytes())),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok((row, key))
}

pub async fn list(db: &impl ConnectionTrait) -> anyhow::Result<Vec<Model>> {
    Ok(Entity::find().order_by_asc(Column::CreatedAt).order_by_asc(Column::Id).all(db).await?)
}

/// Revokes a key at once; whether it was active.
pub async fn revoke(db: &impl ConnectionTrait, id: &str, now: DateTime<Utc>) -> anyhow::Result<bool> {
    let done = Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// The active key `presented` is, if any (its last use noted, at most once
/// a minute).
pub async fn authenticate(
    db: &impl ConnectionTrait,
    keys: &SigningKeys,
    presented: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Model>> {
    let Some(id) = parse(presented) else { return Ok(None) };
    let Some(found) = Entity::find_by_id(id).one(db).await? else { return Ok(None) };
    if found.revoked_at.is_some() || !keys.keyed_hash_matches(&found.key_hash, presented.as_bytes()) {
        return Ok(None);
    }
    if found.last_used_at.is_none_or(|t| now - t >= Duration::seconds(LAST_USED_EVERY_SECS)) {
        Entity::update_many()
            .col_expr(Column::LastUsedAt, Expr::value(now))
            .filter(Column::Id.eq(found.id.as_str()))
            .exec(db)
            .await?;
    }
    Ok(Some(found))
}

/// A caller authenticated by an active service key.
#[derive(Debug, Clone)]
pub struct ServiceCaller {
    /// `key_…`: the actor in the audit log.
    pub key_id: String,
    pub scope: Scope,
}

pub(crate) async fn service_caller(req: actix_web::HttpRequest) -> Result<ServiceCaller, crate::error::AppError> {
    use crate::error::AppError;
    let state = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("AppState missing")))?;
    let missing = || {
        AppError::unauthorized(
            "missing_api_key",
            "This endpoint takes a service key: send it as Authorization: Bearer gh_sk_… (`gatehouse keys create`).",
        )
    };
    let token = super::extract::bearer(&req).ok_or_else(missing)?;
    if !token.starts_with(KEY_PREFIX) {
        return Err(missing());
    }
    // A key check is a sign-in: invalid keys are limited per client
    // address (429 past ten a minute). A valid key always passes: its 256
    // random bits cannot be guessed, so the limit only slows guessers down,
    // and an address shared with them (a proxy, a NAT) must not lock the
    // integrator's own calls out. A success clears nothing.
    let ip = crate::guard::client_ip::client_ip(&req, state.settings.client_ip_header.as_deref());
    let now = state.clock.now();
    let Some(key) = authenticate(&state.db, &state.keys, token, now).await? else {
        tracing::warn!(ip = ?ip, "service key refused");
        let limit_key =
            format!("service_key:{}", crate::guard::client_ip::rate_key(ip.map(|i| i.to_string()).as_deref()));
        state.login_failures.attempt(&limit_key, now).map_err(|retry_after_secs| AppError::TooManyRequests {
            retry_after_secs,
            detail: "Too many invalid service keys from this address. Wait a minute and try again.".to_owned(),
        })?;
        return Err(AppError::unauthorized("invalid_api_key", "This service key is not valid or was revoked."));
    };
    let scope = Scope::parse(&key.scope).unwrap_or(Scope::Read);
    let safe = matches!(*req.method(), actix_web::http::Method::GET | actix_web::http::Method::HEAD);
    if scope == Scope::Read && !safe {
        return Err(AppError::Forbidden {
            code: "insufficient_scope",
            detail: "This key is read-only; use a key created with --scope write.".to_owned(),
        });
    }
    Ok(ServiceCaller { key_id: key.id, scope })
}

impl actix_web::FromRequest for ServiceCaller {
    type Error = crate::error::AppError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        Box::pin(service_caller(req.clone()))
    }
}

const USAGE: &str = "usage: gatehouse keys create --name NAME --scope read|write\n       \
                     gatehouse keys list\n       gatehouse keys revoke KEY_ID";

/// `gatehouse keys …` (after `keys`): what to print, or why not.
pub async fn run(
    db: &impl ConnectionTrait,
    keys: &SigningKeys,
    args: &[String],
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    match args.first().map(String::as_str) {
        Some("create") => {
            let (mut name, mut scope) = (None, None);
            let mut it = args[1..].iter();
            while let Some(flag) = it.next() {
                let value = it.next().ok_or_else(|| anyhow::anyhow!("{flag} needs a value\n{USAGE}"))?;
                match flag.as_str() {
                    "--name" => name = Some(value.clone()),
                    "--scope" => {
                        scope = Some(Scope::parse(value).ok_or_else(|| anyhow::anyhow!("--scope is read or write"))?);
                    }
                    other => anyhow::bail!("unknown option {other:?}\n{USAGE}"),
                }
            }
            let (Some(name), Some(scope)) = (name, scope) else { anyhow::bail!("{USAGE}") };
            let (row, key) = create(db, keys, &name, scope, now).await?;
            Ok(format!(
                "id: {}\nkey: {key}\n(the key is shown this once and stored as a keyed hash: put it in your secret store now)\n",
                row.id
            ))
        }
        Some("list") if args.len() == 1 => {
            let mut out = String::new();
            for k in list(db).await? {
                let used = k.last_used_at.map_or("never used".to_owned(), |t| format!("last used {}", t.to_rfc3339()));
                let state = if k.revoked_at.is_some() { "revoked" } else { "active" };
                let _ = writeln!(
                    out,
                    "{}\t{}…\t{}\t{}\tcreated {}\t{used}\t{state}",
                    k.id,
                    k.prefix,
                    k.name,
                    k.scope,
                    k.created_at.to_rfc3339()
                );
            }
            if out.is_empty() {
                out.push_str("no keys\n");
            }
            Ok(out)
        }
        Some("revoke") if args.len() == 2 => {
            if revoke(db, &args[1], now).await? {
                Ok(format!("revoked {}\n", args[1]))
            } else {
                anyhow::bail!("no active key {}", args[1])
            }
        }
        _ => anyhow::bail!("{USAGE}"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn only_what_could_be_a_key_is_looked_up() {
        let secret = "a".repeat(43);
        assert_eq!(parse(&format!("gh_sk_0123456789abcdef_{secret}")).as_deref(), Some("key_0123456789abcdef"));
        assert_eq!(parse(&format!("gh_sk_0123456789abcdeg_{secret}")), None);
        assert_eq!(parse(&format!("gh_sk_0123_{secret}")), None);
        assert_eq!(parse("gh_sk_0123456789abcdef_short"), None);
        assert_eq!(parse(&format!("gh_cs_0123456789abcdef_{secret}")), None);
        assert_eq!(parse(&format!("gh_sk_0123456789abcdef_{}", "a\0".repeat(21))), None);
    }

    #[test]
    fn a_keyed_hash_matches_only_its_key_and_survives_a_rotation() {
        let old = SigningKeys::new(&[1u8; 32], &[]).unwrap();
        let stored = old.keyed_hash(b"gh_sk_x");
        assert!(old.keyed_hash_matches(&stored, b"gh_sk_x"));
        assert!(!old.keyed_hash_matches(&stored, b"gh_sk_y"));
        let rotated = SigningKeys::new(&[2u8; 32], &[vec![1u8; 32]]).unwrap();
        assert!(rotated.keyed_hash_matches(&stored, b"gh_sk_x"), "the old key still configured");
        let dropped = SigningKeys::new(&[2u8; 32], &[]).unwrap();
        assert!(!dropped.keyed_hash_matches(&stored, b"gh_sk_x"));
        assert!(!old.keyed_hash_matches("v1.nope.00", b"gh_sk_x"));
        assert!(!old.keyed_hash_matches("garbage", b"gh_sk_x"));
    }
}
