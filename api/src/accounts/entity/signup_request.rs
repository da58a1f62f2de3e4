use sea_orm::entity::prelude::*;

/// A sign-up waiting for its email to be confirmed (`signup_confirmation`):
/// what was entered, the password already hashed, and the SHA-256 of the
/// emailed token. Gone once confirmed or expired.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signup_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub email: String,
    pub name: String,
    pub organization_name: String,
    pub password_hash: String,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
