use sea_orm::entity::prelude::*;

/// A quote: what would be bought, for how much, until when.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "checkouts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub organization_id: String,
    /// `sso`, `directory_sync` or `both`.
    pub features: String,
    /// JSON array of `shared::billing::LineItem`.
    pub line_items: String,
    pub total: i64,
    pub currency: String,
    pub expires_at: DateTimeUtc,
    /// Set once, when the quote is paid.
    pub purchase_id: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
