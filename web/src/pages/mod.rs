//! One file per screen.

pub mod accept_invite;
pub mod audit;
pub mod billing;
pub mod checkout;
pub mod enforcement;
pub mod home;
pub mod invite_form;
pub mod login;
pub mod members;
pub mod not_found;
pub mod provision;
pub mod setup;
pub mod setup_scim;
pub mod setup_sso;
pub mod shell;
pub mod signup;
pub mod sso_result;
