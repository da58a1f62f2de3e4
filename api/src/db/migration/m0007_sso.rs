//! Single Sign-On: each organization's connection to its identity provider,
//! pending sign-in requests (state, nonce, PKCE verifier), and the identities
//! (connection, subject) that sign members in.

use super::cascade;
use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0007_sso"
    }
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum SsoConnections {
    Table,
    Id,
    OrganizationId,
    Provider,
    Protocol,
    OidcIssuer,
    OidcClientId,
    OidcClientSecret,
    OidcAuthorizationEndpoint,
    OidcTokenEndpoint,
    OidcJwksUri,
    OidcUserinfoEndpoint,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SsoRequests {
    Table,
    Id,
    ConnectionId,
    OrganizationId,
    Purpose,
    Nonce,
    CodeVerifier,
    BrowserHash,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SsoIdentities {
    Table,
    ConnectionId,
    Subject,
    UserId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SsoConnections::Table)
                .col(string(SsoConnections::Id).primary_key())
                .col(string(SsoConnections::OrganizationId).unique_key())
                .col(string_null(SsoConnections::Provider))
                .col(string_null(SsoConnections::Protocol))
                .col(string_null(SsoConnections::OidcIssuer))
                .col(string_null(SsoConnections::OidcClientId))
                .col(text_null(SsoConnections::OidcClientSecret))
                .col(string_null(SsoConnections::OidcAuthorizationEndpoint))
                .col(string_null(SsoConnections::OidcTokenEndpoint))
                .col(string_null(SsoConnections::OidcJwksUri))
                .col(string_null(SsoConnections::OidcUserinfoEndpoint))
                .col(timestamp_with_time_zone(SsoConnections::CreatedAt))
                .col(timestamp_with_time_zone(SsoConnections::UpdatedAt))
                .foreign_key(&mut cascade(
                    "fk_sso_connections_organization",
                    (SsoConnections::Table, SsoConnections::OrganizationId),
                    (Organizations::Table, Organizations::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SsoRequests::Table)
                .col(string(SsoRequests::Id).primary_key())
                .col(string(SsoRequests::ConnectionId))
                .col(string(SsoRequests::OrganizationId))
                .col(string(SsoRequests::Purpose))
                .col(string(SsoRequests::Nonce))
                .col(text(SsoRequests::CodeVerifier))
                .col(string(SsoRequests::BrowserHash))
                .col(timestamp_with_time_zone(SsoRequests::ExpiresAt))
                .col(timestamp_with_time_zone_null(SsoRequests::UsedAt))
                .col(timestamp_with_time_zone(SsoRequests::CreatedAt))
                .foreign_key(&mut cascade(
                    "fk_sso_requests_connection",
                    (SsoRequests::Table, SsoRequests::ConnectionId),
                    (SsoConnections::Table, SsoConnections::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SsoIdentities::Table)
                .col(string(SsoIdentities::ConnectionId))
                .col(string(SsoIdentities::Subject))
                .col(string(SsoIdentities::UserId))
                .col(timestamp_with_time_zone(SsoIdentities::CreatedAt))
                .primary_key(Index::create().col(SsoIdentities::ConnectionId).col(SsoIdentities::Subject))
                .foreign_key(&mut cascade(
                    "fk_sso_identities_connection",
                    (SsoIdentities::Table, SsoIdentities::ConnectionId),
                    (SsoConnections::Table, SsoConnections::Id),
                ))
                .foreign_key(&mut cascade(
                    "fk_sso_identities_user",
                    (SsoIdentities::Table, SsoIdentities::UserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
