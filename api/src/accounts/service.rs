//! Account rules: each public function is one transaction.

use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Set, sea_query::Expr,
};
use shared::accounts::{
    AcceptInviteResponse, InvitePreview, InviteResponse, MeResponse, Member, MembersResponse, Membership,
    OrganizationSummary, Role, SignupPending, SignupResponse, UserSummary, ValidAcceptInvite, ValidSignup,
};
use shared::page::PageQuery;
use shared::provisioning::IntegrationStatus;
use shared::validation::Email;
use shared::{InviteId, OrganizationId, SessionId, UserId};

use super::entity::{invite, membership, organization, session, signup_request, user};
use super::{members, password};
use crate::audit::{self, Actor, Event, RequestMeta};
use crate::auth::tokens::{ACCESS_AUDIENCE, ACCESS_TYP, AccessClaims, random_token, sign};
use crate::db::OrganizationScoped;
use crate::error::{AppError, AppResult, on_unique};
use crate::events::NewEvent;
use crate::sso::enforcement::{self, PasswordPolicy};
use crate::state::AppState;
use shared::events::Source;

pub const INVITE_TTL_DAYS: i64 = 7;

fn email_taken() -> AppError {
    AppError::conflict("email_taken", "An account with this email already exists. Sign in instead.")
}

fn invalid_credentials() -> AppError {
    AppError::unauthorized("invalid_credentials", "The email or password is incorrect.")
}

fn user_summary(u: &user::Model) -> AppResult<UserSummary> {
    Ok(UserSummary { id: parse_id(&u.id)?, email: u.email.clone(), name: u.name.clone() })
}

/// IDs read back from our own database are well-formed; if one is not, that
/// is a server fault, not the caller's.
pub fn parse_id<T: std::str::FromStr<Err = shared::ids::IdError>>(s: &str) -> AppResult<T> {
    s.parse().map_err(|e| AppError::Internal(anyhow::anyhow!("stored id {s:?}: {e}")))
}

/// A new session for `user_id`, and the access token naming it.
pub struct NewSession {
    pub access_token: String,
    pub expires_in: i64,
}

/// How a session was opened: Require SSO ends every session but those an
/// identity provider opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionMethod {
    Password,
    /// Accepting an invite (with a password, or holding the link).
    Invite,
    Sso,
}

impl SessionMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionMethod::Password => "password",
            SessionMethod::Invite => "invite",
            SessionMethod::Sso => "sso",
        }
    }
}

/// `scope`: the organization the session opens alone (the one whose
/// identity provider signed the user in, or whose invite they accepted);
/// `None` for a password sign-in, which opens all of the account's.
pub(crate) async fn open_session(
    db: &impl ConnectionTrait,
    state: &AppState,
    user_id: &str,
    scope: Option<&str>,
    method: SessionMethod,
) -> AppResult<NewSession> {
    let now = state.clock.now();
    let ttl = state.settings.access_token_ttl_secs;
    let expires_at = now + Duration::seconds(ttl);
    let id = SessionId::generate();
    session::ActiveModel {
        id: Set(id.to_string()),
        user_id: Set(user_id.to_owned()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        organization_id: Set(scope.map(str::to_owned)),
        method: Set(method.as_str().to_owned()),
    }
    .insert(db)
    .await?;
    let claims = AccessClaims {
        iss: state.issuer().to_owned(),
        aud: ACCESS_AUDIENCE.to_owned(),
        sub: user_id.to_owned(),
        sid: id.to_string(),
        iat: now.timestamp(),
        exp: expires_at.timestamp(),
    };
    Ok(NewSession { access_token: sign(&state.keys, ACCESS_TYP, &claims)?, expires_in: ttl })
}

/// A new organization, its `organization.created` audit entry (the log
/// starts with it) and event; `by`: who (a user or key id) and how.
async fn insert_organization(
    txn: &impl ConnectionTrait,
    meta: &RequestMeta,
    name: String,
    now: chrono::DateTime<chrono::Utc>,
    by: (&str, Source),
    details: serde_json::Value,
) -> AppResult<organization::Model> {
    let org = organization::ActiveModel {
        id: Set(OrganizationId::generate()),
        name: Set(name),
        disable_passwords_on_invites: Set(false),
        default_plan_id: Set(None),
        sso_required: Set(false),
        created_at: Set(now),
    }
    .insert(txn)
    .await?;
    let event = Event {
        organization_id: org.id.as_str(),
        actor: by.0,
        action: "organization.created",
        target: &org.name,
        details,
    };
    audit::record(txn, meta, now, event).await?;
    let data = serde_json::json!({ "id": org.id, "name": org.name, "created_at": org.created_at });
    crate::events::emit(
        txn,
        NewEvent::new("organization.created", org.id.as_str(), org.id.as_str(), data).by(by.1),
        now,
    )
    .await?;
    Ok(org)
}

async fn insert_user(
    db: &impl ConnectionTrait,
    state: &AppState,
    email: String,
    name: String,
    password_hash: Option<String>,
) -> AppResult<user::Model> {
    let id = UserId::generate();
    let account = members::NewAccount {
        id: &id,
        email: &email,
        name: &name,
        password_hash,
        provisioned_by: None,
        now: state.clock.now(),
    };
    members::create_account(db, account).await.map_err(|e| on_unique(e, email_taken))
}

async fn insert_membership(
    db: &impl ConnectionTrait,
    state: &AppState,
    org_id: &OrganizationId,
    user_id: &UserId,
    role: Role,
) -> AppResult<membership::Model> {
    let member = members::NewMember {
        org_id,
        user_id,
        role,
        plan_id: None,
        suspended: false,
        directory_managed: false,
        now: state.clock.now(),
    };
    members::add_member(db, member)
        .await
        .map_err(|e| on_unique(e, || AppError::conflict("already_member", "This person is already a member.")))
}

async fn find_user_by_email(db: &impl ConnectionTrait, email: &str) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find().filter(user::Column::Email.eq(email)).one(db).await?)
}

