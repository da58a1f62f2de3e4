use sea_orm::entity::prelude::*;

/// A paid checkout. Of the card only brand, last 4 and expiry are kept.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purchases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub organization_id: String,
    #[sea_orm(unique)]
    pub checkout_id: String,
    pub features: String,
    pub amount: i64,
    pub currency: String,
    pub card_brand: String,
    pub card_last4: String,
    pub card_exp_month: i32,
    pub card_exp_year: i32,
    /// The processor's id for the charge.
    pub gateway_reference: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
