//! sea-orm entities for checkouts, purchases, idempotency keys and purchased features.

pub mod charge;
pub mod checkout;
pub mod feature;
pub mod idempotency;
pub mod purchase;