/// Creates the organization, its first Administrator and a session, in
/// `txn`.
async fn create_organization(
    txn: &impl ConnectionTrait,
    state: &AppState,
    meta: &RequestMeta,
    (organization_name, name, email): (String, String, String),
    password_hash: String,
) -> AppResult<(SignupResponse, NewSession)> {
    let now = state.clock.now();
    let user = insert_user(txn, state, email, name, Some(password_hash)).await?;
    let details = serde_json::json!({ "email": user.email });
    let org =
        insert_organization(txn, meta, organization_name, now, (user.id.as_str(), Source::Signup), details).await?;
    let member = insert_membership(txn, state, &org.id, &user.id, Role::Admin).await?;
    crate::events::emit(txn, members::event("member.created", &member, (&user.email, &user.name), Source::Signup), now)
        .await?;
    let session = open_session(txn, state, &user.id, None, SessionMethod::Password).await?;
    let response = SignupResponse {
        organization: OrganizationSummary { id: org.id.clone(), name: org.name },
        user: user_summary(&user)?,
        access_token: session.access_token.clone(),
    };
    Ok((response, session))
}

/// Creates the organization, its first Administrator and a session at once
/// (`signup_confirmation` off).
pub async fn signup(state: &AppState, meta: &RequestMeta, v: ValidSignup) -> AppResult<(SignupResponse, NewSession)> {
    let email = v.email.into_string();
    if find_user_by_email(&state.db, &email).await?.is_some() {
        return Err(email_taken());
    }
    let hash = password::hash(&state.heavy, v.password.expose().to_owned()).await?;
    let txn = state.begin_write().await?;
    let entered = (v.organization_name.into_string(), v.name.into_string(), email);
    let created = create_organization(&txn, state, meta, entered, hash).await?;
    txn.commit().await?;
    Ok(created)
}

/// How long a sign-up confirmation link works.
pub const SIGNUP_TTL_HOURS: i64 = 24;

