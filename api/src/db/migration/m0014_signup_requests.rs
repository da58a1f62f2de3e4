//! Sign-ups waiting for their emailed confirmation (`signup_confirmation`),
//! indexed by expiry so expired ones are purged without a table scan.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0014_signup_requests"
    }
}

#[derive(DeriveIden)]
enum SignupRequests {
    Table,
    Id,
    TokenHash,
    Email,
    Name,
    OrganizationName,
    PasswordHash,
    ExpiresAt,
    CreatedAt,
}

const EXPIRES: &str = "ix_signup_requests_expires_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SignupRequests::Table)
                .col(string(SignupRequests::Id).primary_key())
                .col(string_uniq(SignupRequests::TokenHash))
                .col(string(SignupRequests::Email))
                .col(string(SignupRequests::Name))
                .col(string(SignupRequests::OrganizationName))
                .col(text(SignupRequests::PasswordHash))
                .col(timestamp_with_time_zone(SignupRequests::ExpiresAt))
                .col(timestamp_with_time_zone(SignupRequests::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name(EXPIRES).table(SignupRequests::Table).col(SignupRequests::ExpiresAt).to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SignupRequests::Table).to_owned()).await
    }
}
