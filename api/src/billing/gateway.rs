//! Payment processors behind one trait, so a real one can be configured in
//! place of the sandbox.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use shared::billing::ValidCard;

pub struct Charge<'a> {
    pub amount: i64,
    pub currency: &'a str,
    pub card: &'a ValidCard,
    /// The processor deduplicates on it: a second charge with the same key
    /// answers the first one's reference and moves no money.
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

    /// A test gateway that moves no money (the SPA shows a test-mode banner).
    fn test_mode(&self) -> bool {
        false
    }
}

/// The default gateway: behaves like a processor's test mode with its
/// documented test cards (and, like one, answers a repeated idempotency key
/// with the first charge), and moves no money.
#[derive(Debug, Default)]
pub struct SandboxGateway {
    charges: AtomicU64,
    /// Idempotency key → reference of its successful charge.
    by_key: Mutex<HashMap<String, String>>,
}

/// Beyond this many remembered keys the sandbox starts over (memory bound).
const MAX_KEYS: usize = 100_000;

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
                // A processor refuses a number no issuer gives out, whatever
                // checks ran before it.
                n if shared::billing::check_card_number(n).is_err() => {
                    Err(Decline { code: "incorrect_number", message: "The card number is incorrect." })
                }
                "4000000000000002" => Err(Decline { code: "card_declined", message: "The card was declined." }),
                "4000000000009995" => {
                    Err(Decline { code: "insufficient_funds", message: "The card has insufficient funds." })
                }
                _ => {
                    let mut by_key = self.by_key.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    if let Some(reference) = by_key.get(charge.idempotency_key) {
                        return Ok(Ok(reference.clone()));
                    }
                    let n = self.charges.fetch_add(1, Ordering::SeqCst) + 1;
                    let reference = format!("sandbox_ch_{}_{n}", chrono::Utc::now().timestamp_millis());
                    if by_key.len() >= MAX_KEYS {
                        by_key.clear();
                    }
                    by_key.insert(charge.idempotency_key.to_owned(), reference.clone());
                    Ok(reference)
                }
            };
            Ok(result)
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn test_mode(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Like a processor's: the same key answers the first charge's reference
    /// and moves no money again; another key is another charge.
    #[tokio::test]
    async fn a_repeated_idempotency_key_is_not_charged_again() {
        let card = shared::billing::Payment {
            card_number: "4242 4242 4242 4242".into(),
            exp_month: 12,
            exp_year: 2031,
            cvc: "123".into(),
            cardholder_name: "Ada".into(),
        }
        .validate(2026, 11)
        .unwrap();
        let gateway = SandboxGateway::default();
        let charge = |key| Charge { amount: 100, currency: "usd", card: &card, idempotency_key: key, description: "x" };
        let first = gateway.charge(charge("org_a/k")).await.unwrap().unwrap();
        assert_eq!(gateway.charge(charge("org_a/k")).await.unwrap().unwrap(), first);
        assert_eq!(gateway.charges(), 1);
        assert_ne!(gateway.charge(charge("org_b/k")).await.unwrap().unwrap(), first);
        assert_eq!(gateway.charges(), 2);
    }
}