/// A sign-up confirmed by mail (`signup_confirmation`): the answer is the
/// same whether or not the address has an account, and so is the work (the
/// password is hashed either way); the mail says which — a link that
/// creates the organization, or a note that the account exists and where
/// to sign in.
pub async fn request_signup(state: &AppState, v: ValidSignup) -> AppResult<SignupPending> {
    let email = v.email.into_string();
    let hash = password::hash(&state.heavy, v.password.expose().to_owned()).await?;
    let now = state.clock.now();
    // Unconfirmed sign-ups go once expired (indexed): anonymous requests
    // cannot grow the table past what the per-address limit lets in a day.
    if let Err(wait) = state.mail_limit.check(&email, now) {
        // Answered already (202): the address just gets no more mail now.
        tracing::info!(retry_after_secs = wait, "sign-up: this address was mailed too often; no mail sent");
        return Ok(SignupPending { confirmation_sent_to: email });
    }
    let txn = state.begin_write().await?;
    signup_request::Entity::delete_many().filter(signup_request::Column::ExpiresAt.lt(now)).exec(&txn).await?;
    let mail = if find_user_by_email(&txn, &email).await?.is_some() {
        crate::mail::Mail {
            to: email.clone(),
            subject: "You already have a Gatehouse account".to_owned(),
            body: format!(
                "Someone, maybe you, tried to create an organization on Gatehouse with {email}.\n\n\
                 You already have an account: sign in at {}/login.\n\n\
                 If it was not you, you can ignore this message; nothing was changed.",
                state.public_url
            ),
        }
    } else {
        let token = random_token();
        let organization_name = v.organization_name.into_string();
        signup_request::ActiveModel {
            id: Set(random_token()),
            token_hash: Set(token_hash(&token)),
            email: Set(email.clone()),
            name: Set(v.name.into_string()),
            organization_name: Set(organization_name.clone()),
            password_hash: Set(hash),
            expires_at: Set(now + Duration::hours(SIGNUP_TTL_HOURS)),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        crate::mail::Mail {
            to: email.clone(),
            subject: format!("Confirm your email to create {organization_name}"),
            body: format!(
                "Open this link within {SIGNUP_TTL_HOURS} hours to create {organization_name} on Gatehouse and \
                 become its first Administrator:\n\n{}/signup/confirm/{token}\n\n\
                 If you did not sign up, ignore this message.",
                state.public_url
            ),
        }
    };
    txn.commit().await?;
    state.mailer.send(mail).await.map_err(AppError::Internal)?;
    Ok(SignupPending { confirmation_sent_to: email })
}

fn signup_link_unknown() -> AppError {
    AppError::NotFoundWith {
        code: "signup_link_unknown",
        detail: "This confirmation link is unknown or was already used. Sign in, or sign up again.".to_owned(),
    }
}

/// The sign-up an emailed link's token names, while it can be confirmed.
pub async fn pending_signup(state: &AppState, token: &str) -> AppResult<signup_request::Model> {
    let pending = signup_request::Entity::find()
        .filter(signup_request::Column::TokenHash.eq(token_hash(token.trim())))
        .one(&state.db)
        .await?
        .ok_or_else(signup_link_unknown)?;
    if pending.expires_at <= state.clock.now() {
        return Err(AppError::gone("signup_link_expired", "This confirmation link has expired. Sign up again."));
    }
    Ok(pending)
}

/// The emailed link's token and the password chosen at sign-up: creates
/// what the sign-up asked for, once. The password is checked as a sign-in
/// is (the per-email limit), so a link is no way to guess it either.
pub async fn confirm_signup(
    state: &AppState,
    meta: &RequestMeta,
    token: &str,
    password: String,
) -> AppResult<(SignupResponse, NewSession)> {
    let pending = pending_signup(state, token).await?;
    let key = pending.email.to_lowercase();
    state.login_failures.attempt(&key, state.clock.now()).map_err(|retry_after_secs| AppError::TooManyRequests {
        retry_after_secs,
        detail: "Too many wrong passwords for this email. Wait a minute and try again.".to_owned(),
    })?;
    if !password::verify(&state.heavy, password, Some(pending.password_hash.clone())).await? {
        return Err(AppError::field(
            "password",
            "wrong_password",
            "This is not the password chosen when signing up. Enter that one, or sign up again.",
        ));
    }
    state.login_failures.clear(&key);
    let txn = state.begin_write().await?;
    // Used once: of two concurrent confirmations, one deletes the row.
    let claimed = signup_request::Entity::delete_by_id(pending.id.as_str()).exec(&txn).await?;
    if claimed.rows_affected != 1 {
        return Err(signup_link_unknown());
    }
    let entered = (pending.organization_name, pending.name, pending.email);
    let created = create_organization(&txn, state, meta, entered, pending.password_hash).await?;
    txn.commit().await?;
    Ok(created)
}

/// Records a sign-in attempt in the audit log of each organization the
/// account belongs to (an unknown email belongs to none).
async fn audit_login(
    state: &AppState,
    meta: &RequestMeta,
    user: &user::Model,
    ok: bool,
    method: &str,
    refused: Option<&str>,
) -> AppResult<()> {
    let orgs =
        membership::Entity::find().filter(membership::Column::UserId.eq(user.id.as_str())).all(&state.db).await?;
    let now = state.clock.now();
    for m in orgs {
        let event = Event {
            organization_id: &m.organization_id,
            actor: &user.id,
            action: if ok { "login.succeeded" } else { "login.failed" },
            target: &user.email,
            details: match refused {
                Some(reason) => serde_json::json!({ "method": method, "refused": reason }),
                None => serde_json::json!({ "method": method }),
            },
        };
        audit::record(&state.db, meta, now, event).await?;
    }
    Ok(())
}

/// Checks an account's password: every path that does so is a sign-in
/// (`method`: `password` for the login, `invite` for an existing account
/// joining an organization), with one limit and one audit trail. An
/// attempt for the email is reserved before the hash is computed (10 a
/// minute, atomically, so concurrent guesses cannot slip past), every
/// outcome is recorded in the account's organizations, and an unknown
/// email costs the same hash and gets the same answer.
/// `continue_to`: an application's request a refused password's SSO
/// sign-in continues with (Require SSO).
async fn check_password(
    state: &AppState,
    meta: &RequestMeta,
    email: &str,
    password: String,
    method: &str,
    continue_to: Option<&str>,
) -> AppResult<user::Model> {
    // Every account's email passed `Email::parse` and is stored in its
    // canonical form (the domain in IDNA ASCII): anything else matches no
    // one (and is not sent to the database), but costs the same to refuse.
    let parsed = Email::parse(email).ok();
    let valid = parsed.is_some();
    let key = parsed.map(Email::into_string).unwrap_or_else(|| email.trim().to_lowercase());
    let now = state.clock.now();
    state.login_failures.attempt(&key, now).map_err(|retry_after_secs| AppError::TooManyRequests {
        retry_after_secs,
        detail: "Too many failed sign-in attempts for this email. Wait a minute and try again.".to_owned(),
    })?;
    let user = if valid { find_user_by_email(&state.db, &key).await? } else { None };
    let ok = password::verify(&state.heavy, password, user.as_ref().and_then(|u| u.password_hash.clone())).await?;
    let Some(user) = user else {
        return Err(invalid_credentials());
    };
    // A right password still signs in only where Require SSO allows it.
    let policy = if ok { enforcement::password_policy(&state.db, &user).await? } else { PasswordPolicy::Allowed };
    if let PasswordPolicy::SsoRequired(org_id) = policy {
        audit_login(state, meta, &user, false, method, Some("sso_required")).await?;
        return Err(enforcement::sso_required(state, &org_id, &user, continue_to).await);
    }
    audit_login(state, meta, &user, ok, method, None).await?;
    if !ok {
        return Err(invalid_credentials());
    }
    if let PasswordPolicy::BreakGlass(org_id) = policy {
        enforcement::record_break_glass_use(state, meta, &org_id, &user, method).await?;
    }
    state.login_failures.clear(&key);
    Ok(user)
}

/// Checks the password and opens a session.
pub async fn login(
    state: &AppState,
    meta: &RequestMeta,
    email: &str,
    password: String,
    continue_to: Option<&str>,
) -> AppResult<(UserSummary, NewSession)> {
    let user = check_password(state, meta, email, password, "password", continue_to).await?;
    let session = open_session(&state.db, state, &user.id, None, SessionMethod::Password).await?;
    Ok((user_summary(&user)?, session))
}

pub async fn logout(state: &AppState, session_id: &SessionId) -> AppResult<()> {
    let txn = state.begin_write().await?;
    crate::accounts::members::end_session(&*txn, session_id.as_str(), state.clock.now()).await?;
    txn.commit().await?;
    state.sessions.forget_session(session_id.as_str());
    Ok(())
}

pub async fn me(state: &AppState, user_id: &UserId, scope: Option<&str>) -> AppResult<MeResponse> {
    let user = user::Entity::find_by_id(user_id.clone()).one(&state.db).await?.ok_or(AppError::NotFound)?;
    let rows = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id.as_str()))
        // A session opened by an organization's SSO opens that one only.
        .apply_if(scope, |q, org| q.filter(membership::Column::OrganizationId.eq(org)))
        // A suspended member cannot open the organization, so it is not listed.
        .filter(membership::Column::SuspendedAt.is_null())
        .order_by_asc(membership::Column::CreatedAt)
        .find_also_related(organization::Entity)
        .all(&state.db)
        .await?;
    let memberships = rows
        .into_iter()
        .filter_map(|(m, org)| org.map(|o| (m, o)))
        .map(|(m, org)| Ok(Membership { organization_id: org.id, organization_name: org.name, role: m.role }))
        .collect::<AppResult<Vec<_>>>()?;
    let applications = if memberships.is_empty() {
        Vec::new()
    } else {
        crate::provider::clients::applications(state).await.map_err(AppError::Internal)?
    };
    Ok(MeResponse { user: user_summary(&user)?, memberships, applications })
}

