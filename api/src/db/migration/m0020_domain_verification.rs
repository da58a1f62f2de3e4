//! Domains are proven with a DNS TXT record: each claimed domain gets a
//! random token (`verification_token`), a state (`pending`, `verified`,
//! `failed`, `unverified`), when it was last checked and what that found,
//! and when the record was last seen (the grace period of a verified domain
//! whose record disappears counts from there). Existing claims start pending.

use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0020_domain_verification"
    }
}

#[derive(DeriveIden)]
enum Domains {
    Table,
    VerificationToken,
    VerificationState,
    VerificationReason,
    CheckedAt,
    VerifiedAt,
    RecordSeenAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            string_null(Domains::VerificationToken),
            string(Domains::VerificationState).default("pending").to_owned(),
            string_null(Domains::VerificationReason),
            timestamp_with_time_zone_null(Domains::CheckedAt),
            timestamp_with_time_zone_null(Domains::VerifiedAt),
            timestamp_with_time_zone_null(Domains::RecordSeenAt),
        ] {
            m.alter_table(Table::alter().table(Domains::Table).add_column(col).to_owned()).await?;
        }
        // Claims made before get their token now (random, one per domain).
        let db = m.get_connection();
        let rows =
            db.query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT id FROM domains")).await?;
        for row in rows {
            let id: String = row.try_get("", "id")?;
            let token = crate::auth::tokens::random_token();
            let sql = match db.get_database_backend() {
                sea_orm::DbBackend::Postgres => "UPDATE domains SET verification_token = $1 WHERE id = $2",
                _ => "UPDATE domains SET verification_token = ? WHERE id = ?",
            };
            db.execute_raw(Statement::from_sql_and_values(db.get_database_backend(), sql, [token.into(), id.into()]))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            Domains::VerificationToken,
            Domains::VerificationState,
            Domains::VerificationReason,
            Domains::CheckedAt,
            Domains::VerifiedAt,
            Domains::RecordSeenAt,
        ] {
            m.alter_table(Table::alter().table(Domains::Table).drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
