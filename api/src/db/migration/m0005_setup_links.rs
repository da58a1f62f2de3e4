//! Setup links: each issued link's `jti`, so one can be revoked before it expires.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0005_setup_links"
    }
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum SetupLinks {
    Table,
    Id,
    OrganizationId,
    Kind,
    CreatedBy,
    ExpiresAt,
    RevokedAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SetupLinks::Table)
                .col(string(SetupLinks::Id).primary_key())
                .col(string(SetupLinks::OrganizationId))
                .col(string(SetupLinks::Kind))
                .col(string(SetupLinks::CreatedBy))
                .col(timestamp_with_time_zone(SetupLinks::ExpiresAt))
                .col(timestamp_with_time_zone_null(SetupLinks::RevokedAt))
                .col(timestamp_with_time_zone(SetupLinks::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_setup_links_organization")
                        .from(SetupLinks::Table, SetupLinks::OrganizationId)
                        .to(Organizations::Table, Organizations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_setup_links_org_kind")
                .table(SetupLinks::Table)
                .col(SetupLinks::OrganizationId)
                .col(SetupLinks::Kind)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SetupLinks::Table).to_owned()).await
    }
}
