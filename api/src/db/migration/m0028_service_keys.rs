//! Operator-level service keys for server-to-server calls (issue 20):
//! `gatehouse keys create|list|revoke`. Only a keyed hash of each key is
//! stored (`v1.{kid}.{hmac}`), with its display prefix.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0028_service_keys"
    }
}

#[derive(DeriveIden)]
enum ServiceKeys {
    Table,
    Id,
    Name,
    Scope,
    Prefix,
    KeyHash,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ServiceKeys::Table)
                .col(string(ServiceKeys::Id).primary_key())
                .col(string(ServiceKeys::Name))
                .col(string(ServiceKeys::Scope))
                .col(string(ServiceKeys::Prefix))
                .col(string(ServiceKeys::KeyHash))
                .col(timestamp_with_time_zone(ServiceKeys::CreatedAt))
                .col(timestamp_with_time_zone_null(ServiceKeys::LastUsedAt))
                .col(timestamp_with_time_zone_null(ServiceKeys::RevokedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ServiceKeys::Table).to_owned()).await
    }
}
