use actix_web::web;

use super::handlers;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/signup", web::post().to(handlers::signup))
        .route("/auth/signup/confirm", web::post().to(handlers::confirm_signup))
        .route("/auth/login", web::post().to(handlers::login))
        .route("/auth/logout", web::post().to(handlers::logout))
        .route("/me", web::get().to(handlers::me))
        .route("/invites/accept", web::post().to(handlers::accept_invite))
        .route("/invites/{token}", web::get().to(handlers::preview_invite))
        .route("/organizations", web::get().to(handlers::list_organizations))
        .route("/organizations", web::post().to(handlers::create_organization))
        .route("/organizations/{org_id}/members", web::get().to(handlers::members))
        .route("/organizations/{org_id}/members/{user_id}", web::patch().to(handlers::update_member))
        .route("/organizations/{org_id}/members/{user_id}", web::delete().to(handlers::remove_member))
        .route("/organizations/{org_id}/invites", web::get().to(handlers::invites))
        .route("/organizations/{org_id}/invites", web::post().to(handlers::create_invite))
        .route("/organizations/{org_id}/invites/{invite_id}", web::delete().to(handlers::revoke_invite))
        .route("/organizations/{org_id}/invites/{invite_id}/resend", web::post().to(handlers::resend_invite));
}

/// The page an emailed sign-up confirmation link opens (outside `/api`).
pub fn configure_pages(cfg: &mut web::ServiceConfig) {
    cfg.route("/signup/confirm/{token}", web::get().to(handlers::confirm_page))
        .route("/signup/confirm/{token}", web::post().to(handlers::confirm_form));
}
