//! Accounts: organizations, users, memberships, sessions and invites.

pub mod entity;
pub mod handlers;
pub mod limiter;
pub mod manage;
pub mod members;
pub mod password;
pub mod routes;
pub mod service;
