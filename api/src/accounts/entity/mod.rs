//! sea-orm entities for accounts. They never leave the `api` crate: handlers
//! map them to `shared` DTOs.

pub mod invite;
pub mod membership;
pub mod organization;
pub mod session;
pub mod signup_request;
pub mod user;
