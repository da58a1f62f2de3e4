//! A session opened by an organization's identity provider (SSO) is scoped
//! to that organization: the provider vouches for its own members only, so
//! such a session must not open another organization the same account
//! belongs to. Sessions opened with a password have no scope (NULL).

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0011_session_scope"
    }
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    OrganizationId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table(Sessions::Table).add_column(string_null(Sessions::OrganizationId)).to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Sessions::Table).drop_column(Sessions::OrganizationId).to_owned()).await
    }
}
