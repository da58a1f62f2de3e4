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
}

impl AppState {
    /// The `iss` of every token this deployment issues.
    pub fn issuer(&self) -> &str {
        &self.public_url
    }
}
