//! What every handler can reach.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::accounts::limiter::FailureLimiter;
use crate::auth::SigningKeys;
use crate::billing::gateway::PaymentGateway;
use crate::clock::Clock;
use crate::config::Settings;

pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Settings,
    /// Base for every URL the server hands out, without a trailing slash.
    pub public_url: String,
    pub keys: SigningKeys,
    /// The OpenID Provider's asymmetric signing keys (see `provider::keys`).
    pub provider_keys: crate::provider::keys::ProviderKeys,
    pub clock: Arc<dyn Clock>,
    pub login_failures: FailureLimiter,
    pub gateway: Arc<dyn PaymentGateway>,
    pub scim: crate::scim::Runtime,
    /// Serializes write transactions on SQLite (see `db::begin_write`).
    pub write_gate: Arc<tokio::sync::Mutex<()>>,
    /// Group commit for SCIM creates (see `db::batch`).
    pub batcher: crate::db::batch::Batcher,
    /// Open sessions looked up recently (see `auth::cache`).
    pub sessions: crate::auth::cache::AuthCache,
    /// Every server-side fetch goes through this client (see `guard::outbound`).
    pub outbound: crate::guard::outbound::Outbound,
    /// DNS lookups for domain verification (`dns_servers`).
    pub dns: crate::domains::verify::Dns,
    /// Password hashes, a few at a time (see `guard::heavy`).
    pub heavy: crate::guard::heavy::HeavyWork,
    /// SAML signature checks, a few at a time, apart from the hashes so
    /// that neither can starve the other.
    pub signatures: crate::guard::heavy::HeavyWork,
    /// Sign-up confirmations and invites (see `mail`).
    pub mailer: Arc<dyn crate::mail::Mailer>,
    /// Mails to one recipient (`MAILS_PER_RECIPIENT_PER_HOUR`): nobody can
    /// make the server mail-bomb an address or send it their text at will.
    pub mail_limit: crate::guard::rate::RateLimiter,
    /// Sign-ups are confirmed by mail and invites mailed (`signup_confirmation`).
    pub confirm_by_email: bool,
    /// Requests per client address to the public sign-in endpoints.
    pub auth_limit: crate::guard::rate::RateLimiter,
}

impl AppState {
    /// The `iss` of every token this deployment issues.
    pub fn issuer(&self) -> &str {
        &self.public_url
    }

    /// Counts one request from this client to a public sign-in endpoint;
    /// 429 with `Retry-After` past `auth_requests_per_minute`.
    pub fn limit_auth(&self, meta: &crate::audit::RequestMeta) -> Result<(), crate::error::AppError> {
        let key = crate::guard::client_ip::rate_key(meta.ip.as_deref());
        self.auth_limit.check(&key, self.clock.now()).map_err(|retry_after_secs| {
            crate::error::AppError::TooManyRequests {
                retry_after_secs,
                detail: "Too many sign-in requests from your network. Wait a minute and try again.".to_owned(),
            }
        })
    }

    /// A transaction for a change (see `db::begin_write`).
    pub async fn begin_write(&self) -> Result<crate::db::WriteTxn, sea_orm::DbErr> {
        crate::db::begin_write(&self.db, &self.write_gate).await
    }
}
