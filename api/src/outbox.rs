//! The loop that sends what an outbox table holds (back-channel logouts,
//! webhook deliveries): every process looks for due rows each tick, claims
//! some with a lease, and sends them side by side — at most `IN_FLIGHT` per
//! process and `PER_KEY` per destination, so one slow receiver never holds
//! up the others. What a send came to is written by the sender, under its
//! lease.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix_web::web;
use sea_orm::DbErr;

use crate::state::AppState;

/// One outbox: how to claim its due rows and send one.
pub trait Outbox: 'static {
    /// A claimed row (with its lease).
    type Item: 'static;
    /// Its name in the logs.
    const NAME: &'static str;
    /// Sends in flight per process at most.
    const IN_FLIGHT: usize;
    /// Sends in flight per destination per process at most.
    const PER_KEY: usize;

    /// The destination an item goes to (an application, an endpoint).
    fn key(item: &Self::Item) -> &str;

    /// Runs each tick before claiming (e.g. fills the outbox).
    fn prepare(state: &AppState) -> impl Future<Output = ()> {
        let _ = state;
        std::future::ready(())
    }

    /// Runs every few hundred ticks (e.g. deletes old rows).
    fn housekeeping(state: &AppState) -> impl Future<Output = Result<(), DbErr>>;

    /// Claims up to `limit` due items, leaving out destinations `busy`
    /// already has `PER_KEY` sends in flight for.
    fn claim(
        state: &AppState,
        limit: usize,
        busy: &HashMap<String, usize>,
    ) -> impl Future<Output = Result<Vec<Self::Item>, DbErr>>;

    /// Sends one item and writes what came of it.
    fn send(state: web::Data<AppState>, item: Self::Item) -> impl Future<Output = ()>;
}

/// How often old rows are cleared.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(600);

/// This process's sends in flight, per destination.
#[derive(Default)]
struct InFlight {
    per_key: Mutex<HashMap<String, usize>>,
    /// Told whenever a send finishes.
    done: tokio::sync::Notify,
}

