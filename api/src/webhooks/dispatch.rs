//! Delivery: each enabled endpoint's new events become deliveries (one per
//! endpoint and event, written with the endpoint's cursor in one
//! transaction, so none is skipped or made twice), and the deliveries are
//! sent through the guarded client, signed, retried with backoff and
//! jitter, each try logged. On PostgreSQL an endpoint's cursor is moved by
//! one process at a time (`FOR UPDATE SKIP LOCKED`) and a delivery is sent
//! by the process holding its lease.

use std::collections::HashMap;
use std::time::Instant;

use actix_web::web;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter,
    QuerySelect,
};

use super::entity::{attempt, delivery, endpoint};
use crate::error::AppResult;
use crate::events::{Cursor, Filter};
use crate::state::AppState;

/// The wait after each failed attempt (with up to 10 % jitter on top);
/// after the last one the delivery is given up: 3 days 5½ hours to 3 days
/// 13 hours in all.
pub const BACKOFF_SECS: [i64; 12] =
    [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000, 36_000, 36_000, 36_000, 36_000, 36_000];
/// An endpoint whose every attempt has failed this long is turned off.
pub const DISABLE_AFTER_DAYS: i64 = 5;
/// Sends in flight per process, and per endpoint.
pub const IN_FLIGHT: usize = 32;
pub const PER_ENDPOINT: usize = 8;
/// How long a claim holds a delivery: a send gives up after 5 s, so this
/// leaves its result 15 s to be written; a process that died mid-send has
/// its deliveries sent again by another (or itself, restarted) within 20 s.
pub const LEASE_SECS: i64 = 20;
/// Events moved into deliveries per endpoint per round.
const FILL_BATCH: u64 = 500;
/// The start of a receiver's answer kept in the log.
const EXCERPT_BYTES: usize = 256;
/// Attempts and finished deliveries are kept this long.
const KEEP_DAYS: i64 = 30;

