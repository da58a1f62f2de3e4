//! Back-channel logout (OpenID Connect Back-Channel Logout 1.0): when a
//! member's Gatehouse sessions or membership end, each application that
//! signed them in and registered a `backchannel_logout_uri` is told, with
//! retries (`oauth_logout_deliveries`: one row per application and session
//! until delivered; `next_attempt_at` is `NULL` once given up). Grants get
//! an index by member, which a suspension or removal looks them up by.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0027_backchannel_logout"
    }
}

#[derive(DeriveIden)]
enum OauthLogoutDeliveries {
    Table,
    Id,
    ClientId,
    UserId,
    SessionId,
    OrganizationId,
    Attempts,
    NextAttemptAt,
    LastError,
    GivenUpAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OauthGrants {
    Table,
    OrganizationId,
    UserId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(OauthLogoutDeliveries::Table)
                .col(string(OauthLogoutDeliveries::Id).primary_key())
                .col(string(OauthLogoutDeliveries::ClientId))
                .col(string(OauthLogoutDeliveries::UserId))
                .col(string(OauthLogoutDeliveries::SessionId))
                .col(string(OauthLogoutDeliveries::OrganizationId))
                .col(integer(OauthLogoutDeliveries::Attempts).default(0))
                .col(timestamp_with_time_zone_null(OauthLogoutDeliveries::NextAttemptAt))
                .col(string_null(OauthLogoutDeliveries::LastError))
                .col(timestamp_with_time_zone_null(OauthLogoutDeliveries::GivenUpAt))
                .col(timestamp_with_time_zone(OauthLogoutDeliveries::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_oauth_logout_deliveries_due")
                .table(OauthLogoutDeliveries::Table)
                .col(OauthLogoutDeliveries::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_oauth_grants_member")
                .table(OauthGrants::Table)
                .col(OauthGrants::OrganizationId)
                .col(OauthGrants::UserId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_oauth_grants_member").table(OauthGrants::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(OauthLogoutDeliveries::Table).to_owned()).await
    }
}
