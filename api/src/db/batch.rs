//! Group commit for independent inserts (SCIM creates under load).
//!
//! Each job is a list of INSERTs that must land together or not at all.
//! Jobs that arrive while a batch is being written wait for the next one;
//! a batch is one transaction with a savepoint per job, so a job that fails
//! (a unique clash) is rolled back alone and the others commit. The commit —
//! the expensive part — is shared by the whole batch.
//!
//! On an SQLite file the writer is a thread of its own with its own
//! connection (rusqlite, the same SQLite library sqlx links): a batch is
//! written with direct calls, where sqlx would hand every statement and every
//! result row between threads. Elsewhere (PostgreSQL, in-memory SQLite) the
//! batch goes through sea-orm.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sea_orm::sea_query::{InsertStatement, SqliteQueryBuilder};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, SqlErr};
use tokio::sync::{Mutex, mpsc, oneshot};

/// Most jobs written in one transaction.
pub const MAX_BATCH: usize = 64;

/// Why a job was not written (nothing of it was).
#[derive(Debug)]
pub enum BatchError {
    /// A unique index refused one of its rows.
    Unique,
    Db(DbErr),
}

impl BatchError {
    fn from_db(e: DbErr) -> Self {
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Self::Unique,
            _ => Self::Db(e),
        }
    }

    fn from_sqlite(e: &rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::ConstraintViolation)
                if matches!(
                    e.sqlite_error().map(|f| f.extended_code),
                    Some(rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
                ) =>
            {
                Self::Unique
            }
            _ => Self::Db(DbErr::Custom(format!("batch write failed: {e}"))),
        }
    }

    /// The problem to answer: `conflict()` for a unique clash, else a server error.
    pub fn into_app_error(self, conflict: impl FnOnce() -> crate::error::AppError) -> crate::error::AppError {
        match self {
            Self::Unique => conflict(),
            Self::Db(e) => e.into(),
        }
    }
}

type Outcome = Result<(), BatchError>;

/// A job's inserts: as sea-query statements, or — for the writer thread —
/// already turned into SQL and values by the caller, so the one thread
/// every write waits for only runs SQLite.
enum Work {
    Statements(Vec<InsertStatement>),
    Built(Vec<direct::Built>),
}

struct Job {
    work: Work,
    reply: oneshot::Sender<Outcome>,
}

#[derive(Clone)]
pub struct Batcher {
    tx: mpsc::Sender<Job>,
    /// The writer is the SQLite thread (it takes `Work::Built`).
    direct: bool,
}

impl Batcher {
    /// Starts the writer: a thread of its own when `sqlite_file` names the
    /// database file, else a task on the current runtime. Writers share
    /// `gate`, the process's SQLite write gate (see `begin_write`).
    pub fn start(db: DatabaseConnection, gate: Arc<Mutex<()>>, sqlite_file: Option<&Path>) -> anyhow::Result<Self> {
        let (tx, rx) = mpsc::channel::<Job>(MAX_BATCH * 4);
        let direct = sqlite_file.is_some();
        match sqlite_file {
            Some(path) => direct::start(path, gate, rx)?,
            None => {
                tokio::spawn(async move {
                    let mut rx = rx;
                    while let Some(jobs) = next_batch(rx.recv().await, &mut rx) {
                        let results = write(&db, &gate, &jobs).await;
                        reply(jobs, results);
                    }
                });
            }
        }
        Ok(Self { tx, direct })
    }

    /// Writes the statements together with the current batch; `Err` means
    /// none of them were written.
    pub async fn insert(&self, stmts: Vec<InsertStatement>) -> Outcome {
        let stopped = || BatchError::Db(DbErr::Custom("write batcher stopped".to_owned()));
        let work = if self.direct {
            Work::Built(
                stmts
                    .iter()
                    .map(direct::build)
                    .collect::<rusqlite::Result<_>>()
                    .map_err(|e| BatchError::Db(DbErr::Custom(format!("batch write failed: {e}"))))?,
            )
        } else {
            Work::Statements(stmts)
        };
        let (reply, answer) = oneshot::channel();
        self.tx.send(Job { work, reply }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// The file of an SQLite database URL, when it is one (not in memory).
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    use std::str::FromStr;
    if !url.starts_with("sqlite:") {
        return None;
    }
    let opts = sea_orm::sqlx::sqlite::SqliteConnectOptions::from_str(url).ok()?;
    let path = opts.get_filename();
    path.is_file().then(|| path.to_path_buf())
}

/// The first job and whatever else is already waiting, up to `MAX_BATCH`.
fn next_batch(first: Option<Job>, rx: &mut mpsc::Receiver<Job>) -> Option<Vec<Job>> {
    let mut jobs = vec![first?];
    while jobs.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(job) => jobs.push(job),
            Err(_) => break,
        }
    }
    Some(jobs)
}

