//! Events and webhooks (issue 20).
//!
//! `events`: one row per state change, written in the change's
//! transaction. `seq` orders them by commit: on SQLite (one writer at a
//! time) the next number; on PostgreSQL the writing transaction's id, read
//! only below the oldest transaction still running, so a reader never passes
//! an event that commits later. `event_versions` counts each object's
//! changes (kept when events are pruned, so a version never goes back).
//!
//! `webhook_endpoints` (the signing secret sealed, the previous one kept
//! for a day after a rotation) read the events after their own cursor into
//! `webhook_deliveries` (one per endpoint and event, retried until
//! delivered or given up), each try logged in `webhook_attempts`.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0029_events_webhooks"
    }
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    Seq,
    Type,
    OccurredAt,
    OrganizationId,
    ObjectId,
    Version,
    Source,
    Data,
}

#[derive(DeriveIden)]
enum EventVersions {
    Table,
    ObjectId,
    Version,
}

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    Url,
    Description,
    EventTypes,
    Enabled,
    DisabledReason,
    Secret,
    PreviousSecret,
    PreviousSecretUntil,
    CursorSeq,
    CursorId,
    FailingSince,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    EndpointId,
    EventId,
    Attempts,
    NextAttemptAt,
    State,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookAttempts {
    Table,
    Id,
    EndpointId,
    DeliveryId,
    EventId,
    AttemptedAt,
    Status,
    LatencyMs,
    Error,
    ResponseExcerpt,
}

fn index(name: &str, table: impl IntoIden, cols: Vec<DynIden>) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(c);
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Events::Table)
                .col(string(Events::Id).primary_key())
                .col(big_integer(Events::Seq))
                .col(string(Events::Type))
                .col(timestamp_with_time_zone(Events::OccurredAt))
                .col(string_null(Events::OrganizationId))
                .col(string(Events::ObjectId))
                .col(big_integer(Events::Version))
                .col(string_null(Events::Source))
                .col(text(Events::Data))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_events_seq", Events::Table, vec![Events::Seq.into_iden(), Events::Id.into_iden()]))
            .await?;
        m.create_index(index(
            "ix_events_org_seq",
            Events::Table,
            vec![Events::OrganizationId.into_iden(), Events::Seq.into_iden(), Events::Id.into_iden()],
        ))
        .await?;
        m.create_index(index("ix_events_occurred", Events::Table, vec![Events::OccurredAt.into_iden()])).await?;
        m.create_table(
            Table::create()
                .table(EventVersions::Table)
                .col(string(EventVersions::ObjectId).primary_key())
                .col(big_integer(EventVersions::Version))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WebhookEndpoints::Table)
                .col(string(WebhookEndpoints::Id).primary_key())
                .col(string(WebhookEndpoints::Url))
                .col(string(WebhookEndpoints::Description))
                .col(text(WebhookEndpoints::EventTypes))
                .col(boolean(WebhookEndpoints::Enabled))
                .col(string_null(WebhookEndpoints::DisabledReason))
                .col(string(WebhookEndpoints::Secret))
                .col(string_null(WebhookEndpoints::PreviousSecret))
                .col(timestamp_with_time_zone_null(WebhookEndpoints::PreviousSecretUntil))
                .col(big_integer(WebhookEndpoints::CursorSeq))
                .col(string(WebhookEndpoints::CursorId))
                .col(timestamp_with_time_zone_null(WebhookEndpoints::FailingSince))
                .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                .col(timestamp_with_time_zone(WebhookEndpoints::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WebhookDeliveries::Table)
                .col(string(WebhookDeliveries::Id).primary_key())
                .col(string(WebhookDeliveries::EndpointId))
                .col(string(WebhookDeliveries::EventId))
                .col(integer(WebhookDeliveries::Attempts).default(0))
                .col(timestamp_with_time_zone_null(WebhookDeliveries::NextAttemptAt))
                .col(string(WebhookDeliveries::State))
                .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                .col(timestamp_with_time_zone(WebhookDeliveries::UpdatedAt))
                .foreign_key(&mut super::cascade(
                    "fk_webhook_deliveries_endpoint",
                    (WebhookDeliveries::Table, WebhookDeliveries::EndpointId),
                    (WebhookEndpoints::Table, WebhookEndpoints::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_webhook_deliveries_due",
            WebhookDeliveries::Table,
            vec![WebhookDeliveries::NextAttemptAt.into_iden()],
        ))
        .await?;
        m.create_index(index(
            "ix_webhook_deliveries_endpoint",
            WebhookDeliveries::Table,
            vec![WebhookDeliveries::EndpointId.into_iden(), WebhookDeliveries::State.into_iden()],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(WebhookAttempts::Table)
                .col(string(WebhookAttempts::Id).primary_key())
                .col(string(WebhookAttempts::EndpointId))
                .col(string(WebhookAttempts::DeliveryId))
                .col(string(WebhookAttempts::EventId))
                .col(timestamp_with_time_zone(WebhookAttempts::AttemptedAt))
                .col(integer_null(WebhookAttempts::Status))
                .col(big_integer(WebhookAttempts::LatencyMs))
                .col(string_null(WebhookAttempts::Error))
                .col(string_null(WebhookAttempts::ResponseExcerpt))
                .foreign_key(&mut super::cascade(
                    "fk_webhook_attempts_endpoint",
                    (WebhookAttempts::Table, WebhookAttempts::EndpointId),
                    (WebhookEndpoints::Table, WebhookEndpoints::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_webhook_attempts_endpoint",
            WebhookAttempts::Table,
            vec![WebhookAttempts::EndpointId.into_iden(), WebhookAttempts::Id.into_iden()],
        ))
        .await?;
        m.create_index(index(
            "ix_webhook_attempts_time",
            WebhookAttempts::Table,
            vec![WebhookAttempts::AttemptedAt.into_iden()],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            WebhookAttempts::Table.into_iden(),
            WebhookDeliveries::Table.into_iden(),
            WebhookEndpoints::Table.into_iden(),
            EventVersions::Table.into_iden(),
            Events::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