/// One page of the organization's members in joining order (keyset on
/// `created_at, user_id`, indexed).
pub async fn members(state: &AppState, org_id: &OrganizationId, query: &PageQuery) -> AppResult<MembersResponse> {
    let mut select = membership::Entity::find_in(org_id.as_str())
        .order_by_asc(membership::Column::CreatedAt)
        .order_by_asc(membership::Column::UserId)
        .limit(query.rows_to_read());
    if let Some(cursor) = query.after() {
        let (joined, user_id) = MemberCursor::parse(cursor).ok_or_else(AppError::invalid_cursor)?;
        // `created_at >= joined` is implied by the rest; it lets the index
        // start at the cursor instead of at the organization's first member.
        select = select.filter(membership::Column::CreatedAt.gte(joined)).filter(
            Condition::any().add(membership::Column::CreatedAt.gt(joined)).add(
                Condition::all()
                    .add(membership::Column::CreatedAt.eq(joined))
                    .add(membership::Column::UserId.gt(user_id.as_str())),
            ),
        );
    }
    let rows = select.find_also_related(user::Entity).all(&state.db).await?;
    let (rows, next_cursor) = query.finish(rows, |(m, _)| MemberCursor::of(m));
    let data = rows.into_iter().filter_map(|(m, u)| u.map(|u| member_view(m, u))).collect();
    Ok(MembersResponse { data, next_cursor })
}

