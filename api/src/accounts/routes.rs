use actix_web::web;

use super::handlers;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/signup", web::post().to(handlers::signup))
        .route("/auth/login", web::post().to(handlers::login))
        .route("/auth/logout", web::post().to(handlers::logout))
        .route("/me", web::get().to(handlers::me))
        .route("/invites/accept", web::post().to(handlers::accept_invite))
        .route("/invites/{token}", web::get().to(handlers::preview_invite))
        .route("/organizations/{org_id}/members", web::get().to(handlers::members))
        .route("/organizations/{org_id}/invites", web::post().to(handlers::create_invite));
}
