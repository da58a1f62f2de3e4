//! Webhooks (Standard Webhooks): the operator's endpoints
//! ([`endpoints`], service keys only) receive the events
//! ([`crate::events`]) as signed POSTs ([`signing`]), at least once, from
//! a persisted queue ([`dispatch`]).

pub mod dispatch;
pub mod endpoints;
pub mod entity;
pub mod signing;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/webhook-endpoints", web::get().to(endpoints::list))
        .route("/webhook-endpoints", web::post().to(endpoints::create))
        .route("/webhook-endpoints/{endpoint_id}", web::get().to(endpoints::get))
        .route("/webhook-endpoints/{endpoint_id}", web::patch().to(endpoints::update))
        .route("/webhook-endpoints/{endpoint_id}", web::delete().to(endpoints::delete))
        .route("/webhook-endpoints/{endpoint_id}/rotate-secret", web::post().to(endpoints::rotate_secret))
        .route("/webhook-endpoints/{endpoint_id}/attempts", web::get().to(endpoints::attempts))
        .route("/webhook-endpoints/{endpoint_id}/replay", web::post().to(endpoints::replay));
}

/// Starts delivering (every process; `every` is how often each looks for
/// new events and due retries when idle).
pub fn spawn(state: web::Data<crate::state::AppState>, every: std::time::Duration) {
    crate::outbox::spawn::<dispatch::Webhooks>(state, every);
}
