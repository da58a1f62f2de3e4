//! What the OpenID Provider hands out (issue 19): a grant per sign-in of a
//! member into an application (`oauth_grants`: client, member, organization,
//! the Gatehouse session it came from), its one-time authorization code
//! (`oauth_codes`, 60 s) and its rotating refresh tokens
//! (`oauth_refresh_tokens`). Codes and refresh tokens are stored as their
//! SHA-256; revoking the grant ends everything issued from it.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0025_oauth_grants"
    }
}

#[derive(DeriveIden)]
enum OauthGrants {
    Table,
    Id,
    ClientId,
    UserId,
    OrganizationId,
    SessionId,
    Scope,
    Nonce,
    AuthTime,
    SsoConnectionId,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum OauthCodes {
    Table,
    CodeHash,
    GrantId,
    RedirectUri,
    CodeChallenge,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum OauthRefreshTokens {
    Table,
    TokenHash,
    GrantId,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(OauthGrants::Table)
                .col(string(OauthGrants::Id).primary_key())
                .col(string(OauthGrants::ClientId))
                .col(string(OauthGrants::UserId))
                .col(string(OauthGrants::OrganizationId))
                .col(string(OauthGrants::SessionId))
                .col(string(OauthGrants::Scope))
                .col(string_null(OauthGrants::Nonce))
                .col(timestamp_with_time_zone(OauthGrants::AuthTime))
                .col(string_null(OauthGrants::SsoConnectionId))
                .col(timestamp_with_time_zone(OauthGrants::CreatedAt))
                .col(timestamp_with_time_zone_null(OauthGrants::RevokedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_oauth_grants_session")
                .table(OauthGrants::Table)
                .col(OauthGrants::SessionId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(OauthCodes::Table)
                .col(string(OauthCodes::CodeHash).primary_key())
                .col(string(OauthCodes::GrantId))
                .col(text(OauthCodes::RedirectUri))
                .col(string_null(OauthCodes::CodeChallenge))
                .col(timestamp_with_time_zone(OauthCodes::ExpiresAt))
                .col(timestamp_with_time_zone_null(OauthCodes::UsedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_oauth_codes_expires_at")
                .table(OauthCodes::Table)
                .col(OauthCodes::ExpiresAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(OauthRefreshTokens::Table)
                .col(string(OauthRefreshTokens::TokenHash).primary_key())
                .col(string(OauthRefreshTokens::GrantId))
                .col(timestamp_with_time_zone(OauthRefreshTokens::ExpiresAt))
                .col(timestamp_with_time_zone_null(OauthRefreshTokens::UsedAt))
                .col(timestamp_with_time_zone(OauthRefreshTokens::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_oauth_refresh_tokens_grant")
                .table(OauthRefreshTokens::Table)
                .col(OauthRefreshTokens::GrantId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(OauthRefreshTokens::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(OauthCodes::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(OauthGrants::Table).to_owned()).await
    }
}
