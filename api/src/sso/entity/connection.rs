use sea_orm::entity::prelude::*;

/// An organization's connection to its identity provider (one per organization).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sso_connections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub organization_id: String,
    pub provider: Option<String>,
    pub protocol: Option<String>,
    pub oidc_issuer: Option<String>,
    pub oidc_client_id: Option<String>,
    /// Sealed with the server's secret box (`SigningKeys::seal`); never returned.
    pub oidc_client_secret: Option<String>,
    /// From the issuer's discovery document, read when the connection is saved.
    pub oidc_authorization_endpoint: Option<String>,
    pub oidc_token_endpoint: Option<String>,
    pub oidc_jwks_uri: Option<String>,
    /// Asked for the email when the ID token does not carry it.
    pub oidc_userinfo_endpoint: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
