use sea_orm::entity::prelude::*;

/// A purchased feature of an organization and where its integration stands.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organization_features")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: String,
    /// `sso` or `directory_sync`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub feature: String,
    /// `shared::provisioning::IntegrationStatus` as text.
    pub status: String,
    pub purchased_at: DateTimeUtc,
    pub activated_at: Option<DateTimeUtc>,
    pub last_activity_at: Option<DateTimeUtc>,
    /// While `inactive`: the status to restore when it is turned back on.
    pub previous_status: Option<String>,
    /// Why the status is `error`, in words for the administrator.
    pub status_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
