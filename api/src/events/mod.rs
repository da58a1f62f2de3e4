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
use sea_orm::sea_query::{
    Alias, CommonTableExpression, Expr, ExprTrait, InsertStatement, OnConflict, Query, SimpleExpr, WithClause,
};
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

/// The statements that record `e`: its object's version goes up by one,
/// and the event is written with it. PostgreSQL does both in one statement
/// (a data-modifying `WITH`); SQLite has none, so two — cheap there (no
/// round trip), and the event's `seq` is the table's own key, the next
/// number.
#[allow(clippy::expect_used)] // one selected value per insert column, fixed here
pub fn statements(backend: DbBackend, e: NewEvent, now: DateTime<Utc>) -> Vec<InsertStatement> {
    let mut bump = Query::insert()
        .into_table(version::Entity)
        .columns([version::Column::ObjectId, version::Column::Version])
        .values_panic([e.object_id.clone().into(), 1i64.into()])
        .on_conflict(
            OnConflict::column(version::Column::ObjectId)
                .value(version::Column::Version, Expr::col((version::Entity, version::Column::Version)).add(1))
                .to_owned(),
        )
        .to_owned();
    let bumped = Alias::new("bumped");
    let pg = backend == DbBackend::Postgres;
    let version_col: SimpleExpr = if pg {
        Expr::col((bumped.clone(), version::Column::Version))
    } else {
        Expr::col((version::Entity, version::Column::Version))
    };
    let mut values: Vec<(event::Column, SimpleExpr)> = vec![
        (event::Column::Id, Expr::val(shared::EventId::generate().into_string())),
        (event::Column::Kind, Expr::val(e.kind)),
        (event::Column::OccurredAt, Expr::val(now)),
        (event::Column::OrganizationId, Expr::val(e.organization_id)),
        (event::Column::ObjectId, Expr::val(e.object_id.clone())),
        (event::Column::Version, version_col),
        (event::Column::Source, Expr::val(e.source.map(|s| s.as_str().to_owned()))),
        (event::Column::Data, Expr::val(e.data.to_string())),
    ];
    if pg {
        // The writing transaction's id; on SQLite the rowid's next number.
        values.push((event::Column::Seq, Expr::cust("pg_current_xact_id()::text::bigint")));
    }
    let mut select = Query::select();
    for (_, v) in &values {
        select.expr(v.clone());
    }
    if pg {
        select.from(bumped.clone());
    } else {
        select.from(version::Entity).and_where(Expr::col((version::Entity, version::Column::ObjectId)).eq(e.object_id));
    }
    let mut insert = Query::insert()
        .into_table(event::Entity)
        .columns(values.iter().map(|(c, _)| *c))
        .select_from(select)
        .expect("the select has one value per insert column")
        .to_owned();
    if pg {
        bump.returning_col(version::Column::Version);
        let cte = CommonTableExpression::new().query(bump).table_name(bumped).to_owned();
        insert.with_cte(WithClause::new().cte(cte).to_owned());
        vec![insert]
    } else {
        vec![bump, insert]
    }
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

/// Most events one prune reads (one short write transaction).
pub const PRUNE_BATCH: u64 = 1_000;

/// What one [`prune`] did: how many events it deleted, and where the next
/// batch starts (`None`: nothing more to prune now).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pruned {
    pub deleted: u64,
    pub go_on_after: Option<(i64, String)>,
}

/// Deletes, of the [`PRUNE_BATCH`] oldest events (in commit order) after
/// `after`, those older than `days` — their objects' versions stay — but
/// never the newest: on SQLite the next `seq` counts on from it, so the
/// numbers never start again below the cursors of webhook endpoints. Walks
/// `seq` order (no index on time: one less page written per event); an
/// event stamped later than its neighbours (another process's clock ahead)
/// is stepped over, not waited for.
pub async fn prune(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    days: i64,
    after: Option<(i64, String)>,
) -> AppResult<Pruned> {
    let cutoff = now - Duration::days(days);
    let newest = head(db).await?;
    let mut oldest = event::Entity::find()
        .select_only()
        .columns([event::Column::Seq, event::Column::Id, event::Column::OccurredAt])
        .order_by_asc(event::Column::Seq)
        .order_by_asc(event::Column::Id)
        .limit(PRUNE_BATCH);
    if let Some((seq, id)) = after {
        oldest = oldest.filter(
            Condition::any()
                .add(event::Column::Seq.gt(seq))
                .add(Condition::all().add(event::Column::Seq.eq(seq)).add(event::Column::Id.gt(id))),
        );
    }
    let oldest: Vec<(i64, String, DateTime<Utc>)> = oldest.into_tuple().all(db).await?;
    let ids: Vec<&str> = oldest
        .iter()
        .filter(|(seq, id, at)| *at < cutoff && !(*seq == newest.seq && *id == newest.id))
        .map(|(_, id, _)| id.as_str())
        .collect();
    if ids.is_empty() {
        // Nothing old enough here: the events after are younger still.
        return Ok(Pruned { deleted: 0, go_on_after: None });
    }
    let deleted = event::Entity::delete_many().filter(event::Column::Id.is_in(ids)).exec(db).await?.rows_affected;
    let go_on_after =
        if oldest.len() as u64 == PRUNE_BATCH { oldest.last().map(|(seq, id, _)| (*seq, id.clone())) } else { None };
    Ok(Pruned { deleted, go_on_after })
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
            // A batch per write transaction, so writers wait for one batch
            // at most, never for the whole backlog.
            let pruned = async {
                let (mut total, mut after) = (0, None);
                loop {
                    let txn = state.begin_write().await?;
                    let batch = prune(&*txn, state.clock.now(), days, after).await?;
                    txn.commit().await?;
                    total += batch.deleted;
                    match batch.go_on_after {
                        Some(next) => after = Some(next),
                        None => return AppResult::Ok(total),
                    }
                }
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

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};

    fn sample() -> NewEvent {
        NewEvent::new("member.created", "org_1", "org_1/usr_1", serde_json::json!({"a": 1}))
    }

    #[test]
    fn postgres_records_an_event_in_one_statement_and_sqlite_in_two() {
        let pg = statements(DbBackend::Postgres, sample(), Utc::now());
        assert_eq!(pg.len(), 1);
        let sql = pg[0].to_string(PostgresQueryBuilder);
        assert!(sql.starts_with(r#"WITH "bumped" AS (INSERT INTO "event_versions""#), "{sql}");
        assert!(sql.contains(r#"RETURNING "version") INSERT INTO "events""#), "{sql}");
        assert!(sql.contains(r#"pg_current_xact_id()::text::bigint FROM "bumped""#), "{sql}");
        let lite = statements(DbBackend::Sqlite, sample(), Utc::now());
        assert_eq!(lite.len(), 2);
        let sql = lite[1].to_string(SqliteQueryBuilder);
        assert!(!sql.contains(r#""seq""#), "SQLite numbers the row itself: {sql}");
    }
}
