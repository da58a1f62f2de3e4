//! sea-orm entities for Single Sign-On.

pub mod break_glass;
pub mod connection;
pub mod identity;
pub mod request;
pub mod saml_assertion;
