use sea_orm::entity::prelude::*;
use shared::OrganizationId;
use shared::provisioning::{Feature, IntegrationStatus};

/// A purchased feature of an organization and where its integration stands.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organization_features")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: OrganizationId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub feature: Feature,
    pub status: IntegrationStatus,
    pub purchased_at: DateTimeUtc,
    pub activated_at: Option<DateTimeUtc>,
    pub last_activity_at: Option<DateTimeUtc>,
    /// While `inactive`: the status to restore when it is turned back on.
    pub previous_status: Option<IntegrationStatus>,
    /// Why the status is `error`, in words for the administrator.
    pub status_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
