//! End-to-end: the real server (fresh SQLite, the trunk-built SPA in `dist/`)
//! driven in headless Chromium through chromedriver. Skipped with a message
//! when chromedriver or the built SPA is missing, unless `REQUIRE_E2E=1`
//! (CI), where that is a failure.

// Test code may panic on a broken expectation: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod bench;
mod directory;
mod harness;
mod members;
mod openid;
mod provision;
mod require_sso;
mod sso;