fn reply(jobs: Vec<Job>, results: Vec<Outcome>) {
    for (job, result) in jobs.into_iter().zip(results) {
        let _ = job.reply.send(result);
    }
}

/// Every job failed the same way.
fn all_failed(n: usize, why: &str) -> Vec<Outcome> {
    (0..n).map(|_| Err(BatchError::Db(DbErr::Custom(why.to_owned())))).collect()
}

pub mod direct {
    //! The writer thread on an SQLite file.

    use super::*;
    use rusqlite::types::Value as Sql;
    use rusqlite::{Connection, OpenFlags, TransactionBehavior};
    use sea_orm::sea_query::Value;

    /// An insert's SQL and its values, as SQLite takes them.
    pub(super) type Built = (String, Vec<Sql>);

    pub(super) fn build(stmt: &InsertStatement) -> rusqlite::Result<Built> {
        let (sql, values) = stmt.build(SqliteQueryBuilder);
        Ok((sql, values.into_iter().map(sql_value).collect::<rusqlite::Result<Vec<Sql>>>()?))
    }

    /// How often the checkpointer moves the write-ahead log into the
    /// database file.
    const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

    pub(super) fn start(path: &Path, gate: Arc<Mutex<()>>, mut rx: mpsc::Receiver<Job>) -> anyhow::Result<()> {
        let mut conn = open(path)?;
        // Checkpoints (copying the log into the file, and its fsync) run on
        // a thread of their own, not inside the commit every writer waits
        // for. PASSIVE: never waits for a reader or a writer. The writer
        // still checkpoints itself should the log pass 100,000 pages
        // (400 MB; the checkpointer failing): the log never grows unbounded.
        conn.pragma_update(None, "wal_autocheckpoint", 100_000)?;
        conn.pragma_update(None, "cache_size", -16_384)?;
        let checkpointer = open(path)?;
        // Stops when the writer does (it drops `running`).
        let (running, stopped) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new().name("sqlite-checkpoint".to_owned()).spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_EVERY) {
                if let Err(e) = checkpointer.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!(error = %e, "checkpointing the SQLite log failed; trying again");
                }
            }
        })?;
        std::thread::Builder::new().name("sqlite-batch-writer".to_owned()).spawn(move || {
            while let Some(jobs) = next_batch(rx.blocking_recv(), &mut rx) {
                let results = {
                    let _gate = gate.blocking_lock();
                    write(&mut conn, &jobs)
                };
                reply(jobs, results);
            }
            drop(running);
        })?;
        Ok(())
    }

    /// A connection with the pool's settings (`db::connect`), plus
    /// statement journals in memory.
    pub fn open(path: &Path) -> rusqlite::Result<Connection> {
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // A job's savepoint keeps the pages it changes in a statement
        // journal: in memory, not a temporary file (half the writes).
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        Ok(conn)
    }

    pub(super) fn write(conn: &mut Connection, jobs: &[Job]) -> Vec<Outcome> {
        let mut txn = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(t) => t,
            Err(e) => return all_failed(jobs.len(), &format!("batch transaction failed: {e}")),
        };
        let mut results = Vec::with_capacity(jobs.len());
        for job in jobs {
            let outcome = txn.savepoint().and_then(|mut sp| {
                match &job.work {
                    Work::Built(built) => built.iter().try_for_each(|b| run(&sp, b))?,
                    Work::Statements(stmts) => stmts.iter().try_for_each(|s| run(&sp, &build(s)?))?,
                }
                sp.set_drop_behavior(rusqlite::DropBehavior::Commit);
                Ok(())
            });
            results.push(outcome.map_err(|e| BatchError::from_sqlite(&e)));
        }
        match txn.commit() {
            Ok(()) => results,
            Err(e) => all_failed(jobs.len(), &format!("batch commit failed: {e}")),
        }
    }

    fn run(conn: &Connection, (sql, params): &Built) -> rusqlite::Result<()> {
        conn.prepare_cached(sql)?.execute(rusqlite::params_from_iter(params))?;
        Ok(())
    }

    /// A value stored exactly as sqlx stores it (sea-query-sqlx's binding):
    /// booleans and integers as INTEGER, times as RFC 3339 TEXT, JSON as TEXT.
    fn sql_value(v: Value) -> rusqlite::Result<Sql> {
        use chrono::SecondsFormat::AutoSi;
        fn or_null<T>(v: Option<T>, f: impl FnOnce(T) -> Sql) -> Sql {
            v.map_or(Sql::Null, f)
        }
        Ok(match v {
            Value::Bool(b) => or_null(b, |b| Sql::Integer(b.into())),
            Value::TinyInt(i) => or_null(i, |i| Sql::Integer(i.into())),
            Value::SmallInt(i) => or_null(i, |i| Sql::Integer(i.into())),
            Value::Int(i) => or_null(i, |i| Sql::Integer(i.into())),
            Value::BigInt(i) => or_null(i, Sql::Integer),
            Value::Double(d) => or_null(d, Sql::Real),
            Value::String(s) => or_null(s, Sql::Text),
            Value::Bytes(b) => or_null(b, Sql::Blob),
            Value::Json(j) => or_null(j, |j| Sql::Text(j.to_string())),
            Value::ChronoDateTimeUtc(t) => or_null(t, |t| Sql::Text(t.to_rfc3339_opts(AutoSi, false))),
            other => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    format!("the batch writer does not store {other:?}").into(),
                ));
            }
        })
    }
}

