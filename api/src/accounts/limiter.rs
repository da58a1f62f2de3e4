//! Failed-login throttling: more than `max` failures for one key (the email)
//! within `window` answers 429 until the oldest failure leaves the window.
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
}

impl FailureLimiter {
    pub fn new(max: usize, window: Duration) -> Self {
        Self { max, window, failures: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<DateTime<Utc>>>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Some(seconds)` when the key is locked out right now.
    pub fn retry_after(&self, key: &str, now: DateTime<Utc>) -> Option<u64> {
        let mut map = self.lock();
        let times = map.get_mut(key)?;
        while times.front().is_some_and(|t| *t + self.window <= now) {
            times.pop_front();
        }
        if times.len() < self.max {
            return None;
        }
        let oldest = *times.front()?;
        let wait = (oldest + self.window - now).num_milliseconds();
        Some(u64::try_from((wait + 999) / 1000).unwrap_or(1).max(1))
    }

    pub fn record_failure(&self, key: &str, now: DateTime<Utc>) {
        let mut map = self.lock();
        if map.len() >= MAX_TRACKED_KEYS {
            let window = self.window;
            map.retain(|_, times| times.back().is_some_and(|t| *t + window > now));
        }
        let times = map.entry(key.to_owned()).or_default();
        times.push_back(now);
        while times.len() > self.max {
            times.pop_front();
        }
    }

    pub fn clear(&self, key: &str) {
        self.lock().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_failures_and_unlocks_when_the_window_passes() {
        let l = FailureLimiter::new(10, Duration::seconds(60));
        let t0 = DateTime::from_timestamp(1_000, 0).unwrap();
        for i in 0..10 {
            assert_eq!(l.retry_after("a@x.com", t0), None, "attempt {i}");
            l.record_failure("a@x.com", t0 + Duration::seconds(i));
        }
        assert_eq!(l.retry_after("a@x.com", t0 + Duration::seconds(10)), Some(50));
        assert_eq!(l.retry_after("b@x.com", t0), None);
        assert_eq!(l.retry_after("a@x.com", t0 + Duration::seconds(60)), None);
        l.record_failure("a@x.com", t0 + Duration::seconds(61));
        l.clear("a@x.com");
        assert_eq!(l.retry_after("a@x.com", t0 + Duration::seconds(61)), None);
    }
}
