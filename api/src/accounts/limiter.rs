//! Password-guess throttling: at most `max` unsuccessful attempts for one
//! key (the email) within `window`; past that 429 until the oldest leaves
//! the window. An attempt is reserved *before* the password is checked, in
//! one step with the count (so concurrent guesses cannot all slip in under
//! the limit); a success clears the key.
//! In memory: it protects one process; behind several replicas each counts
//! on its own, which still bounds guessing per replica.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// Past this many tracked keys, stale ones are dropped on the next write.
const MAX_TRACKED_KEYS: usize = 100_000;

pub struct FailureLimiter {
    max: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
    /// When stale keys were last dropped (at most once a second).
    pruned_at: Mutex<Option<DateTime<Utc>>>,
}

impl FailureLimiter {
    pub fn new(max: usize, window: Duration) -> Self {
        Self { max, window, failures: Mutex::new(HashMap::new()), pruned_at: Mutex::new(None) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<DateTime<Utc>>>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reserves one attempt for `key`, or `Err(seconds to wait)` when
    /// `max` attempts are already in the window.
    pub fn attempt(&self, key: &str, now: DateTime<Utc>) -> Result<(), u64> {
        let mut map = self.lock();
        if map.len() >= MAX_TRACKED_KEYS {
            let mut pruned_at = self.pruned_at.lock().unwrap_or_else(|p| p.into_inner());
            if pruned_at.is_none_or(|t| now - t >= Duration::seconds(1)) {
                let window = self.window;
                map.retain(|_, times| times.back().is_some_and(|t| *t + window > now));
                *pruned_at = Some(now);
            }
        }
        let times = map.entry(key.to_owned()).or_default();
        while times.front().is_some_and(|t| *t + self.window <= now) {
            times.pop_front();
        }
        if times.len() >= self.max {
            let oldest = times.front().copied().unwrap_or(now);
            let wait = (oldest + self.window - now).num_milliseconds();
            return Err(u64::try_from((wait + 999) / 1000).unwrap_or(1).max(1));
        }
        times.push_back(now);
        Ok(())
    }

    pub fn clear(&self, key: &str) {
        self.lock().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_attempts_and_unlocks_when_the_window_passes() {
        let l = FailureLimiter::new(10, Duration::seconds(60));
        let t0 = DateTime::from_timestamp(1_000, 0).unwrap_or_default();
        for i in 0..10 {
            assert_eq!(l.attempt("a@x.com", t0 + Duration::seconds(i)), Ok(()), "attempt {i}");
        }
        assert_eq!(l.attempt("a@x.com", t0 + Duration::seconds(10)), Err(50));
        assert_eq!(l.attempt("b@x.com", t0), Ok(()));
        assert_eq!(l.attempt("a@x.com", t0 + Duration::seconds(60)), Ok(()));
        l.clear("a@x.com");
        assert_eq!(l.attempt("a@x.com", t0 + Duration::seconds(61)), Ok(()));
    }

    #[test]
    fn concurrent_attempts_never_exceed_the_limit() {
        let l = std::sync::Arc::new(FailureLimiter::new(10, Duration::seconds(60)));
        let t0 = DateTime::from_timestamp(1_000, 0).unwrap_or_default();
        let threads: Vec<std::thread::JoinHandle<bool>> = (0..40)
            .map(|_| {
                let l = l.clone();
                std::thread::spawn(move || l.attempt("a@x.com", t0).is_ok())
            })
            .collect();
        let admitted = threads.into_iter().filter_map(|t| t.join().ok()).filter(|ok| *ok).count();
        assert_eq!(admitted, 10);
    }
}
