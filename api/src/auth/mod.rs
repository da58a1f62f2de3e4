//! Who is calling: access tokens (JWT) and the extractors that put
//! authorization into handler signatures.

pub mod cache;
pub mod extract;
pub mod keys;
pub mod service_keys;
pub mod tokens;

pub use extract::{AuthUser, OrgAdmin};
pub use keys::SigningKeys;
pub use tokens::AccessClaims;
