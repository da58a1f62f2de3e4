use sea_orm::entity::prelude::*;
use shared::OrganizationId;
use shared::accounts::Role;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invites")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub organization_id: OrganizationId,
    pub email: String,
    pub role: Role,
    /// SHA-256 of the invite token, hex; the token itself is never stored.
    #[sea_orm(unique)]
    pub token_hash: String,
    /// Fixed when the invite is created: "Disable Passwords on Invites" is not retroactive.
    pub password_required: bool,
    pub invited_by: String,
    pub expires_at: DateTimeUtc,
    pub accepted_at: Option<DateTimeUtc>,
    /// Set when an Administrator revoked the invite.
    pub revoked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
