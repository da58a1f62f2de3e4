//! Checkouts (quotes), purchases, idempotency keys, purchased features and
//! the audit log.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0003_billing"
    }
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Checkouts {
    Table,
    Id,
    OrganizationId,
    Features,
    LineItems,
    Total,
    Currency,
    ExpiresAt,
    PurchaseId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Purchases {
    Table,
    Id,
    OrganizationId,
    CheckoutId,
    Features,
    Amount,
    Currency,
    CardBrand,
    CardLast4,
    CardExpMonth,
    CardExpYear,
    GatewayReference,
    CreatedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    OrganizationId,
    Key,
    RequestHash,
    ResponseStatus,
    ResponseBody,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OrganizationFeatures {
    Table,
    OrganizationId,
    Feature,
    Status,
    PurchasedAt,
    ActivatedAt,
    LastActivityAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    OrganizationId,
    Actor,
    Action,
    Target,
    Details,
    Ip,
    UserAgent,
    RequestId,
    OccurredAt,
}

fn org_fk(name: &str, table: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, Alias::new("organization_id"))
        .to(Organizations::Table, Organizations::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Checkouts::Table)
                .col(string(Checkouts::Id).primary_key())
                .col(string(Checkouts::OrganizationId))
                .col(string(Checkouts::Features))
                .col(text(Checkouts::LineItems))
                .col(big_integer(Checkouts::Total))
                .col(string(Checkouts::Currency))
                .col(timestamp_with_time_zone(Checkouts::ExpiresAt))
                .col(string_null(Checkouts::PurchaseId))
                .col(timestamp_with_time_zone(Checkouts::CreatedAt))
                .foreign_key(&mut org_fk("fk_checkouts_organization", Checkouts::Table))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Purchases::Table)
                .col(string(Purchases::Id).primary_key())
                .col(string(Purchases::OrganizationId))
                // One purchase per quote, whatever the retries.
                .col(string(Purchases::CheckoutId).unique_key())
                .col(string(Purchases::Features))
                .col(big_integer(Purchases::Amount))
                .col(string(Purchases::Currency))
                .col(string(Purchases::CardBrand))
                .col(string(Purchases::CardLast4))
                .col(integer(Purchases::CardExpMonth))
                .col(integer(Purchases::CardExpYear))
                .col(string(Purchases::GatewayReference))
                .col(timestamp_with_time_zone(Purchases::CreatedAt))
                .foreign_key(&mut org_fk("fk_purchases_organization", Purchases::Table))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(IdempotencyKeys::Table)
                .col(string(IdempotencyKeys::OrganizationId))
                .col(string(IdempotencyKeys::Key))
                .col(string(IdempotencyKeys::RequestHash))
                .col(integer_null(IdempotencyKeys::ResponseStatus))
                .col(text_null(IdempotencyKeys::ResponseBody))
                .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                .primary_key(Index::create().col(IdempotencyKeys::OrganizationId).col(IdempotencyKeys::Key))
                .foreign_key(&mut org_fk("fk_idempotency_organization", IdempotencyKeys::Table))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(OrganizationFeatures::Table)
                .col(string(OrganizationFeatures::OrganizationId))
                .col(string(OrganizationFeatures::Feature))
                .col(string(OrganizationFeatures::Status))
                .col(timestamp_with_time_zone(OrganizationFeatures::PurchasedAt))
                .col(timestamp_with_time_zone_null(OrganizationFeatures::ActivatedAt))
                .col(timestamp_with_time_zone_null(OrganizationFeatures::LastActivityAt))
                .primary_key(
                    Index::create().col(OrganizationFeatures::OrganizationId).col(OrganizationFeatures::Feature),
                )
                .foreign_key(&mut org_fk("fk_features_organization", OrganizationFeatures::Table))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AuditEvents::Table)
                .col(string(AuditEvents::Id).primary_key())
                .col(string(AuditEvents::OrganizationId))
                .col(string(AuditEvents::Actor))
                .col(string(AuditEvents::Action))
                .col(string(AuditEvents::Target))
                .col(text(AuditEvents::Details))
                .col(string_null(AuditEvents::Ip))
                .col(string_null(AuditEvents::UserAgent))
                .col(string_null(AuditEvents::RequestId))
                .col(timestamp_with_time_zone(AuditEvents::OccurredAt))
                .foreign_key(&mut org_fk("fk_audit_organization", AuditEvents::Table))
                .to_owned(),
        )
        .await?;
        // Newest-first pages per organization (ids are time-ordered).
        m.create_index(
            Index::create()
                .name("ix_audit_events_org_id")
                .table(AuditEvents::Table)
                .col(AuditEvents::OrganizationId)
                .col(AuditEvents::Id)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            AuditEvents::Table.into_iden(),
            OrganizationFeatures::Table.into_iden(),
            IdempotencyKeys::Table.into_iden(),
            Purchases::Table.into_iden(),
            Checkouts::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
