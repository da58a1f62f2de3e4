//! Integration errors: the reason a feature's status is `error`, and the
//! SCIM tokens an organization replaced, so a directory still sending one
//! can be told apart from a stranger's guess.

use sea_orm_migration::{prelude::*, schema::*};

use super::cascade;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0009_integration_errors"
    }
}

#[derive(DeriveIden)]
enum OrganizationFeatures {
    Table,
    StatusReason,
}

#[derive(DeriveIden)]
enum ScimReplacedTokens {
    Table,
    TokenHash,
    OrganizationId,
    ReplacedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(OrganizationFeatures::Table)
                .add_column(string_null(OrganizationFeatures::StatusReason))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ScimReplacedTokens::Table)
                .col(string(ScimReplacedTokens::TokenHash).primary_key())
                .col(string(ScimReplacedTokens::OrganizationId))
                .col(timestamp_with_time_zone(ScimReplacedTokens::ReplacedAt))
                .foreign_key(&mut cascade(
                    "fk_scim_replaced_tokens_organization",
                    (ScimReplacedTokens::Table, ScimReplacedTokens::OrganizationId),
                    (Organizations::Table, Organizations::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_scim_replaced_tokens_org")
                .table(ScimReplacedTokens::Table)
                .col(ScimReplacedTokens::OrganizationId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ScimReplacedTokens::Table).to_owned()).await?;
        m.alter_table(
            Table::alter()
                .table(OrganizationFeatures::Table)
                .drop_column(OrganizationFeatures::StatusReason)
                .to_owned(),
        )
        .await
    }
}