/// A member as the API shows it.
pub(super) fn member_view(m: membership::Model, u: user::Model) -> Member {
    Member {
        user_id: u.id,
        email: u.email,
        name: u.name,
        role: m.role,
        joined_at: m.created_at,
        plan_id: m.plan_id,
        suspended: m.suspended_at.is_some(),
        directory_managed: m.directory_managed,
    }
}

/// The members list's cursor: the last member's joining time (Unix
/// nanoseconds) and user id, `{nanos}.{usr_…}`.
struct MemberCursor;

impl MemberCursor {
    fn of(m: &membership::Model) -> String {
        format!("{}.{}", m.created_at.timestamp_nanos_opt().unwrap_or_default(), m.user_id)
    }

    fn parse(cursor: &str) -> Option<(chrono::DateTime<chrono::Utc>, UserId)> {
        let (nanos, user_id) = cursor.split_once('.')?;
        let joined = chrono::DateTime::from_timestamp_nanos(nanos.parse().ok()?);
        Some((joined, UserId::parse(user_id).ok()?))
    }
}

pub(super) use crate::auth::tokens::digest as token_hash;

/// A service key creates an organization (`POST /api/v1/organizations`): the
/// organization and an invite for its first Administrator, in one
/// transaction, both audited with the key as actor; then the invite is mailed.
pub async fn create_organization_by_key(
    state: &AppState,
    key_id: &str,
    meta: &RequestMeta,
    name: shared::validation::OrganizationName,
    admin_email: Email,
) -> AppResult<OrganizationSummary> {
    let now = state.clock.now();
    invite_mail_allowed(state, admin_email.as_str(), now)?;
    let token = random_token();
    let txn = state.begin_write().await?;
    let details = serde_json::json!({ "email": admin_email.as_str(), "by": "service_key" });
    let org = insert_organization(&txn, meta, name.into_string(), now, (key_id, Source::Api), details).await?;
    let invite = NewInvite { email: admin_email.into_string(), role: Role::Admin, password_required: true };
    let row = insert_invite(&txn, meta, org.id.clone(), invite, key_id, &token, now).await?;
    txn.commit().await?;
    let summary = OrganizationSummary { id: org.id.clone(), name: org.name.clone() };
    deliver_invite(state, row, &org.name, token).await?;
    Ok(summary)
}

