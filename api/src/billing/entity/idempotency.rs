use sea_orm::entity::prelude::*;

/// One `Idempotency-Key` per organization: the first request claims it; its
/// stored answer is replayed to every retry with the same body.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// Keyed hash of the request (never the card number itself).
    pub request_hash: String,
    /// `None` while the first request is still being processed.
    pub response_status: Option<i32>,
    pub response_body: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
