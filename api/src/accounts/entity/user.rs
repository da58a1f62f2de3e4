use sea_orm::entity::prelude::*;
use shared::{OrganizationId, UserId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: UserId,
    #[sea_orm(unique)]
    pub email: String,
    pub name: String,
    /// argon2id PHC string; `None` for accounts that sign in only through SSO.
    pub password_hash: Option<String>,
    pub created_at: DateTimeUtc,
    /// The organization whose directory or SSO created the account; `None`
    /// for sign-up and invites (see migration m0015).
    pub provisioned_by: Option<OrganizationId>,
}

impl Model {
    /// Whether the account belongs to `org_id`'s identity provider alone:
    /// created by it, no password of its own. (Callers also check that it
    /// has no membership elsewhere.)
    pub fn provisioned_only_by(&self, org_id: &str) -> bool {
        self.provisioned_by.as_ref().is_some_and(|o| o == org_id) && self.password_hash.is_none()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::membership::Entity")]
    Membership,
}

impl Related<super::membership::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Membership.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
