//! Events for integrators: the only writer of `events` and
//! `event_versions`. Every state change calls [`emit`] (or adds
//! [`statements`] to its batch) inside its own transaction, so a change
//! rolled back has no event and a committed one always has one.
//!
//! Order: `seq` is the commit order (see m0029). On SQLite writers take turns
//! and `seq` is the next number; on PostgreSQL it is the writing
//! transaction's id, and readers only go up to the oldest transaction still
//! running (`pg_snapshot_xmin`), so a cursor never passes an event that
//! commits later. `version` counts each object's changes in
//! `event_versions`, which pruning leaves alone.
//!
//! The feed (`GET /api/v1/events`) and the webhook dispatcher read through
//! [`after`].

pub mod entity;
pub mod handlers;

use actix_web::web;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, InsertStatement, OnConflict, Query, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use shared::events::Source;

use crate::db::OrganizationScoped;
use crate::error::{AppError, AppResult};
use entity::{event, version};

/// A change to announce.
pub struct NewEvent {
    pub kind: &'static str,
    pub organization_id: Option<String>,
    /// What changed, as consumers key it: a member is `{org_id}/{user_id}`.
    pub object_id: String,
    pub source: Option<Source>,
    /// The object's state after the change.
    pub data: serde_json::Value,
}

impl NewEvent {
    pub fn new(kind: &'static str, org_id: &str, object_id: impl Into<String>, data: serde_json::Value) -> Self {
        debug_assert!(shared::events::is_event_type(kind), "{kind} is not in the catalogue");
        Self { kind, organization_id: Some(org_id.to_owned()), object_id: object_id.into(), source: None, data }
    }

    pub fn by(mut self, source: Source) -> Self {
        self.source = Some(source);
        self
    }
}

/// Who made a change an Administrator's endpoint made: a person or a key.
pub fn source_of(actor: &crate::audit::Actor<'_>) -> Source {
    match actor.by {
        crate::audit::By::User(_) => Source::Admin,
        crate::audit::By::Key(_) => Source::Api,
    }
}

/// Who made a change, from the id an audit entry names (`usr_…`, `key_…`,
/// or `system`).
pub fn source_of_id(actor: &str) -> Source {
    if actor.starts_with(shared::UserId::PREFIX) {
        Source::Admin
    } else if actor.starts_with("key_") {
        Source::Api
    } else {
        Source::System
    }
}

/// A member's object id.
pub fn member_object(org_id: &str, user_id: &str) -> String {
    format!("{org_id}/{user_id}")
}

/// The commit-order number of a row written now.
fn next_seq(backend: DbBackend) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => Expr::cust("pg_current_xact_id()::text::bigint"),
        _ => Expr::cust("(SELECT COALESCE(MAX(seq), 0) + 1 FROM events)"),
    }
}

/// The two inserts that record `e`: its object's version goes up by one,
/// and the event is written with it.
#[allow(clippy::expect_used)] // nine columns and nine selected values, fixed here
pub fn statements(backend: DbBackend, e: NewEvent, now: DateTime<Utc>) -> [InsertStatement; 2] {
    let bump = Query::insert()
        .into_table(version::Entity)
        .columns([version::Column::ObjectId, version::Column::Version])
        .values_panic([e.object_id.clone().into(), 1i64.into()])
        .on_conflict(
            OnConflict::column(version::Column::ObjectId)
                .value(version::Column::Version, Expr::col((version::Entity, version::Column::Version)).add(1))
                .to_owned(),
        )
        .to_owned();
    let select = Query::select()
        .expr(Expr::val(shared::EventId::generate().into_string()))
        .expr(next_seq(backend))
        .expr(Expr::val(e.kind))
        .expr(Expr::val(now))
        .expr(Expr::val(e.organization_id))
        .expr(Expr::val(e.object_id.clone()))
        .column((version::Entity, version::Column::Version))
        .expr(Expr::val(e.source.map(|s| s.as_str().to_owned())))
        .expr(Expr::val(e.data.to_string()))
        .from(version::Entity)
        .and_where(Expr::col((version::Entity, version::Column::ObjectId)).eq(e.object_id))
        .to_owned();
    let insert = Query::insert()
        .into_table(event::Entity)
        .columns([
            event::Column::Id,
            event::Column::Seq,
            event::Column::Kind,
            event::Column::OccurredAt,
            event::Column::OrganizationId,
            event::Column::ObjectId,
            event::Column::Version,
            event::Column::Source,
            event::Column::Data,
        ])
        .select_from(select)
        .expect("the select has one column per insert column")
        .to_owned();
    [bump, insert]
}

