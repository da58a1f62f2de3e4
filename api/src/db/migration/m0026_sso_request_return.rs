//! Where a member's SSO sign-in continues (`sso_requests.return_to`): an
//! application's authorization request (`/oauth2/authorize?…`) that sent
//! the member to sign in; `None`: the home page.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0026_sso_request_return"
    }
}

#[derive(DeriveIden)]
enum SsoRequests {
    Table,
    ReturnTo,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(SsoRequests::Table).add_column(text_null(SsoRequests::ReturnTo)).to_owned())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(SsoRequests::Table).drop_column(SsoRequests::ReturnTo).to_owned()).await
    }
}
