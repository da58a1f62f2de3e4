//! One card charge at a time per organization: a confirm takes its
//! organization's row before charging and gives it back with the purchase
//! recorded (or the charge refused), so two confirms — two quotes, or one
//! quote under two Idempotency-Keys — can never both charge for a feature.

use sea_orm_migration::{prelude::*, schema::*};

use super::cascade;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0012_checkout_charges"
    }
}

#[derive(DeriveIden)]
enum CheckoutCharges {
    Table,
    OrganizationId,
    CheckoutId,
    StartedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CheckoutCharges::Table)
                .col(string(CheckoutCharges::OrganizationId).primary_key())
                .col(string(CheckoutCharges::CheckoutId))
                .col(timestamp_with_time_zone(CheckoutCharges::StartedAt))
                .foreign_key(&mut cascade(
                    "fk_checkout_charges_organization",
                    (CheckoutCharges::Table, CheckoutCharges::OrganizationId),
                    (Organizations::Table, Organizations::Id),
                ))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(CheckoutCharges::Table).to_owned()).await
    }
}
