use sea_orm::entity::prelude::*;
use shared::OrganizationId;

/// An issued setup link. The token itself is never stored: the row is found
/// by the token's SHA-256 (`token_hash`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "setup_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub organization_id: OrganizationId,
    /// `sso` or `scim`.
    pub kind: String,
    pub created_by: String,
    pub expires_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// SHA-256 of the token, hex.
    #[sea_orm(unique)]
    pub token_hash: Option<String>,
    /// When the IT admin first opened the link.
    pub opened_at: Option<DateTimeUtc>,
    /// When the setup it is for was finished through it (a passed test
    /// sign-in; the directory's credentials generated).
    pub completed_at: Option<DateTimeUtc>,
    /// `replaced`, `revoked` (by an Administrator) or `feature_off`.
    pub revoked_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
