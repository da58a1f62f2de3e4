//! The database connection: embedded SQLite by default, PostgreSQL when the
//! URL says so. Migrations run before the server accepts requests.

pub mod batch;
pub mod migration;
mod scoped;

pub use scoped::OrganizationScoped;

use std::time::Duration;

use anyhow::Context;
use sea_orm::sea_query::InsertStatement;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use sea_orm::{ExecResult, QueryResult};
use sea_orm_migration::MigratorTrait;
use sea_orm_migration::async_trait;
use std::sync::Arc;
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::config::Settings;

pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let url = settings.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating data dir {}", settings.data_dir.display()))?;
    }
    let mut opts = ConnectOptions::new(url);
    opts.max_connections(settings.db_max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        // WAL with synchronous=NORMAL: commits survive a crash of the process
        // (the log is in the OS's hands); only a power loss can take back the
        // last commits, never corrupt the file. FULL would fsync every commit.
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
        });
    let db = Database::connect(opts).await.context("connecting to the database")?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL lets readers proceed while one writer commits; it is a property
        // of the file, so setting it once per start is enough.
        db.execute_unprepared("PRAGMA journal_mode=WAL").await.context("enabling WAL")?;
    }
    migration::Migrator::up(&db, None).await.context("running migrations")?;
    Ok(db)
}

/// A transaction that will write. On SQLite it holds the process's write
/// gate and took the database's write lock at `BEGIN` (`IMMEDIATE`):
/// - a deferred transaction that reads first and then writes fails with
///   "database is locked" when another writer commits in between;
/// - writers waiting inside SQLite poll with sleeps of 1 ms and more, where
///   waiters on the gate are woken the moment it is released.
///
/// PostgreSQL needs neither: it gets a plain transaction.
pub struct WriteTxn {
    txn: DatabaseTransaction,
    _gate: Option<OwnedMutexGuard<()>>,
}

impl WriteTxn {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

impl std::ops::Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }
    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }
    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }
    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }
    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

pub async fn begin_write(db: &DatabaseConnection, gate: &Arc<Mutex<()>>) -> Result<WriteTxn, DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(WriteTxn { txn: db.begin().await?, _gate: None });
    }
    let guard = gate.clone().lock_owned().await;
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await?;
    Ok(WriteTxn { txn, _gate: Some(guard) })
}

/// Runs insert statements in order inside `txn`. On SQLite they go to the
/// connection as one multi-statement query (one round trip to its worker
/// thread instead of one each), which matters while the write lock is held.
pub async fn insert_all(txn: &DatabaseTransaction, stmts: &[InsertStatement]) -> Result<(), DbErr> {
    let backend = txn.get_database_backend();
    if backend != DbBackend::Sqlite {
        for s in stmts {
            txn.execute(s).await?;
        }
        return Ok(());
    }
    txn.execute_raw(sqlite_script(stmts, "", "")).await?;
    Ok(())
}

/// SQLite: the statements as one script between `before` and `after`, their
/// `?` parameters bound in order.
pub fn sqlite_script(stmts: &[InsertStatement], before: &str, after: &str) -> Statement {
    let backend = DbBackend::Sqlite;
    let mut sql = String::from(before);
    let mut values = Vec::new();
    for s in stmts {
        let built = backend.build(s);
        sql.push_str(&built.sql);
        sql.push_str(";\n");
        values.extend(built.values.map(|v| v.0).unwrap_or_default());
    }
    sql.push_str(after);
    Statement::from_sql_and_values(backend, sql, values)
}

/// `GET /ready`: can we reach the database right now?
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}
