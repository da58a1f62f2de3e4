use sea_orm::entity::prelude::*;
use shared::{OrganizationId, UserId};

/// A SCIM User of one organization, linked to the account it provisioned.
/// `resource` is the SCIM representation as the directory sent it (names
/// canonicalized, read-only attributes and passwords dropped); the columns
/// next to it are what queries and uniqueness need.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "directory_users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub organization_id: OrganizationId,
    pub user_id: UserId,
    pub user_name: String,
    /// `userName` lowercased: it is unique per organization, case-insensitively.
    pub user_name_key: String,
    pub external_id: Option<String>,
    /// The address the account was provisioned with, lowercased.
    pub email: String,
    pub active: bool,
    pub resource: String,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