impl InFlight {
    fn busy(&self) -> HashMap<String, usize> {
        self.per_key.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn add(&self, key: &str, by: isize) {
        let mut map = self.per_key.lock().unwrap_or_else(PoisonError::into_inner);
        let n = map.entry(key.to_owned()).or_default();
        *n = n.saturating_add_signed(by);
        if *n == 0 {
            map.remove(key);
        }
    }
}

/// The last sends a process may start are kept for destinations with
/// fewer than [`SHARE_IN_RESERVE`] in flight: slow receivers taking every
/// other slot (each up to its own limit) never stall the rest.
pub const RESERVE: usize = 8;
/// How many sends one destination may have in flight once only the
/// [`RESERVE`] is free.
pub const SHARE_IN_RESERVE: usize = 2;

/// How many sends one destination may have in flight when `free` more may
/// start: `per_key`, or a share of the reserve.
pub fn cap(free: usize, per_key: usize) -> usize {
    if free > RESERVE { per_key } else { per_key.min(SHARE_IN_RESERVE) }
}

/// Destinations with `per_key` sends in flight.
pub fn full(busy: &HashMap<String, usize>, per_key: usize) -> Vec<&str> {
    busy.iter().filter(|(_, n)| **n >= per_key).map(|(k, _)| k.as_str()).collect()
}

/// Sends `O`'s due items every `every` (and at once while more are due) for
/// as long as the server runs.
pub fn spawn<O: Outbox>(state: web::Data<AppState>, every: Duration) {
    actix_web::rt::spawn(async move {
        let permits = Arc::new(tokio::sync::Semaphore::new(O::IN_FLIGHT));
        let in_flight = Arc::new(InFlight::default());
        let mut last_housekeeping: Option<std::time::Instant> = None;
        loop {
            if last_housekeeping.is_none_or(|t| t.elapsed() >= HOUSEKEEPING_EVERY) {
                last_housekeeping = Some(std::time::Instant::now());
                if let Err(e) = O::housekeeping(&state).await {
                    tracing::warn!(error = %e, outbox = O::NAME, "housekeeping failed");
                }
            }
            O::prepare(&state).await;
            let free = permits.available_permits();
            let claimed = if free == 0 {
                Vec::new()
            } else {
                O::claim(&state, free, &in_flight.busy()).await.unwrap_or_else(|e| {
                    tracing::warn!(error = %e, outbox = O::NAME, "claiming failed; trying again at the next run");
                    Vec::new()
                })
            };
            for item in claimed {
                let Ok(permit) = permits.clone().try_acquire_owned() else { break };
                let key = O::key(&item).to_owned();
                in_flight.add(&key, 1);
                let (state, in_flight) = (state.clone(), in_flight.clone());
                actix_web::rt::spawn(async move {
                    O::send(state, item).await;
                    in_flight.add(&key, -1);
                    drop(permit);
                    in_flight.done.notify_one();
                });
            }
            if permits.available_permits() < O::IN_FLIGHT {
                // Sending: more may be due for a destination that is full, so
                // look again as soon as a send finishes (or at the next tick).
                let _ = tokio::time::timeout(every, in_flight.done.notified()).await;
            } else {
                actix_web::rt::time::sleep(every).await;
            }
        }
    });
}

/// The columns of an outbox table a claim reads and moves.
pub struct Columns<E: sea_orm::EntityTrait> {
    pub id: E::Column,
    /// When it is due (a lease while claimed; `NULL` when done).
    pub next_attempt_at: E::Column,
    /// The destination.
    pub key: E::Column,
}

/// Claims up to `limit` due rows of `E` (at most `per_key` in flight per
/// destination, counting `busy`; fewer once only the [`RESERVE`] is left,
/// see [`cap`]) by moving each one's `next_attempt_at` to
/// a lease `lease_secs` ahead with a conditional update — on PostgreSQL
/// after `FOR UPDATE SKIP LOCKED`, so processes take different rows. Each
/// claimed row comes with its lease's time, under which its result is
/// written.
pub async fn claim<E>(
    state: &AppState,
    cols: &Columns<E>,
    (limit, per_key, lease_secs): (usize, usize, i64),
    busy: &HashMap<String, usize>,
    row_of: impl Fn(&E::Model) -> (String, String, Option<chrono::DateTime<chrono::Utc>>),
) -> Result<Vec<(E::Model, chrono::DateTime<chrono::Utc>)>, DbErr>
where
    E: sea_orm::EntityTrait,
    E::Model: Clone + Sync,
{
    use sea_orm::sea_query::{Expr, LockBehavior, LockType};
    use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect};
    let now = state.clock.now();
    let lease = now + chrono::Duration::seconds(lease_secs);
    let full_now = full(busy, cap(limit, per_key));
    // Mostly nothing is due: a read (indexed) says so without a write
    // transaction, which on SQLite would hold every writer up.
    let any_due = E::find()
        .filter(cols.next_attempt_at.lte(now))
        .filter(cols.key.is_not_in(full_now))
        .one(&state.db)
        .await?
        .is_some();
    if !any_due {
        return Ok(Vec::new());
    }
    let txn = state.begin_write().await?;
    let mut taken: HashMap<String, usize> = HashMap::new();
    let mut claimed = Vec::new();
    // The earliest-due rows may all be one destination's: once it is full,
    // look again without it, so a backlog of one never starves the others.
    for _pass in 0..4 {
        let mut counts = busy.clone();
        for (k, n) in &taken {
            *counts.entry(k.clone()).or_default() += n;
        }
        let full_now = full(&counts, cap(limit - claimed.len(), per_key));
        let mut due = E::find()
            .filter(cols.next_attempt_at.lte(now))
            .filter(cols.key.is_not_in(full_now))
            .order_by_asc(cols.next_attempt_at)
            .order_by_asc(cols.id)
            .limit(u64::try_from(limit.saturating_mul(per_key)).unwrap_or(u64::MAX));
        if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
            // Rows another process is claiming are skipped, not waited for.
            due = due.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let due = due.all(&*txn).await?;
        let before = claimed.len();
        let mut skipped = false;
        for row in due {
            if claimed.len() >= limit {
                break;
            }
            let (id, key, seen) = row_of(&row);
            let n = counts.get(&key).copied().unwrap_or(0);
            let Some(seen) = seen else { continue };
            if n >= cap(limit - claimed.len(), per_key) {
                skipped = true;
                continue;
            }
            let won = E::update_many()
                .col_expr(cols.next_attempt_at, Expr::value(lease))
                .filter(cols.id.eq(id))
                .filter(cols.next_attempt_at.eq(seen))
                .exec(&*txn)
                .await?;
            if won.rows_affected == 1 {
                *counts.entry(key.clone()).or_default() += 1;
                *taken.entry(key).or_default() += 1;
                claimed.push((row, lease));
            }
        }
        if !skipped || claimed.len() >= limit || claimed.len() == before {
            break;
        }
    }
    txn.commit().await?;
    Ok(claimed)
}
