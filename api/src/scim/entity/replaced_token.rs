use sea_orm::entity::prelude::*;
use shared::OrganizationId;

/// A SCIM token the organization replaced (its SHA-256): a directory still
/// sending it is misconfigured, and the Provision tab says so.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scim_replaced_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub organization_id: OrganizationId,
    pub replaced_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
