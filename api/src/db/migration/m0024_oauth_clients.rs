//! The applications of the SaaS that sign members in through Gatehouse, the
//! OpenID Provider (`oauth_clients`): registered by the operator with
//! `gatehouse clients add` (`source = command`) or `[[clients]]` in the
//! configuration file (`source = config`, kept in step at every start).
//! A confidential client's secret is stored as its SHA-256 (it is 256
//! random bits); a public client has none and must use PKCE.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0024_oauth_clients"
    }
}

#[derive(DeriveIden)]
enum OauthClients {
    Table,
    Id,
    Name,
    SecretHash,
    RedirectUris,
    PostLogoutRedirectUris,
    BackchannelLogoutUri,
    InitiateLoginUri,
    Source,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(OauthClients::Table)
                .col(string(OauthClients::Id).primary_key())
                .col(string(OauthClients::Name))
                .col(string_null(OauthClients::SecretHash))
                .col(text(OauthClients::RedirectUris))
                .col(text(OauthClients::PostLogoutRedirectUris))
                .col(string_null(OauthClients::BackchannelLogoutUri))
                .col(string_null(OauthClients::InitiateLoginUri))
                .col(string(OauthClients::Source))
                .col(timestamp_with_time_zone(OauthClients::CreatedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(OauthClients::Table).to_owned()).await
    }
}
