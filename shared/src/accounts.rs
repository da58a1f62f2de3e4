//! Accounts: sign-up, login, the signed-in user, members and invites.

use serde::{Deserialize, Serialize};

use crate::ids::{InviteId, OrganizationId, UserId};
use crate::problem::FieldError;
use crate::validation::{Email, FieldErrors, OrganizationName, Password, PersonName};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// A member's role in an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "db", derive(sea_orm::DeriveValueType), sea_orm(value_type = "String"))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            _ => None,
        }
    }

    /// How the SPA shows it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Member => "Member",
        }
    }
}

crate::names::by_name!(Role, "role");

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(default)]
#[cfg_attr(feature = "openapi", schema(example = json!({"organization_name": "Initech", "name": "Peter Gibbons", "email": "peter@initech.com", "password": "correct horse battery staple"})))]
pub struct SignupRequest {
    #[cfg_attr(feature = "openapi", schema(required = true, min_length = 1, max_length = 100))]
    pub organization_name: String,
    #[cfg_attr(feature = "openapi", schema(required = true, min_length = 1, max_length = 100))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(required = true, format = Email, max_length = 254))]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(required = true, min_length = 10, max_length = 256))]
    pub password: String,
}

/// A sign-up that passed every rule.
#[derive(Debug)]
pub struct ValidSignup {
    pub organization_name: OrganizationName,
    pub name: PersonName,
    pub email: Email,
    pub password: Password,
}

impl SignupRequest {
    pub fn validate(&self) -> Result<ValidSignup, Vec<FieldError>> {
        let mut e = FieldErrors::new();
        let organization_name = e.check("organization_name", OrganizationName::parse(&self.organization_name));
        let name = e.check("name", PersonName::parse(&self.name));
        let email = e.check("email", Email::parse(&self.email));
        let password = e.check("password", Password::parse(&self.password));
        match (organization_name, name, email, password) {
            (Some(organization_name), Some(name), Some(email), Some(password)) => {
                Ok(ValidSignup { organization_name, name, email, password })
            }
            _ => Err(e.into_vec()),
        }
    }
}

/// `POST /api/v1/organizations` (a service key): the organization and the
/// email of its first Administrator, who is invited.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(default)]
#[cfg_attr(feature = "openapi", schema(example = json!({"name": "Initech", "admin_email": "it@initech.com"})))]
pub struct CreateOrganizationRequest {
    #[cfg_attr(feature = "openapi", schema(required = true, min_length = 1, max_length = 100))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(required = true, format = Email, max_length = 254))]
    pub admin_email: String,
}

impl CreateOrganizationRequest {
    pub fn validate(&self) -> Result<(OrganizationName, Email), Vec<FieldError>> {
        let mut e = FieldErrors::new();
        let name = e.check("name", OrganizationName::parse(&self.name));
        let email = e.check("admin_email", Email::parse(&self.admin_email));
        match (name, email) {
            (Some(name), Some(email)) => Ok((name, email)),
            _ => Err(e.into_vec()),
        }
    }
}

