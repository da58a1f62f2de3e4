//! Invites an Administrator revokes (`invites.revoked_at`: the link then
//! answers that it was revoked), and the index the pending-invites list
//! pages through (organization, then id: ids are time-ordered).

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0018_invite_revocation"
    }
}

#[derive(DeriveIden)]
enum Invites {
    Table,
    Id,
    OrganizationId,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Invites::Table)
                .add_column(timestamp_with_time_zone_null(Invites::RevokedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_invites_organization_id")
                .table(Invites::Table)
                .col(Invites::OrganizationId)
                .col(Invites::Id)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_invites_organization_id").table(Invites::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(Invites::Table).drop_column(Invites::RevokedAt).to_owned()).await
    }
}
