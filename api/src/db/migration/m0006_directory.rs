//! Directory Sync (SCIM): the organization's bearer token (hashed), the users
//! and groups its directory provisions, and member status and plan.

use super::cascade;
use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0006_directory"
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
enum Memberships {
    Table,
    PlanId,
    SuspendedAt,
    DirectoryManaged,
}

#[derive(DeriveIden)]
enum ScimTokens {
    Table,
    OrganizationId,
    TokenHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DirectoryUsers {
    Table,
    Id,
    OrganizationId,
    UserId,
    UserName,
    UserNameKey,
    ExternalId,
    Email,
    Active,
    Resource,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DirectoryGroups {
    Table,
    Id,
    OrganizationId,
    DisplayName,
    DisplayNameKey,
    ExternalId,
    Resource,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DirectoryGroupMembers {
    Table,
    GroupId,
    MemberId,
}

fn index(name: &str, table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table));
    for c in cols {
        i.col(Alias::new(*c));
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        m.alter_table(Table::alter().table(Memberships::Table).add_column(string_null(Memberships::PlanId)).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(Memberships::Table)
                .add_column(timestamp_with_time_zone_null(Memberships::SuspendedAt))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Memberships::Table)
                .add_column(boolean(Memberships::DirectoryManaged).default(false))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ScimTokens::Table)
                .col(string(ScimTokens::OrganizationId).primary_key())
                .col(string(ScimTokens::TokenHash).unique_key())
                .col(timestamp_with_time_zone(ScimTokens::CreatedAt))
                .foreign_key(&mut cascade(
                    "fk_scim_tokens_organization",
                    (ScimTokens::Table, ScimTokens::OrganizationId),
                    (Organizations::Table, Organizations::Id),
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(DirectoryUsers::Table)
                .col(string(DirectoryUsers::Id).primary_key())
                .col(string(DirectoryUsers::OrganizationId))
                .col(string(DirectoryUsers::UserId))
                .col(string(DirectoryUsers::UserName))
                .col(string(DirectoryUsers::UserNameKey))
                .col(string_null(DirectoryUsers::ExternalId))
                .col(string(DirectoryUsers::Email))
                .col(boolean(DirectoryUsers::Active))
                .col(text(DirectoryUsers::Resource))
                .col(big_integer(DirectoryUsers::Version))
                .col(timestamp_with_time_zone(DirectoryUsers::CreatedAt))
                .col(timestamp_with_time_zone(DirectoryUsers::UpdatedAt))
                .foreign_key(&mut cascade(
                    "fk_directory_users_organization",
                    (DirectoryUsers::Table, DirectoryUsers::OrganizationId),
                    (Organizations::Table, Organizations::Id),
                ))
                .foreign_key(&mut cascade(
                    "fk_directory_users_user",
                    (DirectoryUsers::Table, DirectoryUsers::UserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_directory_users_user_name", "directory_users", &["organization_id", "user_name_key"])
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_directory_users_user", "directory_users", &["organization_id", "user_id"]).unique().to_owned(),
        )
        .await?;
        m.create_index(index("ix_directory_users_org_id", "directory_users", &["organization_id", "id"])).await?;
        m.create_index(index("ix_directory_users_external_id", "directory_users", &["organization_id", "external_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table(DirectoryGroups::Table)
                .col(string(DirectoryGroups::Id).primary_key())
                .col(string(DirectoryGroups::OrganizationId))
                .col(string(DirectoryGroups::DisplayName))
                .col(string(DirectoryGroups::DisplayNameKey))
                .col(string_null(DirectoryGroups::ExternalId))
                .col(text(DirectoryGroups::Resource))
                .col(big_integer(DirectoryGroups::Version))
                .col(timestamp_with_time_zone(DirectoryGroups::CreatedAt))
                .col(timestamp_with_time_zone(DirectoryGroups::UpdatedAt))
                .foreign_key(&mut cascade(
                    "fk_directory_groups_organization",
                    (DirectoryGroups::Table, DirectoryGroups::OrganizationId),
                    (Organizations::Table, Organizations::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_directory_groups_org_id", "directory_groups", &["organization_id", "id"])).await?;
        m.create_index(index("ix_directory_groups_name", "directory_groups", &["organization_id", "display_name_key"]))
            .await?;
        m.create_index(index(
            "ix_directory_groups_external_id",
            "directory_groups",
            &["organization_id", "external_id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(DirectoryGroupMembers::Table)
                .col(string(DirectoryGroupMembers::GroupId))
                .col(string(DirectoryGroupMembers::MemberId))
                .primary_key(Index::create().col(DirectoryGroupMembers::GroupId).col(DirectoryGroupMembers::MemberId))
                .foreign_key(&mut cascade(
                    "fk_directory_group_members_group",
                    (DirectoryGroupMembers::Table, DirectoryGroupMembers::GroupId),
                    (DirectoryGroups::Table, DirectoryGroups::Id),
                ))
                .foreign_key(&mut cascade(
                    "fk_directory_group_members_member",
                    (DirectoryGroupMembers::Table, DirectoryGroupMembers::MemberId),
                    (DirectoryUsers::Table, DirectoryUsers::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_directory_group_members_member", "directory_group_members", &["member_id"])).await?;
        Ok(())
    }
}