/// Queues `event_ids` for `endpoint_id`, due now.
pub async fn queue(
    db: &impl ConnectionTrait,
    endpoint_id: &str,
    event_ids: &[String],
    now: DateTime<Utc>,
) -> AppResult<()> {
    for chunk in event_ids.chunks(200) {
        let rows = chunk.iter().map(|event_id| delivery::ActiveModel {
            id: Set(shared::WebhookDeliveryId::generate().into_string()),
            endpoint_id: Set(endpoint_id.to_owned()),
            event_id: Set(event_id.clone()),
            attempts: Set(0),
            next_attempt_at: Set(Some(now)),
            state: Set("pending".to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
        });
        delivery::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

/// Moves each enabled endpoint's new events into deliveries. One read
/// finds the endpoints behind the newest event (mostly none: no write
/// transaction); one endpoint's failure does not hold up the others.
pub async fn fill(state: &AppState) -> AppResult<()> {
    let newest = crate::events::head(&state.db).await?;
    let behind = endpoint::Entity::find()
        .select_only()
        .column(endpoint::Column::Id)
        .filter(endpoint::Column::Enabled.eq(true))
        .filter(
            sea_orm::Condition::any().add(endpoint::Column::CursorSeq.lt(newest.seq)).add(
                sea_orm::Condition::all()
                    .add(endpoint::Column::CursorSeq.eq(newest.seq))
                    .add(endpoint::Column::CursorId.lt(newest.id.as_str())),
            ),
        )
        .into_tuple::<String>()
        .all(&state.db)
        .await?;
    for id in behind {
        if let Err(e) = fill_one(state, &id).await {
            tracing::warn!(endpoint = %id, error = %e, "webhooks: queuing new events failed; trying again at the next run");
        }
    }
    Ok(())
}

async fn fill_one(state: &AppState, endpoint_id: &str) -> AppResult<()> {
    let txn = state.begin_write().await?;
    let mut q = endpoint::Entity::find_by_id(endpoint_id).filter(endpoint::Column::Enabled.eq(true));
    if txn.get_database_backend() == DbBackend::Postgres {
        // Another process is moving this endpoint's cursor: leave it to it.
        q = q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let Some(e) = q.one(&*txn).await? else { return Ok(()) };
    let cursor = Cursor { seq: e.cursor_seq, id: e.cursor_id.clone() };
    let page = crate::events::after(&*txn, Some(&cursor), &Filter::default(), FILL_BATCH).await?;
    let Some(last) = page.last() else { return Ok(()) };
    let types = e.types();
    let wanted: Vec<String> =
        page.iter().filter(|ev| types.is_empty() || types.contains(&ev.kind)).map(|ev| ev.id.clone()).collect();
    let now = state.clock.now();
    queue(&*txn, &e.id, &wanted, now).await?;
    endpoint::Entity::update_many()
        .col_expr(endpoint::Column::CursorSeq, Expr::value(last.seq))
        .col_expr(endpoint::Column::CursorId, Expr::value(last.id.clone()))
        .filter(endpoint::Column::Id.eq(e.id.as_str()))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Claims up to `limit` due deliveries (at most [`PER_ENDPOINT`] in flight
/// per endpoint, counting `busy`), each with its lease's time.
async fn claim(
    state: &AppState,
    limit: usize,
    busy: &HashMap<String, usize>,
) -> Result<Vec<(delivery::Model, DateTime<Utc>)>, DbErr> {
    let cols = crate::outbox::Columns {
        id: delivery::Column::Id,
        next_attempt_at: delivery::Column::NextAttemptAt,
        key: delivery::Column::EndpointId,
    };
    crate::outbox::claim::<delivery::Entity>(state, &cols, (limit, PER_ENDPOINT, LEASE_SECS), busy, |d| {
        (d.id.clone(), d.endpoint_id.clone(), d.next_attempt_at)
    })
    .await
}

/// What one attempt came to.
enum Outcome {
    /// 2xx.
    Delivered,
    /// 410 Gone: the receiver wants nothing more.
    Gone,
    Failed,
    /// The endpoint is off or gone, or the event was pruned: not sent.
    Dropped(&'static str),
    /// The database could not be read: nothing is written, and the lease
    /// running out brings the delivery back.
    Later,
}

struct Try {
    outcome: Outcome,
    status: Option<i32>,
    latency_ms: i64,
    error: Option<String>,
    excerpt: Option<String>,
}

impl Try {
    fn dropped(why: &'static str) -> Self {
        Self { outcome: Outcome::Dropped(why), status: None, latency_ms: 0, error: None, excerpt: None }
    }

    fn dropped_later() -> Self {
        Self { outcome: Outcome::Later, status: None, latency_ms: 0, error: None, excerpt: None }
    }

    fn failed(error: String) -> Self {
        Self { outcome: Outcome::Failed, status: None, latency_ms: 0, error: Some(error), excerpt: None }
    }
}

/// The body: the event, as the feed shows it (Standard Webhooks' `type`,
/// `timestamp` and `data`, with the rest of the event beside them).
fn payload(e: crate::events::entity::event::Model) -> serde_json::Value {
    let timestamp = e.occurred_at;
    let mut body = serde_json::to_value(crate::events::view(e)).unwrap_or_default();
    body["timestamp"] = serde_json::to_value(timestamp).unwrap_or_default();
    body
}

/// Printable text of the start of an answer (nothing that could be markup
/// in a terminal or reorder what an operator reads: control characters
/// and invisible formatting ones dropped).
fn excerpt(bytes: &[u8]) -> Option<String> {
    let text: String =
        String::from_utf8_lossy(bytes).chars().filter(|c| !c.is_control() && !is_invisible_format(*c)).collect();
    let text = text.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// Unicode's invisible formatting characters (general category Cf, and
/// the like): bidirectional overrides and isolates, zero-width ones, the
/// byte order mark, soft hyphens, tag characters.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{600}'..='\u{605}'
            | '\u{61c}'
            | '\u{6dd}'
            | '\u{70f}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{e0000}'..='\u{e007f}'
    )
}

/// The first bytes of the answer (the rest is not read).
async fn read_start(mut res: reqwest::Response) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < EXCERPT_BYTES {
        match res.chunk().await {
            Ok(Some(chunk)) => out.extend_from_slice(&chunk[..chunk.len().min(EXCERPT_BYTES - out.len())]),
            _ => break,
        }
    }
    out
}

async fn attempt(state: &AppState, d: &delivery::Model) -> Try {
    let e = match endpoint::Entity::find_by_id(d.endpoint_id.as_str()).one(&state.db).await {
        Ok(Some(e)) if e.enabled => e,
        Ok(Some(_)) => return Try::dropped("endpoint_disabled"),
        Ok(None) => return Try::dropped("endpoint_deleted"),
        Err(_) => return Try::dropped_later(),
    };
    let event = match crate::events::entity::event::Entity::find_by_id(d.event_id.as_str()).one(&state.db).await {
        Ok(Some(event)) => event,
        Ok(None) => return Try::dropped("event_pruned"),
        Err(_) => return Try::dropped_later(),
    };
    let now = state.clock.now();
    let mut secrets: Vec<String> = Vec::with_capacity(2);
    secrets.extend(state.keys.open(&e.secret).and_then(|s| String::from_utf8(s).ok()));
    if e.previous_secret_until.is_some_and(|t| t > now) {
        secrets.extend(
            e.previous_secret.as_deref().and_then(|s| state.keys.open(s)).and_then(|s| String::from_utf8(s).ok()),
        );
    }
    if secrets.is_empty() {
        // Never sent unsigned: the receiver could not tell it from a forgery.
        return Try::failed(
            "the endpoint's signing secret cannot be opened (the signing key it was sealed with is no longer configured); rotate the secret"
                .to_owned(),
        );
    }
    let id = event.id.clone();
    let body = payload(event).to_string();
    // The receiver checks it against its own clock (Standard Webhooks: a
    // few minutes' tolerance against replays): the wall clock, not the
    // server's schedule clock.
    let timestamp = Utc::now().timestamp();
    let signature = super::signing::signature(&secrets, &id, timestamp, body.as_bytes());
    if signature.is_empty() {
        // Opened, but not a `whsec_` secret: never sent unsigned either.
        return Try::failed("the endpoint's signing secret is not usable; rotate the secret".to_owned());
    }
    let what = "webhook URL";
    let request = match state.outbound.post(&e.url, what) {
        Ok(r) => r
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body),
        Err(err) => return Try::failed(err.0),
    };
    let started = Instant::now();
    let sent = state.outbound.send(request, what).await;
    let (outcome, status, error, excerpt_text) = match sent {
        Ok(res) => {
            let status = res.status();
            let start = read_start(res).await;
            let outcome = if status.is_success() {
                Outcome::Delivered
            } else if status == reqwest::StatusCode::GONE {
                Outcome::Gone
            } else {
                Outcome::Failed
            };
            let error = (!status.is_success()).then(|| format!("the receiver answered HTTP {}", status.as_u16()));
            (outcome, Some(i32::from(status.as_u16())), error, excerpt(&start))
        }
        Err(err) => (Outcome::Failed, None, Some(err.0), None),
    };
    let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    Try { outcome, status, latency_ms, error, excerpt: excerpt_text }
}

/// The wait before the next try after `attempts` failures, with up to
/// 10 % jitter on top (never below the schedule, so retries always span
/// more than 3 days); `None` once the schedule is spent.
pub fn backoff(attempts: i32) -> Option<Duration> {
    let base = *BACKOFF_SECS.get(usize::try_from(attempts.checked_sub(1)?).ok()?)?;
    let spread = base / 10;
    let jitter = if spread > 0 { rand::random_range(0..=spread) } else { 0 };
    Some(Duration::seconds(base + jitter))
}

/// Writes what an attempt came to — only while this process still holds
/// the lease.
async fn record(state: &AppState, d: &delivery::Model, lease: DateTime<Utc>, t: Try) -> AppResult<()> {
    let now = state.clock.now();
    let mine = || {
        sea_orm::Condition::all()
            .add(delivery::Column::Id.eq(d.id.as_str()))
            .add(delivery::Column::NextAttemptAt.eq(lease))
    };
    if matches!(t.outcome, Outcome::Later) {
        return Ok(());
    }
    let txn = state.begin_write().await?;
    let (next, new_state, attempts) = match &t.outcome {
        Outcome::Delivered => (None, "delivered", d.attempts + 1),
        Outcome::Gone => (None, "failed", d.attempts + 1),
        Outcome::Dropped(_) | Outcome::Later => (None, "cancelled", d.attempts),
        Outcome::Failed => {
            let attempts = d.attempts + 1;
            match backoff(attempts) {
                Some(wait) => (Some(now + wait), "pending", attempts),
                None => (None, "failed", attempts),
            }
        }
    };
    let updated = delivery::Entity::update_many()
        .col_expr(delivery::Column::Attempts, Expr::value(attempts))
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(next))
        .col_expr(delivery::Column::State, Expr::value(new_state))
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
        .filter(mine())
        .exec(&*txn)
        .await?;
    if updated.rows_affected == 0 {
        return Ok(()); // the lease ran out: another process has it
    }
    if let Outcome::Dropped(why) = t.outcome {
        tracing::debug!(delivery = %d.id, why, "webhook delivery dropped");
        txn.commit().await?;
        return Ok(());
    }
    attempt::ActiveModel {
        id: Set(shared::WebhookAttemptId::generate().into_string()),
        endpoint_id: Set(d.endpoint_id.clone()),
        delivery_id: Set(d.id.clone()),
        event_id: Set(d.event_id.clone()),
        attempted_at: Set(now),
        status: Set(t.status),
        latency_ms: Set(t.latency_ms),
        error: Set(t.error.clone()),
        response_excerpt: Set(t.excerpt),
    }
    .insert(&*txn)
    .await?;
    match t.outcome {
        Outcome::Delivered => {
            endpoint::Entity::update_many()
                .col_expr(endpoint::Column::FailingSince, Expr::value(Option::<DateTime<Utc>>::None))
                .filter(endpoint::Column::Id.eq(d.endpoint_id.as_str()))
                .filter(endpoint::Column::FailingSince.is_not_null())
                .exec(&*txn)
                .await?;
        }
        Outcome::Gone => disable(&*txn, &d.endpoint_id, "gone", now).await?,
        Outcome::Failed => {
            let e = endpoint::Entity::find_by_id(d.endpoint_id.as_str()).one(&*txn).await?;
            match e.and_then(|e| e.failing_since) {
                None => {
                    endpoint::Entity::update_many()
                        .col_expr(endpoint::Column::FailingSince, Expr::value(now))
                        .filter(endpoint::Column::Id.eq(d.endpoint_id.as_str()))
                        .exec(&*txn)
                        .await?;
                }
                Some(since) if now - since >= Duration::days(DISABLE_AFTER_DAYS) => {
                    disable(&*txn, &d.endpoint_id, "failing", now).await?;
                }
                Some(_) => {}
            }
            tracing::warn!(endpoint = %d.endpoint_id, attempts, reason = ?t.error, "webhook delivery failed");
        }
        Outcome::Dropped(_) | Outcome::Later => {}
    }
    txn.commit().await?;
    Ok(())
}

/// Gatehouse turns an endpoint off (`gone`, `failing`): its pending
/// deliveries are cancelled and a `webhook_endpoint.disabled` event says so.
async fn disable(db: &impl ConnectionTrait, endpoint_id: &str, reason: &str, now: DateTime<Utc>) -> AppResult<()> {
    let Some(e) = endpoint::Entity::find_by_id(endpoint_id).one(db).await? else { return Ok(()) };
    // Of two attempts that both say so, one turns it off (and says so once).
    let turned_off = endpoint::Entity::update_many()
        .col_expr(endpoint::Column::Enabled, Expr::value(false))
        .col_expr(endpoint::Column::DisabledReason, Expr::value(reason))
        .col_expr(endpoint::Column::UpdatedAt, Expr::value(now))
        .filter(endpoint::Column::Id.eq(endpoint_id))
        .filter(endpoint::Column::Enabled.eq(true))
        .exec(db)
        .await?;
    if turned_off.rows_affected == 0 {
        return Ok(());
    }
    super::endpoints::cancel_pending(db, endpoint_id, now).await?;
    tracing::warn!(endpoint = %endpoint_id, reason, "webhook endpoint disabled");
    // Other endpoints' receivers get this event: the URL's host only (a
    // URL can itself be a credential).
    let host = reqwest::Url::parse(&e.url).ok().and_then(|u| u.host_str().map(str::to_owned));
    let data = serde_json::json!({
        "id": e.id, "host": host, "description": e.description, "enabled": false,
        "disabled_reason": reason, "failing_since": e.failing_since,
    });
    let event = crate::events::NewEvent {
        kind: "webhook_endpoint.disabled",
        organization_id: None,
        object_id: e.id,
        source: Some(shared::events::Source::System),
        data,
    };
    crate::events::emit(db, event, now).await
}

/// Old attempts and finished deliveries go.
async fn purge(state: &AppState) -> Result<(), DbErr> {
    let before = state.clock.now() - Duration::days(KEEP_DAYS);
    let txn = state.begin_write().await?;
    attempt::Entity::delete_many().filter(attempt::Column::AttemptedAt.lt(before)).exec(&*txn).await?;
    delivery::Entity::delete_many()
        .filter(delivery::Column::State.ne("pending"))
        .filter(delivery::Column::UpdatedAt.lt(before))
        .exec(&*txn)
        .await?;
    txn.commit().await
}

/// The outbox of webhook deliveries.
pub struct Webhooks;

impl crate::outbox::Outbox for Webhooks {
    type Item = (delivery::Model, DateTime<Utc>);
    const NAME: &'static str = "webhooks";
    const IN_FLIGHT: usize = IN_FLIGHT;
    const PER_KEY: usize = PER_ENDPOINT;

    fn key(item: &Self::Item) -> &str {
        &item.0.endpoint_id
    }

    async fn prepare(state: &AppState) {
        if let Err(e) = fill(state).await {
            tracing::warn!(error = %e, "webhooks: queuing new events failed; trying again at the next run");
        }
    }

    async fn housekeeping(state: &AppState) -> Result<(), DbErr> {
        purge(state).await
    }

    async fn claim(state: &AppState, limit: usize, busy: &HashMap<String, usize>) -> Result<Vec<Self::Item>, DbErr> {
        claim(state, limit, busy).await
    }

    async fn send(state: web::Data<AppState>, (d, lease): Self::Item) {
        let t = attempt(&state, &d).await;
        if let Err(e) = record(&state, &d, lease, t).await {
            tracing::warn!(error = %e, "webhooks: recording an attempt failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_keeps_only_what_an_operator_can_read_as_it_is() {
        let answer = "denied\u{202e}txt.exe\u{200b}\u{7}\u{1b}[31m red \u{2066}x\u{2069} é 日本\u{feff}\u{e0041}";
        assert_eq!(excerpt(answer.as_bytes()).as_deref(), Some("deniedtxt.exe[31m red x é 日本"));
        assert_eq!(excerpt(b" \n\t\r "), None);
    }

    #[test]
    fn retries_span_more_than_three_days_and_then_stop() {
        for _ in 0..200 {
            let total: i64 = (1..=12).map(|n| backoff(n).unwrap().num_seconds()).sum();
            assert!((3 * 86_400..=4 * 86_400).contains(&total), "{total}");
        }
        assert_eq!(backoff(13), None);
        assert_eq!(backoff(1).unwrap().num_seconds(), 5, "too short to jitter");
    }
}
