//! Fewer pages written per event (issue 20: the outbox must cost a SCIM
//! create under 10 %). Every B-tree an event touches is a page written at
//! commit; m0029 had seven per event, this leaves four on SQLite.
//!
//! - SQLite: `seq` becomes the table's own key (`INTEGER PRIMARY KEY`, the
//!   rowid: the next number is the largest plus one, and pruning always
//!   keeps the newest), so the `(seq, id)` index goes; the organization
//!   index needs no `id` (`seq` is unique); `event_versions` is a
//!   `WITHOUT ROWID` table (one B-tree, not a table and its key's index).
//! - Both: `ix_events_occurred` goes; pruning walks `seq` order instead.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0030_lean_events"
    }
}

const COLUMNS: &str = "seq, id, type, occurred_at, organization_id, object_id, version, source, data";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction, so one connection (SQLite too): the tables are
    /// rebuilt whole or not at all, and no other pooled connection works
    /// from the schema as it was.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if db.get_database_backend() != DbBackend::Sqlite {
            db.execute_unprepared("DROP INDEX IF EXISTS ix_events_occurred").await?;
            return Ok(());
        }
        // Kept aside, created again, put back (as m0022 does).
        db.execute_unprepared(&format!("CREATE TABLE events_before_m0030 AS SELECT {COLUMNS} FROM events")).await?;
        db.execute_unprepared("DROP TABLE events").await?;
        db.execute_unprepared(
            "CREATE TABLE events (\"seq\" integer PRIMARY KEY, \"id\" varchar NOT NULL UNIQUE, \
             \"type\" varchar NOT NULL, \"occurred_at\" timestamp_with_timezone_text NOT NULL, \
             \"organization_id\" varchar NULL, \"object_id\" varchar NOT NULL, \"version\" integer NOT NULL, \
             \"source\" varchar NULL, \"data\" text NOT NULL)",
        )
        .await?;
        db.execute_unprepared(&format!("INSERT INTO events ({COLUMNS}) SELECT {COLUMNS} FROM events_before_m0030"))
            .await?;
        db.execute_unprepared("DROP TABLE events_before_m0030").await?;
        db.execute_unprepared("CREATE INDEX ix_events_org_seq ON events (organization_id, seq)").await?;
        db.execute_unprepared(
            "CREATE TABLE event_versions_before_m0030 AS SELECT object_id, version FROM event_versions",
        )
        .await?;
        db.execute_unprepared("DROP TABLE event_versions").await?;
        db.execute_unprepared(
            "CREATE TABLE event_versions (\"object_id\" varchar NOT NULL PRIMARY KEY, \"version\" integer NOT NULL) \
             WITHOUT ROWID",
        )
        .await?;
        db.execute_unprepared("INSERT INTO event_versions SELECT object_id, version FROM event_versions_before_m0030")
            .await?;
        db.execute_unprepared("DROP TABLE event_versions_before_m0030").await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // The old indexes back; the SQLite tables keep their new shape (the
        // rows and every query are the same).
        let db = m.get_connection();
        db.execute_unprepared("CREATE INDEX IF NOT EXISTS ix_events_occurred ON events (occurred_at)").await?;
        if db.get_database_backend() == DbBackend::Sqlite {
            db.execute_unprepared("CREATE INDEX IF NOT EXISTS ix_events_seq ON events (seq, id)").await?;
        }
        Ok(())
    }
}
