//! Remember a feature's status while it is revoked, so turning it back on
//! restores it without reconfiguring the identity provider.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0004_feature_previous_status"
    }
}

#[derive(DeriveIden)]
enum OrganizationFeatures {
    Table,
    PreviousStatus,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(OrganizationFeatures::Table)
                .add_column(string_null(OrganizationFeatures::PreviousStatus))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(OrganizationFeatures::Table)
                .drop_column(OrganizationFeatures::PreviousStatus)
                .to_owned(),
        )
        .await
    }
}