/// Every organization, oldest first (keyset on `created_at, id`).
pub async fn organizations(state: &AppState, query: &PageQuery) -> AppResult<shared::accounts::OrganizationsResponse> {
    let mut select = organization::Entity::find()
        .order_by_asc(organization::Column::CreatedAt)
        .order_by_asc(organization::Column::Id)
        .limit(query.rows_to_read());
    if let Some(cursor) = query.after() {
        let (created, id) = cursor
            .split_once('.')
            .and_then(|(nanos, id)| Some((chrono::DateTime::from_timestamp_nanos(nanos.parse().ok()?), id)))
            .filter(|(_, id)| OrganizationId::parse(id).is_ok())
            .ok_or_else(AppError::invalid_cursor)?;
        select = select.filter(organization::Column::CreatedAt.gte(created)).filter(
            Condition::any().add(organization::Column::CreatedAt.gt(created)).add(
                Condition::all()
                    .add(organization::Column::CreatedAt.eq(created))
                    .add(organization::Column::Id.gt(id.to_owned())),
            ),
        );
    }
    let rows = select.all(&state.db).await?;
    let (rows, next_cursor) =
        query.finish(rows, |o| format!("{}.{}", o.created_at.timestamp_nanos_opt().unwrap_or_default(), o.id));
    let data = rows
        .into_iter()
        .map(|o| shared::accounts::OrganizationItem { id: o.id, name: o.name, created_at: o.created_at })
        .collect();
    Ok(shared::accounts::OrganizationsResponse { data, next_cursor })
}

struct NewInvite {
    email: String,
    role: Role,
    password_required: bool,
}

