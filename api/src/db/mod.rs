//! The database connection: embedded SQLite by default, PostgreSQL when the
//! URL says so. Migrations run before the server accepts requests.

pub mod migration;

use std::time::Duration;

use anyhow::Context;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};
use sea_orm_migration::MigratorTrait;

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
        .sqlx_logging(false);
    let db = Database::connect(opts).await.context("connecting to the database")?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL lets readers proceed while one writer commits; it is a property
        // of the file, so setting it once per start is enough.
        db.execute_unprepared("PRAGMA journal_mode=WAL").await.context("enabling WAL")?;
    }
    migration::Migrator::up(&db, None).await.context("running migrations")?;
    Ok(db)
}

/// `GET /ready`: can we reach the database right now?
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}
