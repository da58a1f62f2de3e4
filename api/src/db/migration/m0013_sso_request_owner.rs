//! Pending SSO sign-ins: the account whose session started one (`user_id`,
//! so a first SSO sign-in may link an account that proved itself), and an
//! index on `expires_at` so expired ones are purged without a table scan.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0013_sso_request_owner"
    }
}

#[derive(DeriveIden)]
enum SsoRequests {
    Table,
    UserId,
    ExpiresAt,
}

const EXPIRES: &str = "ix_sso_requests_expires_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(SsoRequests::Table).add_column(string_null(SsoRequests::UserId)).to_owned())
            .await?;
        m.create_index(Index::create().name(EXPIRES).table(SsoRequests::Table).col(SsoRequests::ExpiresAt).to_owned())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name(EXPIRES).table(SsoRequests::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(SsoRequests::Table).drop_column(SsoRequests::UserId).to_owned()).await
    }
}
