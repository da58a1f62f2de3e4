//! The API's integration tests: one binary (each extra test binary costs
//! link time), one module per capability. Every test spawns the real server
//! on a free port with a fresh database: a temp SQLite file, or a fresh
//! PostgreSQL database when `TEST_DATABASE_URL` is set.

// Test code may panic on a broken expectation: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod attacks;
mod audit;
mod checkout;
mod domain_verification;
mod enforcement;
mod events;
mod helpers;
mod invites;
mod members;
mod provider;
mod provisioning;
mod robust;
mod scim;
mod scim_clients;
mod scim_lifecycle;
mod service;
mod service_keys;
mod setup;
mod sso;
mod sso_attacks;
mod sso_saml;
mod webhooks;
