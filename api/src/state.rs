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
}

impl AppState {
    /// The `iss` of every token this deployment issues.
    pub fn issuer(&self) -> &str {
        &self.public_url
    }

    /// A transaction for a change (see `db::begin_write`).
    pub async fn begin_write(&self) -> Result<crate::db::WriteTxn, sea_orm::DbErr> {
        crate::db::begin_write(&self.db, &self.write_gate).await
    }
}
