//! Indexes for an organization's members at scale: the members list pages
//! through them in joining order (keyset on `created_at, user_id`), and the
//! directory's "last active Administrator" check reads its Administrators.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0010_member_indexes"
    }
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    OrganizationId,
    UserId,
    CreatedAt,
    Role,
}

const JOINED: &str = "ix_memberships_org_joined";
const ROLE: &str = "ix_memberships_org_role";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name(JOINED)
                .table(Memberships::Table)
                .col(Memberships::OrganizationId)
                .col(Memberships::CreatedAt)
                .col(Memberships::UserId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name(ROLE)
                .table(Memberships::Table)
                .col(Memberships::OrganizationId)
                .col(Memberships::Role)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name(ROLE).table(Memberships::Table).to_owned()).await?;
        m.drop_index(Index::drop().name(JOINED).table(Memberships::Table).to_owned()).await
    }
}
