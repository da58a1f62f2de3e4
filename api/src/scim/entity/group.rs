use sea_orm::entity::prelude::*;
use shared::OrganizationId;

/// A SCIM Group of one organization; its members live in `group_member`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "directory_groups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub organization_id: OrganizationId,
    pub display_name: String,
    pub display_name_key: String,
    pub external_id: Option<String>,
    /// The SCIM representation without `members`.
    pub resource: String,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
