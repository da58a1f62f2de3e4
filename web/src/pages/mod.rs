//! One file per screen.

pub mod home;
pub mod login;
pub mod members;
pub mod not_found;
pub mod shell;
pub mod signup;