/// How a batch written without savepoints ended.
enum Straight {
    Committed,
    /// A statement failed: nothing was written.
    Refused(DbErr),
    /// The transaction could not start or commit.
    Broken(String),
}

/// PostgreSQL: every job's statements in one transaction with no savepoint
/// (each costs a round trip): when one is refused, nothing is written and
/// the batch goes again, a savepoint per job.
async fn write_straight(db: &DatabaseConnection, gate: &Arc<Mutex<()>>, jobs: &[Job]) -> Straight {
    let txn = match super::begin_write(db, gate).await {
        Ok(t) => t,
        Err(e) => return Straight::Broken(e.to_string()),
    };
    for job in jobs {
        let Work::Statements(stmts) = &job.work else {
            return Straight::Broken("a built job reached the sea-orm writer".to_owned());
        };
        for s in stmts {
            if let Err(e) = txn.execute(s).await {
                let _ = txn.rollback().await;
                return Straight::Refused(e);
            }
        }
    }
    match txn.commit().await {
        Ok(()) => Straight::Committed,
        Err(e) => Straight::Broken(format!("batch commit failed: {e}")),
    }
}

async fn write(db: &DatabaseConnection, gate: &Arc<Mutex<()>>, jobs: &[Job]) -> Vec<Outcome> {
    if db.get_database_backend() == DbBackend::Postgres {
        match write_straight(db, gate, jobs).await {
            Straight::Committed => return jobs.iter().map(|_| Ok(())).collect(),
            Straight::Refused(e) if jobs.len() == 1 => return vec![Err(BatchError::from_db(e))],
            Straight::Refused(_) => {} // which one? Each in a savepoint, below.
            Straight::Broken(why) => return all_failed(jobs.len(), &why),
        }
    }
    let txn = match super::begin_write(db, gate).await {
        Ok(t) => t,
        Err(e) => return all_failed(jobs.len(), &e.to_string()),
    };
    let backend = txn.get_database_backend();
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs {
        let Work::Statements(stmts) = &job.work else {
            results.push(Err(BatchError::Db(DbErr::Custom("a built job reached the sea-orm writer".to_owned()))));
            continue;
        };
        let outcome = if backend == DbBackend::Sqlite {
            txn.execute_raw(super::sqlite_script(stmts, "SAVEPOINT job;\n", "RELEASE job;")).await.map(|_| ())
        } else {
            async {
                txn.execute_unprepared("SAVEPOINT job").await?;
                for s in stmts {
                    txn.execute(s).await?;
                }
                txn.execute_unprepared("RELEASE SAVEPOINT job").await?;
                Ok(())
            }
            .await
        };
        if outcome.is_err() && txn.execute_unprepared("ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job").await.is_err()
        {
            // The transaction is unusable: nothing of this batch is written.
            return all_failed(jobs.len(), "batch transaction failed");
        }
        results.push(outcome.map_err(BatchError::from_db));
    }
    match txn.commit().await {
        Ok(()) => results,
        Err(e) => all_failed(jobs.len(), &format!("batch commit failed: {e}")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use sea_orm::sea_query::{Alias, Query};
    use sea_orm::{ConnectOptions, Database, Statement};

    use super::*;

    fn insert(id: &str) -> InsertStatement {
        Query::insert().into_table(Alias::new("t")).columns([Alias::new("id")]).values_panic([id.into()]).to_owned()
    }

    async fn ids(db: &DatabaseConnection) -> Vec<String> {
        let rows =
            db.query_all_raw(Statement::from_string(DbBackend::Sqlite, "SELECT id FROM t ORDER BY id")).await.unwrap();
        rows.iter().map(|r| r.try_get::<String>("", "id").unwrap()).collect()
    }

    fn job(stmts: Vec<InsertStatement>) -> Job {
        Job { work: Work::Statements(stmts), reply: oneshot::channel().0 }
    }

    fn clean() -> [Job; 2] {
        [job(vec![insert("a")]), job(vec![insert("b"), insert("c")])]
    }

    /// Job 2 clashes with "a" after inserting "e".
    fn mixed() -> [Job; 3] {
        [job(vec![insert("d")]), job(vec![insert("e"), insert("a")]), job(vec![insert("f")])]
    }

    fn only_the_clash_failed(results: &[Outcome]) {
        assert!(
            results[0].is_ok() && matches!(results[1], Err(BatchError::Unique)) && results[2].is_ok(),
            "{results:?}"
        );
    }

    /// Through sea-orm (PostgreSQL, in-memory SQLite): a savepoint per job,
    /// so the clashing job (all of its statements) is refused and the others
    /// are written.
    #[tokio::test]
    async fn a_clash_in_a_batch_fails_only_its_own_job() {
        let mut opts = ConnectOptions::new("sqlite::memory:");
        opts.max_connections(1).sqlx_logging(false);
        let db = Database::connect(opts).await.unwrap();
        db.execute_unprepared("CREATE TABLE t (id TEXT PRIMARY KEY)").await.unwrap();
        let gate = Arc::new(Mutex::new(()));

        assert!(write(&db, &gate, &clean()).await.iter().all(Result::is_ok));
        assert_eq!(ids(&db).await, ["a", "b", "c"]);
        only_the_clash_failed(&write(&db, &gate, &mixed()).await);
        assert_eq!(ids(&db).await, ["a", "b", "c", "d", "f"], "job 2's first insert is rolled back with it");
    }

    /// The writer thread on an SQLite file: the same outcome.
    #[tokio::test]
    async fn the_writer_thread_fails_only_a_clashing_job() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let db = Database::connect(format!("sqlite://{}?mode=rwc", path.display())).await.unwrap();
        db.execute_unprepared("CREATE TABLE t (id TEXT PRIMARY KEY)").await.unwrap();
        let mut conn = direct::open(&path).unwrap();

        assert!(direct::write(&mut conn, &clean()).iter().all(Result::is_ok));
        only_the_clash_failed(&direct::write(&mut conn, &mixed()));
        assert_eq!(ids(&db).await, ["a", "b", "c", "d", "f"], "job 2's first insert is rolled back with it");
    }

    /// What the writer thread stores reads back through sea-orm exactly as a
    /// row sea-orm wrote itself: same SQLite types, same text for times and
    /// JSON, NULL for None.
    #[tokio::test]
    async fn the_writer_thread_stores_values_as_sqlx_does() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let db = Database::connect(&url).await.unwrap();
        db.execute_unprepared(
            "CREATE TABLE v (id TEXT PRIMARY KEY, flag BOOLEAN, n INTEGER, big BIGINT, at TEXT, doc TEXT, none TEXT)",
        )
        .await
        .unwrap();
        assert_eq!(sqlite_file(&url).as_deref(), Some(path.as_path()));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://localhost/db"), None);
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-29T07:45:12.123456789Z").unwrap().to_utc();
        let row = |id: &str| {
            let columns = ["id", "flag", "n", "big", "at", "doc", "none"].map(Alias::new);
            Query::insert()
                .into_table(Alias::new("v"))
                .columns(columns)
                .values_panic([
                    id.into(),
                    true.into(),
                    42i32.into(),
                    (1i64 << 40).into(),
                    at.into(),
                    serde_json::json!({ "a": [1, "é"], "b": null }).into(),
                    Option::<String>::None.into(),
                ])
                .to_owned()
        };
        db.execute(&row("by-sqlx")).await.unwrap();
        let batcher = Batcher::start(db.clone(), Arc::new(Mutex::new(())), Some(&path)).unwrap();
        batcher.insert(vec![row("by-writer")]).await.unwrap();

        let stored = |id: &'static str| {
            let db = db.clone();
            async move {
                let sql = "SELECT typeof(flag) || quote(flag) || typeof(n) || quote(n) || typeof(big) || quote(big) \
                           || typeof(at) || quote(at) || typeof(doc) || quote(doc) || typeof(none) AS s FROM v WHERE id = ?";
                let row = db
                    .query_one_raw(Statement::from_sql_and_values(DbBackend::Sqlite, sql, [id.into()]))
                    .await
                    .unwrap()
                    .unwrap();
                row.try_get::<String>("", "s").unwrap()
            }
        };
        let (by_sqlx, by_writer) = (stored("by-sqlx").await, stored("by-writer").await);
        assert!(by_sqlx.contains("2026-11-29T07:45:12.123456789+00:00"), "{by_sqlx}");
        assert_eq!(by_writer, by_sqlx);
    }
}
