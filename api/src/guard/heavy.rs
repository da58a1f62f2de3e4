//! Work an anonymous request can start that costs real memory or CPU:
//! argon2 password hashes (19 MiB each) and SAML signature checks. At most
//! a few run at once (one per core, at least two); a request that waits
//! longer than [`QUEUE_WAIT`] for a turn is answered 503 with `Retry-After`
//! instead of piling up threads and memory.

use std::time::Duration;

use tokio::sync::Semaphore;

use crate::error::AppError;

/// How long a request waits for a turn before it is told to come back.
pub const QUEUE_WAIT: Duration = Duration::from_secs(5);
/// How long one piece of work may take before its request is answered
/// (the thread finishes on its own; the permit is held until it does).
pub const MAX_RUN: Duration = Duration::from_secs(10);

pub struct HeavyWork {
    permits: std::sync::Arc<Semaphore>,
}

impl Default for HeavyWork {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(2);
        Self::new(cores.max(2))
    }
}

impl HeavyWork {
    pub fn new(permits: usize) -> Self {
        Self { permits: std::sync::Arc::new(Semaphore::new(permits)) }
    }

    /// Runs `f` on the blocking pool once a permit is free.
    pub async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        let busy = || AppError::Busy {
            retry_after_secs: 2,
            detail: "The server is busy signing people in. Try again in a few seconds.".to_owned(),
        };
        let permit = tokio::time::timeout(QUEUE_WAIT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| busy())?
            .map_err(|_| busy())?;
        let task = tokio::task::spawn_blocking(move || {
            let out = f();
            drop(permit);
            out
        });
        match tokio::time::timeout(MAX_RUN, task).await {
            Ok(Ok(out)) => Ok(out),
            Ok(Err(e)) => Err(AppError::Internal(anyhow::anyhow!("heavy work failed: {e}"))),
            Err(_) => Err(busy()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_answers_busy_instead_of_waiting_forever() {
        let h = std::sync::Arc::new(HeavyWork::new(1));
        let slow = {
            let h = h.clone();
            tokio::spawn(async move { h.run(|| std::thread::sleep(Duration::from_secs(6))).await })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = std::time::Instant::now();
        let second = h.run(|| 1).await;
        assert!(matches!(second, Err(AppError::Busy { .. })), "{second:?}");
        assert!(started.elapsed() < Duration::from_secs(6));
        assert!(slow.await.is_ok_and(|r| r.is_ok()));
        assert_eq!(h.run(|| 2).await.ok(), Some(2));
    }
}
