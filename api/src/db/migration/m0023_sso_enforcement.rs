//! Require SSO: the organization's switch (`organizations.sso_required`),
//! when its identity provider last passed a test sign-in
//! (`sso_connections.tested_at`), its break-glass Administrators, who keep
//! password sign-in (`break_glass_admins`; a row goes with the membership
//! it names), and how each session was opened (`sessions.method`:
//! `password`, `invite` or `sso`; sessions from before are `password`, so
//! turning Require SSO on ends them).

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0023_sso_enforcement"
    }
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    SsoRequired,
}

#[derive(DeriveIden)]
enum SsoConnections {
    Table,
    TestedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Method,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    OrganizationId,
    UserId,
}

#[derive(DeriveIden)]
enum BreakGlassAdmins {
    Table,
    OrganizationId,
    UserId,
    AddedBy,
    AddedAt,
    LastUsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Organizations::Table)
                .add_column(boolean(Organizations::SsoRequired).default(false))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(SsoConnections::Table)
                .add_column(timestamp_with_time_zone_null(SsoConnections::TestedAt))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter().table(Sessions::Table).add_column(string(Sessions::Method).default("password")).to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(BreakGlassAdmins::Table)
                .col(string(BreakGlassAdmins::OrganizationId))
                .col(string(BreakGlassAdmins::UserId))
                .col(string(BreakGlassAdmins::AddedBy))
                .col(timestamp_with_time_zone(BreakGlassAdmins::AddedAt))
                .col(timestamp_with_time_zone_null(BreakGlassAdmins::LastUsedAt))
                .primary_key(Index::create().col(BreakGlassAdmins::OrganizationId).col(BreakGlassAdmins::UserId))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_break_glass_admins_membership")
                        .from_tbl(BreakGlassAdmins::Table)
                        .from_col(BreakGlassAdmins::OrganizationId)
                        .from_col(BreakGlassAdmins::UserId)
                        .to_tbl(Memberships::Table)
                        .to_col(Memberships::OrganizationId)
                        .to_col(Memberships::UserId)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(BreakGlassAdmins::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(Sessions::Table).drop_column(Sessions::Method).to_owned()).await?;
        m.alter_table(Table::alter().table(SsoConnections::Table).drop_column(SsoConnections::TestedAt).to_owned())
            .await?;
        m.alter_table(Table::alter().table(Organizations::Table).drop_column(Organizations::SsoRequired).to_owned())
            .await
    }
}