/// An invite's row (its token stored as a digest) and its `invite.sent`
/// audit event, in `txn`; `invited_by`: a user id or a service key id.
async fn insert_invite(
    txn: &impl ConnectionTrait,
    meta: &RequestMeta,
    org_id: OrganizationId,
    new: NewInvite,
    invited_by: &str,
    token: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<invite::Model> {
    let row = invite::ActiveModel {
        id: Set(InviteId::generate().to_string()),
        organization_id: Set(org_id),
        email: Set(new.email),
        role: Set(new.role),
        token_hash: Set(token_hash(token)),
        password_required: Set(new.password_required),
        invited_by: Set(invited_by.to_owned()),
        expires_at: Set(now + Duration::days(INVITE_TTL_DAYS)),
        accepted_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
    }
    .insert(txn)
    .await?;
    let event = Event {
        organization_id: row.organization_id.as_str(),
        actor: invited_by,
        action: "invite.sent",
        target: &row.email,
        details: serde_json::json!({ "invite_id": row.id, "role": row.role, "password_required": row.password_required }),
    };
    audit::record(txn, meta, now, event).await?;
    let source = crate::events::source_of_id(invited_by);
    invite_event(txn, "invite.sent", &row, source, now).await?;
    Ok(row)
}

/// An invite's event (`invite.sent`, `invite.resent`, `invite.revoked`,
/// `invite.accepted`): the invite as it is now, never its token.
pub async fn invite_event(
    db: &impl ConnectionTrait,
    kind: &'static str,
    row: &invite::Model,
    source: Source,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let data = serde_json::json!({
        "id": row.id, "organization_id": row.organization_id, "email": row.email, "role": row.role,
        "password_required": row.password_required, "invited_by": row.invited_by,
        "expires_at": row.expires_at, "created_at": row.created_at,
        "accepted_at": row.accepted_at, "revoked_at": row.revoked_at,
    });
    let event = NewEvent::new(kind, row.organization_id.as_str(), row.id.as_str(), data).by(source);
    crate::events::emit(db, event, now).await
}

pub async fn create_invite(
    state: &AppState,
    actor: &Actor<'_>,
    org_id: &OrganizationId,
    email: Email,
    role: Role,
) -> AppResult<InviteResponse> {
    let org = organization::get(&state.db, org_id.as_str()).await?;
    if let Some(u) = find_user_by_email(&state.db, email.as_str()).await? {
        let member = members::find(&state.db, &org.id, &u.id).await?;
        if member.is_some() {
            return Err(AppError::conflict("already_member", "This person is already a member of the organization."));
        }
    }
    let now = state.clock.now();
    invite_mail_allowed(state, email.as_str(), now)?;
    let sso_only = enforcement::covers(&state.db, org.id.as_str(), email.as_str()).await?;
    let token = random_token();
    let txn = state.begin_write().await?;
    let org_name = org.name.clone();
    // Require SSO covers the email: the member signs in through SSO only.
    let password_required = !org.disable_passwords_on_invites && !sso_only;
    let invite = NewInvite { email: email.into_string(), role, password_required };
    let row = insert_invite(&txn, actor.meta, org.id, invite, actor.id(), &token, now).await?;
    txn.commit().await?;
    deliver_invite(state, row, &org_name, token).await
}

/// With mail on, an address gets a few invite mails an hour at most.
pub(super) fn invite_mail_allowed(state: &AppState, email: &str, now: chrono::DateTime<chrono::Utc>) -> AppResult<()> {
    if state.confirm_by_email {
        state.mail_limit.check(email, now).map_err(|retry_after_secs| AppError::TooManyRequests {
            retry_after_secs,
            detail: "This address was sent several mails in the last hour. Try again later.".to_owned(),
        })?;
    }
    Ok(())
}

/// Sends the invite's link. With mail on, only the invitee's mailbox gets
/// it: whoever invites cannot use it to learn about the account or to guess
/// its password; otherwise the response carries it, once.
pub(super) async fn deliver_invite(
    state: &AppState,
    row: invite::Model,
    org_name: &str,
    token: String,
) -> AppResult<InviteResponse> {
    let accept_url = format!("{}/invite/{token}", state.public_url);
    let (token, accept_url) = if state.confirm_by_email {
        let mail = crate::mail::Mail {
            to: row.email.clone(),
            subject: format!("You are invited to {org_name} on Gatehouse"),
            body: format!(
                "You are invited to join {org_name} on Gatehouse as {}. The invitation works once, until {} UTC:\n\n\
                 {accept_url}\n\nIf you did not expect it, ignore this message.",
                row.role.label(),
                row.expires_at.format("%Y-%m-%d %H:%M")
            ),
        };
        state.mailer.send(mail).await.map_err(AppError::Internal)?;
        (None, None)
    } else {
        (Some(token), Some(accept_url))
    };
    Ok(InviteResponse {
        id: crate::accounts::service::parse_id(&row.id)?,
        email: row.email,
        role: row.role,
        password_required: row.password_required,
        expires_at: row.expires_at,
        accept_url,
        token,
    })
}

/// A usable invite by its token: unknown → 404, used or expired → 410.
async fn usable_invite(state: &AppState, token: &str) -> AppResult<invite::Model> {
    let inv = invite::Entity::find()
        .filter(invite::Column::TokenHash.eq(token_hash(token.trim())))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    if inv.accepted_at.is_some() {
        return Err(AppError::gone("invite_used", "This invite has already been accepted. Sign in instead."));
    }
    if inv.revoked_at.is_some() {
        return Err(AppError::gone("invite_revoked", "This invite was revoked. Ask an Administrator for a new one."));
    }
    if inv.expires_at <= state.clock.now() {
        return Err(AppError::gone("invite_expired", "This invite has expired. Ask an Administrator for a new one."));
    }
    Ok(inv)
}

pub async fn preview_invite(state: &AppState, token: &str) -> AppResult<InvitePreview> {
    let inv = usable_invite(state, token).await?;
    let org = organization::get(&state.db, inv.organization_id.as_str()).await?;
    let existing_account = find_user_by_email(&state.db, &inv.email).await?.is_some();
    let sso_required = enforcement::covers(&state.db, inv.organization_id.as_str(), &inv.email).await?;
    let sso = crate::features::status(&state.db, &inv.organization_id, shared::provisioning::Feature::Sso).await?;
    Ok(InvitePreview {
        organization_name: org.name,
        email: inv.email,
        role: inv.role,
        password_required: inv.password_required && !sso_required,
        existing_account,
        sso_required,
        expires_at: inv.expires_at,
        // `error` still signs members in (a success clears it).
        sso_active: matches!(sso, IntegrationStatus::Active | IntegrationStatus::Error),
    })
}

/// Joins the invite's organization: creates the account, or, for an email
/// that already has one, adds the membership after checking its password
/// as a sign-in does (same limit, same audit: holding an invite token must
/// never be enough to sign in as someone, nor a way to guess passwords).
/// The session it opens reaches the invited organization only.
pub async fn accept_invite(
    state: &AppState,
    meta: &RequestMeta,
    token: &str,
    v: ValidAcceptInvite,
) -> AppResult<(AcceptInviteResponse, Option<NewSession>)> {
    let now = state.clock.now();
    let inv = usable_invite(state, token).await?;
    let existing = find_user_by_email(&state.db, &inv.email).await?;
    let password = v.password.map(|p| p.expose().to_owned());
    // Require SSO covers the email: a new account gets no password, an
    // existing one still proves itself with its own, and no session opens
    // here; the identity provider signs the member in.
    let sso_only = enforcement::covers(&state.db, inv.organization_id.as_str(), &inv.email).await?;
    let new_hash = match (&existing, password) {
        (None, Some(_)) if sso_only => {
            return Err(AppError::field(
                "password",
                "password_not_allowed",
                "This organization requires single sign-on for your address: join without a password, then sign in through SSO.",
            ));
        }
        (None, None) if sso_only => None,
        (Some(u), Some(p)) => {
            check_password(state, meta, &u.email, p, "invite", None).await?;
            None
        }
        (Some(_), None) => {
            return Err(AppError::field(
                "password",
                "required",
                "You already have an account: enter its password to join.",
            ));
        }
        // "Disable Passwords on Invites" was on when it was sent: the new
        // account has no password; the member signs in through SSO.
        (None, Some(_)) if !inv.password_required => {
            return Err(AppError::field(
                "password",
                "password_not_allowed",
                "This organization's members sign in through its single sign-on, so this invite sets no password.",
            ));
        }
        (None, Some(p)) => Some(password::hash(&state.heavy, p).await?),
        (None, None) if inv.password_required => {
            return Err(AppError::field("password", "required", "Choose a password."));
        }
        (None, None) => None,
    };

    let txn = state.begin_write().await?;
    // Claim the invite first: of two concurrent accepts, one wins.
    let claimed = invite::Entity::update_many()
        .col_expr(invite::Column::AcceptedAt, Expr::value(now))
        .filter(invite::Column::Id.eq(inv.id.as_str()))
        // Not accepted, revoked or resent (a new token) in the meantime.
        .filter(invite::Column::TokenHash.eq(inv.token_hash.as_str()))
        .filter(invite::Column::AcceptedAt.is_null())
        .filter(invite::Column::RevokedAt.is_null())
        .filter(invite::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        // Accepted, revoked, resent or expired meanwhile: say which.
        drop(txn);
        return Err(usable_invite(state, token).await.err().unwrap_or_else(|| {
            AppError::gone("invite_used", "This invite has already been accepted. Sign in instead.")
        }));
    }
    let user = match existing {
        Some(u) => u,
        None => insert_user(&txn, state, inv.email.clone(), v.name.into_string(), new_hash).await?,
    };
    let role = inv.role;
    let accepted = invite::Model { accepted_at: Some(now), ..inv.clone() };
    invite_event(&txn, "invite.accepted", &accepted, Source::Invite, now).await?;
    let member = insert_membership(&txn, state, &inv.organization_id, &user.id, role).await?;
    crate::events::emit(
        &txn,
        members::event("member.created", &member, (&user.email, &user.name), Source::Invite),
        now,
    )
    .await?;
    let org = organization::get(&txn, inv.organization_id.as_str()).await?;
    let session = if sso_only {
        // Now bound to SSO: the account's password sessions end too.
        enforcement::end_non_sso_sessions(&txn, inv.organization_id.as_str(), Some(user.id.as_str()), now).await?;
        None
    } else {
        Some(open_session(&txn, state, &user.id, Some(inv.organization_id.as_str()), SessionMethod::Invite).await?)
    };
    txn.commit().await?;
    // The user's other sessions see the new membership at once.
    state.sessions.forget_user(&user.id);
    let response = AcceptInviteResponse {
        organization: OrganizationSummary { id: org.id.clone(), name: org.name },
        user: user_summary(&user)?,
        role,
        access_token: session.as_ref().map(|s| s.access_token.clone()),
        sso_required: sso_only,
    };
    Ok((response, session))
}
