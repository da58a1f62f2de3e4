//! sea-orm entities for Directory Sync.

pub mod group;
pub mod group_member;
pub mod replaced_token;
pub mod token;
pub mod user;