/// An organization in the service API's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OrganizationItem {
    pub id: OrganizationId,
    pub name: String,
    #[serde(with = "crate::time::utc")]
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// `GET /api/v1/organizations`: oldest first, `next_cursor` for the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OrganizationsResponse {
    pub data: Vec<OrganizationItem>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OrganizationSummary {
    pub id: OrganizationId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UserSummary {
    pub id: UserId,
    pub email: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SignupResponse {
    pub organization: OrganizationSummary,
    pub user: UserSummary,
    pub access_token: String,
}

/// The answer to a sign-up when the email must be confirmed first (202): the
/// same whether or not the address already has an account — the mail says
/// which.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SignupPending {
    /// Where the confirmation link went.
    pub confirmation_sent_to: String,
}

/// The token from a sign-up confirmation link, and the password chosen at
/// sign-up: whoever confirms must be whoever chose it (else anyone could
/// file a sign-up for someone else's address with a password they know).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(default)]
#[cfg_attr(feature = "openapi", schema(example = json!({"token": "Vt3q…", "password": "correct horse battery staple"})))]
pub struct ConfirmSignupRequest {
    #[cfg_attr(feature = "openapi", schema(required = true, min_length = 1))]
    pub token: String,
    #[cfg_attr(feature = "openapi", schema(required = true, min_length = 1))]
    pub password: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(default)]
#[cfg_attr(feature = "openapi", schema(example = json!({"email": "peter@initech.com", "password": "correct horse battery staple"})))]
pub struct LoginRequest {
    #[cfg_attr(feature = "openapi", schema(required = true, format = Email, max_length = 254))]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(required = true, min_length = 1))]
    pub password: String,
    /// An application's authorization request (`/oauth2/authorize?…`): when
    /// Require SSO refuses the password, the SSO sign-in it starts continues there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 4096))]
    pub continue_to: Option<String>,
}

impl LoginRequest {
    /// Only presence is checked: a login never says which rule a stored
    /// password would break.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut e = FieldErrors::new();
        if self.email.trim().is_empty() {
            e.push(FieldError::new("email", "required", "Enter your email address."));
        }
        if self.password.is_empty() {
            e.push(FieldError::new("password", "required", "Enter your password."));
        }
        if e.is_empty() { Ok(()) } else { Err(e.into_vec()) }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LoginResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub user: UserSummary,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Membership {
    pub organization_id: OrganizationId,
    pub organization_name: String,
    pub role: Role,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MeResponse {
    pub user: UserSummary,
    pub memberships: Vec<Membership>,
    /// The SaaS's applications a member may open (registered clients with an
    /// `initiate_login_uri`); empty without an active membership.
    #[serde(default)]
    pub applications: Vec<Application>,
}

/// An application members sign in to through Gatehouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Application {
    pub name: String,
    /// Its `initiate_login_uri` with `iss` (OpenID Connect "Initiating Login
    /// from a Third Party"): opening it signs the member in there.
    pub login_url: String,
    /// The operator's default application (`oidc_default_client`): members
    /// who sign in at Gatehouse are sent there.
    pub default: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Member {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    #[serde(with = "crate::time::utc")]
    pub joined_at: chrono::DateTime<chrono::Utc>,
    /// The plan the member was given (the Provision Default Plan when the
    /// directory or SSO created them).
    pub plan_id: Option<String>,
    /// Suspended by the directory (`active: false`): cannot use the organization.
    pub suspended: bool,
    /// Created or managed by the organization's directory (SCIM).
    pub directory_managed: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MembersResponse {
    /// In joining order, oldest first.
    pub data: Vec<Member>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// What an Administrator changes of a member; an absent field stays as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "openapi", schema(example = json!({"role": "admin", "plan_id": "plan_core", "suspended": false})))]
pub struct UpdateMemberRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// A plan of the catalog (`GET /api/v1/plans`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(example = "plan_extended"))]
    pub plan_id: Option<String>,
    /// `true` suspends (the member's sessions that reach the organization
    /// end), `false` reactivates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspended: Option<bool>,
}

impl UpdateMemberRequest {
    pub fn is_empty(&self) -> bool {
        self.role.is_none() && self.plan_id.is_none() && self.suspended.is_none()
    }
}

/// An invite not yet accepted, revoked or expired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PendingInvite {
    pub id: InviteId,
    pub email: String,
    pub role: Role,
    pub password_required: bool,
    #[serde(with = "crate::time::utc")]
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[serde(with = "crate::time::utc")]
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct InvitesResponse {
    /// Oldest first.
    pub data: Vec<PendingInvite>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"email": "milton@initech.com", "role": "member"})))]
pub struct CreateInviteRequest {
    #[cfg_attr(feature = "openapi", schema(required = true, format = Email, max_length = 254))]
    pub email: String,
    #[serde(default = "default_role")]
    pub role: Role,
}

