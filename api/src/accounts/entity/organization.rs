use sea_orm::entity::prelude::*;
use shared::OrganizationId;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: OrganizationId,
    pub name: String,
    pub disable_passwords_on_invites: bool,
    /// The Provision Default Plan (a plan id from the configured catalog).
    pub default_plan_id: Option<String>,
    /// Require SSO: members in its verified domains sign in through its
    /// identity provider only (`sso::enforcement` is the only writer).
    pub sso_required: bool,
    pub created_at: DateTimeUtc,
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

/// The organization, or 404: callers reach it through an id from a path or a
/// row of their own, so a missing one is "not found", never a server fault.
pub async fn get(db: &impl sea_orm::ConnectionTrait, id: &str) -> crate::error::AppResult<Model> {
    Entity::find().filter(Column::Id.eq(id)).one(db).await?.ok_or(crate::error::AppError::NotFound)
}
