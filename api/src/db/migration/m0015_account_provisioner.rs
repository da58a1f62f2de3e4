//! Which organization's directory or SSO created an account
//! (`users.provisioned_by`, NULL for accounts made by sign-up or an invite):
//! such an account, without a password and without any other membership,
//! belongs to that organization's identity provider — it may be linked again
//! after the directory deleted it, and the directory's DELETE removes its
//! membership; a member the directory only took over is detached instead.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0015_account_provisioner"
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    ProvisionedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Users::Table).add_column(string_null(Users::ProvisionedBy)).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Users::Table).drop_column(Users::ProvisionedBy).to_owned()).await
    }
}
