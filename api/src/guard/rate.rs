//! Token buckets by key: `rate` requests per `per`, in bursts of up to
//! `burst`. In memory: each server process counts on its own.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// Past this many tracked keys, idle ones are dropped on the next check.
const MAX_TRACKED_KEYS: usize = 100_000;

pub struct RateLimiter {
    /// Tokens added per second; 0 turns the limit off.
    per_second: f64,
    burst: f64,
    buckets: Mutex<Buckets>,
}

#[derive(Default)]
struct Buckets {
    by_key: HashMap<String, (f64, DateTime<Utc>)>,
    pruned_at: Option<DateTime<Utc>>,
}

impl RateLimiter {
    /// `rate` per second, bursts of `2 × rate` (the SCIM limit).
    pub fn per_second(rate: u32) -> Self {
        Self::new(f64::from(rate), f64::from(rate) * 2.0)
    }

    /// `rate` per minute, bursts of `rate`.
    pub fn per_minute(rate: u32) -> Self {
        Self::new(f64::from(rate) / 60.0, f64::from(rate))
    }

    /// `rate` per hour, bursts of `rate`.
    pub fn per_hour(rate: u32) -> Self {
        Self::new(f64::from(rate) / 3600.0, f64::from(rate))
    }

    fn new(per_second: f64, burst: f64) -> Self {
        Self { per_second, burst, buckets: Mutex::new(Buckets::default()) }
    }

    /// Takes one token for `key`; `Err(seconds to wait)` when it has none.
    pub fn check(&self, key: &str, now: DateTime<Utc>) -> Result<(), u64> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        // Full buckets are forgotten (a new one starts full anyway), at most
        // once a second; a flood of fresh keys past the cap starts over.
        if buckets.by_key.len() > MAX_TRACKED_KEYS && buckets.pruned_at.is_none_or(|t| now - t >= Duration::seconds(1))
        {
            let full_after = Duration::milliseconds((self.burst / self.per_second * 1000.0) as i64);
            buckets.by_key.retain(|_, (_, at)| now - *at < full_after);
            buckets.pruned_at = Some(now);
            if buckets.by_key.len() > MAX_TRACKED_KEYS {
                buckets.by_key.clear();
            }
        }
        let (tokens, at) = buckets.by_key.entry(key.to_owned()).or_insert((self.burst, now));
        let elapsed = (now - *at).num_microseconds().unwrap_or(i64::MAX).max(0) as f64 / 1e6;
        *tokens = (*tokens + elapsed * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            return Ok(());
        }
        Err(((1.0 - *tokens) / self.per_second).ceil().max(1.0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_refill_and_zero_is_off() {
        let t0 = DateTime::from_timestamp(1_000, 0).unwrap_or_default();
        let l = RateLimiter::per_second(2);
        for _ in 0..4 {
            assert!(l.check("org", t0).is_ok());
        }
        assert_eq!(l.check("org", t0), Err(1));
        assert!(l.check("other", t0).is_ok());
        assert!(l.check("org", t0 + Duration::milliseconds(500)).is_ok());
        assert!(RateLimiter::per_second(0).check("org", t0).is_ok());
        let m = RateLimiter::per_minute(3);
        for _ in 0..3 {
            assert!(m.check("ip", t0).is_ok());
        }
        assert_eq!(m.check("ip", t0), Err(20));
        assert!(m.check("ip", t0 + Duration::seconds(20)).is_ok());
    }
}
