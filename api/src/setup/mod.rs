//! Setup links: 24-hour links (opaque tokens stored hashed) that let a
//! customer's IT admin configure SSO or SCIM without an account.

pub mod entity;
pub mod handlers;
pub mod service;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/organizations/{org_id}/setup-links", web::post().to(handlers::create))
        .route("/organizations/{org_id}/setup-links", web::get().to(handlers::list))
        .route("/organizations/{org_id}/setup-links/{link_id}", web::delete().to(handlers::revoke))
        .route("/setup/{token}", web::get().to(handlers::info))
        .route("/setup/{token}/scim-credentials", web::post().to(crate::scim::credentials::scim_credentials));
}
