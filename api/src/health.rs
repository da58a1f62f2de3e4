use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct HealthResponse {
    /// Always `ok`.
    pub status: &'static str,
}

#[utoipa::path(get, path = "/health", tag = "service", operation_id = "getHealth", summary = "Liveness",
    description = "Answers 200 while the process runs.", security(()),
    responses((status = 200, description = "The process is up", body = HealthResponse)))]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse { status: "ok" })
}

#[utoipa::path(get, path = "/ready", tag = "service", operation_id = "getReadiness", summary = "Readiness",
    description = "Answers 200 when the database is reachable, 503 otherwise.", security(()),
    responses(
        (status = 200, description = "The database answers", body = HealthResponse),
        (status = 503, description = "The database does not answer", body = shared::Problem, content_type = "application/problem+json"),
    ))]
pub async fn ready(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    if crate::db::ping(&state.db).await {
        Ok(HttpResponse::Ok().json(HealthResponse { status: "ok" }))
    } else {
        Err(AppError::Unavailable)
    }
}
