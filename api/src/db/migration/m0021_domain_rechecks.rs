//! When a domain is next re-checked in the background (`next_check_at`):
//! pending domains with backoff, verified ones daily. Processes claim a due
//! domain with a conditional update of this column, so with several server
//! processes on one database each check runs once.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0021_domain_rechecks"
    }
}

#[derive(DeriveIden)]
enum Domains {
    Table,
    NextCheckAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Domains::Table)
                .add_column(timestamp_with_time_zone_null(Domains::NextCheckAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_domains_next_check_at").table(Domains::Table).col(Domains::NextCheckAt).to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_domains_next_check_at").table(Domains::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(Domains::Table).drop_column(Domains::NextCheckAt).to_owned()).await
    }
}