/// Records `e` in `db` (the change's transaction).
pub async fn emit(db: &impl ConnectionTrait, e: NewEvent, now: DateTime<Utc>) -> AppResult<()> {
    for s in statements(db.get_database_backend(), e, now) {
        db.execute(&s).await?;
    }
    Ok(())
}

/// Where a reader is: the last event it saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    pub seq: i64,
    pub id: String,
}

impl Cursor {
    pub fn of(e: &event::Model) -> Self {
        Self { seq: e.seq, id: e.id.clone() }
    }
}

impl Cursor {
    /// The `next_cursor` the feed hands out: `c{seq}.{event id}`. It names
    /// a place in the feed, not a row, so it never expires.
    pub fn encode(&self) -> String {
        format!("c{}.{}", self.seq, self.id)
    }

    fn decode(s: &str) -> Option<Self> {
        let (seq, id) = s.strip_prefix('c')?.split_once('.')?;
        shared::EventId::parse(id).ok()?;
        Some(Self { seq: seq.parse().ok().filter(|n: &i64| *n >= 0)?, id: id.to_owned() })
    }
}

/// Where `after` points: a `next_cursor` the feed handed out, or an event
/// id (400 when it is neither, 410 when no such event is kept).
pub async fn cursor_at(db: &impl ConnectionTrait, field: &str, after: &str) -> AppResult<Cursor> {
    if let Some(c) = Cursor::decode(after) {
        return Ok(c);
    }
    shared::EventId::parse(after).map_err(|_| {
        AppError::bad_request("invalid_cursor", format!("`{field}` is not an event id (evt_…) or a next_cursor."))
    })?;
    let e = event::Entity::find_by_id(after).one(db).await?.ok_or_else(|| AppError::Gone {
        code: "cursor_expired",
        detail: format!(
            "No event {after} is kept (old events are deleted): start again without `{field}`, from the oldest kept."
        ),
    })?;
    Ok(Cursor::of(&e))
}

/// PostgreSQL: only events below every transaction still running that
/// could commit one later — with a lower `seq` than events already
/// visible. Transactions of other databases on the same server cannot
/// write our events and are left out (else a long one elsewhere would hold
/// the feed up); one that ended since the statement's snapshot was taken,
/// or that this role may not see, counts, to be safe (the next read moves
/// on). Read in the statement's own snapshot.
const PG_HORIZON: &str = "seq < COALESCE(\
    (SELECT MIN(x::text::bigint) FROM pg_snapshot_xip(pg_current_snapshot()) AS x \
     WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname <> current_database() \
       AND a.backend_xid IS NOT NULL AND a.backend_xid::text::bigint = x::text::bigint % 4294967296)), \
    pg_snapshot_xmax(pg_current_snapshot())::text::bigint)";

/// What to read.
#[derive(Debug, Clone, Default)]
pub struct Filter<'a> {
    pub organization_id: Option<&'a str>,
    /// Empty: every type.
    pub types: &'a [String],
    /// Nothing after this one.
    pub until: Option<&'a Cursor>,
}

