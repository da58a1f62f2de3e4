//! Email domains an organization claims (Single Sign-On / Provision tab).

pub mod entity;
pub mod handlers;
pub mod job;
pub mod service;
pub mod verify;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/organizations/{org_id}/domains", web::post().to(handlers::add))
        .route("/organizations/{org_id}/domains/{domain_id}", web::delete().to(handlers::remove))
        .route("/organizations/{org_id}/domains/{domain_id}/verify", web::post().to(handlers::verify));
}
