use sea_orm::entity::prelude::*;
use shared::OrganizationId;

/// An organization's connection to its identity provider (one per organization).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sso_connections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub organization_id: OrganizationId,
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
    /// SAML: the identity provider's entity ID (the Issuer of its responses).
    pub saml_idp_entity_id: Option<String>,
    /// SAML: where AuthnRequests go (HTTP-Redirect binding).
    pub saml_sso_url: Option<String>,
    /// SAML: the signing certificates, base64 DER, one per line. Only these verify responses.
    pub saml_certificates: Option<String>,
    /// SAML: the metadata URL, when the configuration was read from one.
    pub saml_metadata_url: Option<String>,
    /// SAML: the earliest `notAfter` of the signing certificates.
    pub saml_certificate_expires_at: Option<DateTimeUtc>,
    /// When a test sign-in last passed (Require SSO asks for one in the last 30 days).
    pub tested_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
