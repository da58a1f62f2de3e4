//! Payment processors behind one trait, so a real one can be configured in
//! place of the sandbox.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};

use shared::billing::ValidCard;

pub struct Charge<'a> {
    pub amount: i64,
    pub currency: &'a str,
    pub card: &'a ValidCard,
    /// Sent to processors that deduplicate on their side too.
    pub idempotency_key: &'a str,
    pub description: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decline {
    /// Stable code, e.g. `card_declined`, `insufficient_funds`.
    pub code: &'static str,
    pub message: &'static str,
}

pub type ChargeResult = Result<String, Decline>;

pub trait PaymentGateway: Send + Sync + 'static {
    /// Charges the card; `Ok` carries the processor's reference.
    fn charge<'a>(
        &'a self,
        charge: Charge<'a>,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<ChargeResult>> + Send + 'a>>;

    /// For tests that look inside a concrete gateway.
    fn as_any(&self) -> &dyn Any;
}

/// The default gateway: behaves like a processor's test mode with its
/// documented test cards, and moves no money.
#[derive(Debug, Default)]
pub struct SandboxGateway {
    charges: AtomicU64,
}

impl SandboxGateway {
    /// Successful charges so far.
    pub fn charges(&self) -> u64 {
        self.charges.load(Ordering::SeqCst)
    }
}

impl PaymentGateway for SandboxGateway {
    fn charge<'a>(
        &'a self,
        charge: Charge<'a>,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<ChargeResult>> + Send + 'a>> {
        Box::pin(async move {
            let result = match charge.card.number.as_str() {
                "4000000000000002" => Err(Decline { code: "card_declined", message: "The card was declined." }),
                "4000000000009995" => {
                    Err(Decline { code: "insufficient_funds", message: "The card has insufficient funds." })
                }
                _ => {
                    let n = self.charges.fetch_add(1, Ordering::SeqCst) + 1;
                    Ok(format!("sandbox_ch_{}_{n}", chrono::Utc::now().timestamp_millis()))
                }
            };
            Ok(result)
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
