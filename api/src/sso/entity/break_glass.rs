use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use shared::{OrganizationId, UserId};

/// A break-glass Administrator: keeps password sign-in while the
/// organization requires SSO (`sso::enforcement` is the only writer).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "break_glass_admins")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: OrganizationId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    pub added_by: String,
    pub added_at: DateTime<Utc>,
    /// The last password sign-in while SSO was required.
    pub last_used_at: Option<DateTime<Utc>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
