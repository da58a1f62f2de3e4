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
        .route("/organizations/{org_id}/members", web::get().to(handlers::members))
        .route("/organizations/{org_id}/invites", web::post().to(handlers::create_invite));
}

/// The page an emailed sign-up confirmation link opens (outside `/api`).
pub fn configure_pages(cfg: &mut web::ServiceConfig) {
    cfg.route("/signup/confirm/{token}", web::get().to(handlers::confirm_page))
        .route("/signup/confirm/{token}", web::post().to(handlers::confirm_form));
}