fn default_role() -> Role {
    Role::Member
}

impl CreateInviteRequest {
    pub fn validate(&self) -> Result<Email, Vec<FieldError>> {
        Email::parse(&self.email).map_err(|e| vec![e.at("email")])
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct InviteResponse {
    pub id: InviteId,
    pub email: String,
    pub role: Role,
    /// Whether accepting needs a password (false once "Disable Passwords on
    /// Invites" is on; members then sign in through SSO).
    pub password_required: bool,
    #[serde(with = "crate::time::utc")]
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// The secret invite token: returned once, at creation, and stored only
    /// as a hash. Absent when the server emails invites itself
    /// (`signup_confirmation`): then only the invitee's mailbox has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The SPA page where the invitee accepts (`{public_url}/invite/{token}`);
    /// absent when the invite was emailed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept_url: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(default)]
#[cfg_attr(feature = "openapi", schema(example = json!({"token": "9fX2…", "name": "Milton Waddams", "password": "a long passphrase of his own"})))]
pub struct AcceptInviteRequest {
    #[cfg_attr(feature = "openapi", schema(required = true, min_length = 1))]
    pub token: String,
    #[cfg_attr(feature = "openapi", schema(required = true, min_length = 1, max_length = 100))]
    pub name: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 10, max_length = 256))]
    pub password: Option<String>,
}

/// What the invite page shows before the invitee accepts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct InvitePreview {
    pub organization_name: String,
    pub email: String,
    pub role: Role,
    pub password_required: bool,
    /// Whether the email already has an account (then its password is asked for).
    pub existing_account: bool,
    #[serde(with = "crate::time::utc")]
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// Whether the organization's Single Sign-On signs members in now (an
    /// invite without a password is used through it).
    #[serde(default)]
    pub sso_active: bool,
    /// The organization requires SSO for this email: no password is asked,
    /// not even an existing account's, and joining opens no session here —
    /// the member signs in through the organization's identity provider.
    #[serde(default)]
    pub sso_required: bool,
}

/// An accepted invite that passed every rule that does not need the database.
#[derive(Debug)]
pub struct ValidAcceptInvite {
    pub name: PersonName,
    pub password: Option<Password>,
}

impl AcceptInviteRequest {
    pub fn validate(&self) -> Result<ValidAcceptInvite, Vec<FieldError>> {
        let mut e = FieldErrors::new();
        if self.token.trim().is_empty() {
            e.push(FieldError::new("token", "required", "The invite link is incomplete."));
        }
        let name = e.check("name", PersonName::parse(&self.name));
        let password = match self.password.as_deref() {
            None | Some("") => Some(None),
            Some(p) => e.check("password", Password::parse(p)).map(Some),
        };
        match (name, password) {
            (Some(name), Some(password)) if e.is_empty() => Ok(ValidAcceptInvite { name, password }),
            _ => Err(e.into_vec()),
        }
    }
}

/// Answer to accepting an invite: the new membership and a signed-in
/// session, or, when the organization requires SSO for the email, no
/// session (`sso_required`: sign in through its identity provider next).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AcceptInviteResponse {
    pub organization: OrganizationSummary,
    pub user: UserSummary,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    #[serde(default)]
    pub sso_required: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signup_reports_every_bad_field() {
        let req = SignupRequest {
            organization_name: " ".into(),
            name: "Ada".into(),
            email: "not-an-email".into(),
            password: "short".into(),
        };
        let errors = req.validate().unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["organization_name", "email", "password"]);
    }

    #[test]
    fn accept_invite_password_is_optional_but_checked_when_given() {
        let mut req = AcceptInviteRequest { token: "t".into(), name: "Ada".into(), password: None };
        assert!(req.validate().unwrap().password.is_none());
        req.password = Some("short".into());
        assert_eq!(req.validate().unwrap_err()[0].code, "too_short");
        req.password = Some("long enough!".into());
        assert!(req.validate().unwrap().password.is_some());
    }
}
