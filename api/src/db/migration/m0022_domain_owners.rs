//! A domain may be claimed by several organizations while none has proven
//! it; a verified domain has exactly one owner. The column-level UNIQUE on
//! `domains.domain` gives way to a unique index over verified rows only
//! (PostgreSQL drops the constraint; SQLite, which cannot, rebuilds the
//! table), plus a plain index for lookups by domain.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0022_domain_owners"
    }
}

#[derive(DeriveIden)]
enum Domains {
    Table,
    Id,
    OrganizationId,
    Domain,
    CreatedAt,
    VerificationToken,
    VerificationState,
    VerificationReason,
    CheckedAt,
    VerifiedAt,
    RecordSeenAt,
    NextCheckAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

const COLUMNS: &str = "id, organization_id, domain, created_at, verification_token, verification_state, \
     verification_reason, checked_at, verified_at, record_seen_at, next_check_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on one connection on SQLite too: the rebuild is all
    /// or nothing, and no statement runs on a pooled connection that has not
    /// seen the one before it.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if db.get_database_backend() == DbBackend::Sqlite {
            // SQLite cannot drop a column constraint: keep the rows aside,
            // create the table again without it, put them back.
            db.execute_unprepared(&format!("CREATE TABLE domains_before_m0022 AS SELECT {COLUMNS} FROM domains"))
                .await?;
            db.execute_unprepared("DROP TABLE domains").await?;
            m.create_table(
                Table::create()
                    .table(Domains::Table)
                    .col(string(Domains::Id).primary_key())
                    .col(string(Domains::OrganizationId))
                    .col(string(Domains::Domain))
                    .col(timestamp_with_time_zone(Domains::CreatedAt))
                    .col(string_null(Domains::VerificationToken))
                    .col(string(Domains::VerificationState).default("pending"))
                    .col(string_null(Domains::VerificationReason))
                    .col(timestamp_with_time_zone_null(Domains::CheckedAt))
                    .col(timestamp_with_time_zone_null(Domains::VerifiedAt))
                    .col(timestamp_with_time_zone_null(Domains::RecordSeenAt))
                    .col(timestamp_with_time_zone_null(Domains::NextCheckAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_domains_organization")
                            .from(Domains::Table, Domains::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
            db.execute_unprepared(&format!(
                "INSERT INTO domains ({COLUMNS}) SELECT {COLUMNS} FROM domains_before_m0022"
            ))
            .await?;
            db.execute_unprepared("DROP TABLE domains_before_m0022").await?;
            m.create_index(
                Index::create()
                    .name("ix_domains_organization")
                    .table(Domains::Table)
                    .col(Domains::OrganizationId)
                    .to_owned(),
            )
            .await?;
            m.create_index(
                Index::create()
                    .name("ix_domains_next_check_at")
                    .table(Domains::Table)
                    .col(Domains::NextCheckAt)
                    .to_owned(),
            )
            .await?;
        } else {
            db.execute_unprepared("ALTER TABLE domains DROP CONSTRAINT IF EXISTS domains_domain_key").await?;
        }
        m.create_index(Index::create().name("ix_domains_domain").table(Domains::Table).col(Domains::Domain).to_owned())
            .await?;
        // One owner per verified domain (a partial index: both databases have them).
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_domains_verified ON domains (domain) WHERE verification_state = 'verified'",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS ux_domains_verified").await?;
        m.drop_index(Index::drop().name("ix_domains_domain").table(Domains::Table).to_owned()).await?;
        Ok(())
    }
}
