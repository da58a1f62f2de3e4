//! Checkout: quotes, payment through a `PaymentGateway`, purchases.

pub mod entity;
pub mod gateway;
pub mod handlers;
pub mod idempotency;
pub mod service;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/prices", web::get().to(handlers::prices))
        .route("/organizations/{org_id}/purchases", web::get().to(handlers::purchases))
        .route("/organizations/{org_id}/checkout", web::post().to(handlers::create))
        .route("/organizations/{org_id}/checkout/{checkout_id}/confirm", web::post().to(handlers::confirm));
}
