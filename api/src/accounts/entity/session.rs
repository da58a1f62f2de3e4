use sea_orm::entity::prelude::*;

/// A signed-in session. Access tokens carry its id, so logging out (or a
/// suspension) ends the token before it expires.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    /// The organization whose identity provider opened the session (SSO);
    /// `None` for a password sign-in, which opens every organization of the
    /// account.
    pub organization_id: Option<String>,
    /// How it was opened: `password`, `invite` or `sso` ([`crate::accounts::service::SessionMethod`]).
    pub method: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
