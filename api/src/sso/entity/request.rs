use sea_orm::entity::prelude::*;
use shared::OrganizationId;

/// A sign-in sent to the identity provider and not yet come back. `id` is the
/// OAuth `state` or the SAML `RelayState`; it is bound to the browser that started it (`browser_hash`
/// is the SHA-256 of a cookie only that browser has) and usable once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sso_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub connection_id: String,
    pub organization_id: OrganizationId,
    /// `test` (from the setup wizard) or `login` (a member).
    pub purpose: String,
    /// OIDC: the `nonce`; SAML: the AuthnRequest ID (the `InResponseTo` expected).
    pub nonce: String,
    /// OIDC: the PKCE verifier, sealed; SAML: empty.
    pub code_verifier: String,
    pub browser_hash: String,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// The account whose session started this sign-in (sent by the SPA with
    /// its session): a first SSO sign-in links an existing account that has
    /// a password, or an Administrator, only when this names it.
    pub user_id: Option<String>,
    /// Where the browser continues after the sign-in: an application's
    /// authorization request (`/oauth2/authorize?…`); `None`: the home page.
    pub return_to: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
