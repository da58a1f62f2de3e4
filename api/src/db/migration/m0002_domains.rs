//! Claimed email domains and the organization's Provision Default Plan.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0002_domains"
    }
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    DefaultPlanId,
}

#[derive(DeriveIden)]
enum Domains {
    Table,
    Id,
    OrganizationId,
    Domain,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table(Organizations::Table).add_column(string_null(Organizations::DefaultPlanId)).to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Domains::Table)
                .col(string(Domains::Id).primary_key())
                .col(string(Domains::OrganizationId))
                // One organization per domain, across the whole deployment.
                .col(string(Domains::Domain).unique_key())
                .col(timestamp_with_time_zone(Domains::CreatedAt))
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
        m.create_index(
            Index::create()
                .name("ix_domains_organization")
                .table(Domains::Table)
                .col(Domains::OrganizationId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Domains::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(Organizations::Table).drop_column(Organizations::DefaultPlanId).to_owned())
            .await
    }
}
