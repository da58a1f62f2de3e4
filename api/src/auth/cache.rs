//! Open sessions, and the organizations their user administers, remembered
//! for [`TTL`] so an authenticated request needs no database round trip.
//!
//! What ends access is forgotten at once in this process: logging out
//! (`forget_session`), and the directory suspending, demoting or removing a
//! member (`forget_user`, after the change is committed). Expiry is checked
//! against the clock on every request. Another process on the same database
//! may still honour a session it had cached for up to [`TTL`] (one second)
//! after a logout or suspension elsewhere.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// How long a looked-up session is trusted without asking the database.
/// One second: a session a directory suspends, or Require SSO ends, stops
/// working within a second in every process.
pub const TTL: Duration = Duration::from_secs(1);
/// Beyond this many cached sessions the cache starts over (memory bound).
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone)]
pub struct CachedSession {
    pub user_id: String,
    pub expires_at: DateTime<Utc>,
    /// Organizations where the user is an unsuspended Administrator (within
    /// the session's scope).
    pub admin_of: Arc<[String]>,
    /// The organization an SSO session is limited to.
    pub scope: Option<String>,
    loaded: Instant,
}

impl CachedSession {
    pub fn new(user_id: String, expires_at: DateTime<Utc>, admin_of: Vec<String>, scope: Option<String>) -> Self {
        Self { user_id, expires_at, admin_of: admin_of.into(), scope, loaded: Instant::now() }
    }
}

#[derive(Default)]
pub struct AuthCache {
    entries: Mutex<HashMap<String, CachedSession>>,
    /// Counts forgets, so a session read before one is not cached after it.
    generation: AtomicU64,
}

impl AuthCache {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, CachedSession>> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn get(&self, session_id: &str) -> Option<CachedSession> {
        let mut entries = self.entries();
        match entries.get(session_id) {
            Some(e) if e.loaded.elapsed() < TTL => Some(e.clone()),
            Some(_) => {
                entries.remove(session_id);
                None
            }
            None => None,
        }
    }

    /// Taken before reading what `put` will cache.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Caches `session`, read since `generation`, unless something was
    /// forgotten in between (it may be stale: the next request reads again).
    pub fn put(&self, session_id: &str, session: CachedSession, generation: u64) {
        let mut entries = self.entries();
        if self.generation() != generation {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(session_id.to_owned(), session);
    }

    pub fn forget_session(&self, session_id: &str) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::SeqCst);
        entries.remove(session_id);
    }

    /// Forgets every cached session (Require SSO ended many at once).
    pub fn forget_all(&self) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::SeqCst);
        entries.clear();
    }

    pub fn forget_user(&self, user_id: &str) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::SeqCst);
        entries.retain(|_, e| e.user_id != user_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgetting_ends_the_cached_session_at_once() {
        let cache = AuthCache::default();
        let at = Utc::now();
        let g = cache.generation();
        cache.put("s1", CachedSession::new("u1".into(), at, vec!["o1".into()], None), g);
        cache.put("s2", CachedSession::new("u1".into(), at, vec![], None), g);
        cache.put("s3", CachedSession::new("u2".into(), at, vec![], None), g);
        assert!(cache.get("s1").is_some_and(|s| s.admin_of.contains(&"o1".to_owned())));
        cache.forget_session("s1");
        assert!(cache.get("s1").is_none());
        cache.forget_user("u1");
        assert!(cache.get("s2").is_none() && cache.get("s3").is_some());
    }

    /// A session read before a forget (a demotion, say) is not cached after
    /// it: it may hold the rights just taken away.
    #[test]
    fn what_was_read_before_a_forget_is_not_cached() {
        let cache = AuthCache::default();
        let at = Utc::now();
        let read_at = cache.generation();
        cache.forget_user("u1"); // the demotion commits while the request reads
        cache.put("s1", CachedSession::new("u1".into(), at, vec!["o1".into()], None), read_at);
        assert!(cache.get("s1").is_none());
        cache.put("s1", CachedSession::new("u1".into(), at, vec![], None), cache.generation());
        assert!(cache.get("s1").is_some());
    }
}
