//! SAML 2.0 connections: the identity provider's entity ID, SSO URL and
//! signing certificates on the connection, and the assertion IDs already
//! accepted (each is accepted once).

use super::cascade;
use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0008_saml"
    }
}

#[derive(DeriveIden)]
enum SsoConnections {
    Table,
    Id,
    SamlIdpEntityId,
    SamlSsoUrl,
    SamlCertificates,
    SamlMetadataUrl,
    SamlCertificateExpiresAt,
}

#[derive(DeriveIden)]
enum SamlAssertions {
    Table,
    ConnectionId,
    AssertionId,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in [
            string_null(SsoConnections::SamlIdpEntityId),
            string_null(SsoConnections::SamlSsoUrl),
            text_null(SsoConnections::SamlCertificates),
            string_null(SsoConnections::SamlMetadataUrl),
            timestamp_with_time_zone_null(SsoConnections::SamlCertificateExpiresAt),
        ] {
            let mut column = column;
            m.alter_table(Table::alter().table(SsoConnections::Table).add_column(&mut column).to_owned()).await?;
        }
        m.create_table(
            Table::create()
                .table(SamlAssertions::Table)
                .col(string(SamlAssertions::ConnectionId))
                .col(string(SamlAssertions::AssertionId))
                .col(timestamp_with_time_zone(SamlAssertions::ExpiresAt))
                .primary_key(Index::create().col(SamlAssertions::ConnectionId).col(SamlAssertions::AssertionId))
                .foreign_key(&mut cascade(
                    "fk_saml_assertions_connection",
                    (SamlAssertions::Table, SamlAssertions::ConnectionId),
                    (SsoConnections::Table, SsoConnections::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_saml_assertions_expires_at")
                .table(SamlAssertions::Table)
                .col(SamlAssertions::ExpiresAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