/// Up to `limit` committed events after `cursor` (from the oldest kept when
/// `None`), in commit order.
pub async fn after(
    db: &impl ConnectionTrait,
    cursor: Option<&Cursor>,
    filter: &Filter<'_>,
    limit: u64,
) -> AppResult<Vec<event::Model>> {
    let q = match filter.organization_id {
        Some(org) => event::Entity::find_in(org),
        None => event::Entity::find(),
    };
    let mut q = q.order_by_asc(event::Column::Seq).order_by_asc(event::Column::Id).limit(limit);
    if let Some(c) = cursor {
        q = q.filter(event::Column::Seq.gte(c.seq)).filter(
            Condition::any()
                .add(event::Column::Seq.gt(c.seq))
                .add(Condition::all().add(event::Column::Seq.eq(c.seq)).add(event::Column::Id.gt(c.id.as_str()))),
        );
    }
    if !filter.types.is_empty() {
        q = q.filter(event::Column::Kind.is_in(filter.types.iter().map(String::as_str)));
    }
    if let Some(u) = filter.until {
        q = q.filter(event::Column::Seq.lte(u.seq)).filter(
            Condition::any()
                .add(event::Column::Seq.lt(u.seq))
                .add(Condition::all().add(event::Column::Seq.eq(u.seq)).add(event::Column::Id.lte(u.id.as_str()))),
        );
    }
    if db.get_database_backend() == DbBackend::Postgres {
        q = q.filter(Expr::cust(PG_HORIZON));
    }
    Ok(q.all(db).await?)
}

/// The newest event's cursor (where a new webhook endpoint starts), below
/// the horizon on PostgreSQL.
pub async fn head(db: &impl ConnectionTrait) -> AppResult<Cursor> {
    let mut q = event::Entity::find().order_by_desc(event::Column::Seq).order_by_desc(event::Column::Id);
    if db.get_database_backend() == DbBackend::Postgres {
        // Below every transaction still running: what one of them commits
        // later comes after the cursor, not before it.
        q = q.filter(Expr::cust(PG_HORIZON));
    }
    let last = q.one(db).await?;
    Ok(last.map(|e| Cursor::of(&e)).unwrap_or_default())
}

/// As the API shows it.
pub fn view(e: event::Model) -> shared::events::Event {
    let source = e.source.as_deref().and_then(|s| serde_json::from_value(serde_json::Value::String(s.to_owned())).ok());
    shared::events::Event {
        id: e.id,
        kind: e.kind,
        occurred_at: e.occurred_at,
        organization_id: e.organization_id,
        object_id: e.object_id,
        version: e.version,
        source,
        data: serde_json::from_str(&e.data).unwrap_or(serde_json::Value::Null),
    }
}

/// Deletes events older than `days` (their objects' versions stay), but
/// never the newest: on SQLite the next `seq` counts on from it, so the
/// numbers never start again below the cursors of webhook endpoints.
pub async fn prune(db: &impl ConnectionTrait, now: DateTime<Utc>, days: i64) -> AppResult<u64> {
    let newest = head(db).await?;
    let done = event::Entity::delete_many()
        .filter(event::Column::OccurredAt.lt(now - Duration::days(days)))
        .filter(Condition::any().add(event::Column::Seq.lt(newest.seq)).add(event::Column::Id.ne(newest.id)))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/events", web::get().to(handlers::list));
}

/// Deletes events past the retention (`events_retention_days`) once an hour
/// for as long as the server runs (every process; a delete of what another
/// already deleted does nothing).
pub fn spawn_pruner(state: web::Data<crate::state::AppState>) {
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let days = i64::from(state.settings.events_retention_days);
            let pruned = async {
                let txn = state.begin_write().await?;
                let n = prune(&*txn, state.clock.now(), days).await?;
                txn.commit().await?;
                AppResult::Ok(n)
            }
            .await;
            match pruned {
                Ok(0) => {}
                Ok(n) => tracing::info!(events = n, days, "pruned old events"),
                Err(e) => tracing::warn!(error = %e, "pruning old events failed; trying again in an hour"),
            }
        }
    });
}
