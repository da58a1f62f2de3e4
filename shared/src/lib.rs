//! Types used on both sides of the wire: typed IDs, request/response DTOs,
//! the problem+json error body and the validation rules. It builds for native
//! targets (the API) and for `wasm32-unknown-unknown` (the SPA), so a rule
//! written here gives the same message in the browser and in the API.

pub mod accounts;
pub mod audit;
pub mod billing;
pub mod domains;
pub mod enforcement;
pub mod events;
pub mod ids;
pub mod names;
pub mod page;
pub mod problem;
pub mod provisioning;
pub mod setup;
pub mod sso;
pub mod text;
pub mod time;
pub mod validation;

pub use ids::*;
pub use problem::{FieldError, Problem};
