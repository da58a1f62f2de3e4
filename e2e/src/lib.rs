//! See `tests/e2e/main.rs`: this crate only holds end-to-end tests.
