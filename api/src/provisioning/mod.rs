//! The Single Sign-On / Provision tab: the plan catalog, the organization's
//! provisioning state in one call, and its Provision Default Plan.

pub mod handlers;
pub mod integrations;
pub mod service;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/plans", web::get().to(handlers::plans))
        .route("/organizations/{org_id}/provisioning", web::get().to(handlers::state))
        .route("/organizations/{org_id}/default-plan", web::put().to(handlers::set_default_plan))
        .route("/organizations/{org_id}/invite-settings", web::put().to(handlers::set_invite_settings))
        .route("/organizations/{org_id}/integrations/sso", web::put().to(integrations::sso))
        .route("/organizations/{org_id}/integrations/directory-sync", web::put().to(integrations::directory_sync));
}
