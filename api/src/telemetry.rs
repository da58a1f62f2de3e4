//! Structured logs: one span per request carrying a request id (also sent
//! back as `x-request-id`), with secrets kept out of what is logged.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_span_events(FmtSpan::CLOSE);
    // A second init (tests start many servers in one process) is harmless.
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// Path segments that follow these carry bearer secrets (invite, setup link
/// and sign-up confirmation tokens) and are logged as `[redacted]`.
const SECRET_AFTER: &[&str] = &["invite", "invites", "setup", "confirm"];

pub fn redact_path(path: &str) -> String {
    let mut out = Vec::new();
    let mut hide_next = false;
    for seg in path.split('/') {
        if hide_next && !seg.is_empty() {
            out.push("[redacted]");
            hide_next = false;
            continue;
        }
        hide_next = SECRET_AFTER.contains(&seg);
        out.push(seg);
    }
    out.join("/")
}

/// Like the default root span, but without the query string or secret path
/// segments.
pub struct RedactingRootSpan;

impl RootSpanBuilder for RedactingRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request.extensions().get::<RequestId>().map(ToString::to_string).unwrap_or_default();
        tracing::info_span!(
            "request",
            method = %request.method(),
            path = %redact_path(request.path()),
            request_id = %request_id,
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::redact_path;

    #[test]
    fn secret_segments_are_redacted() {
        assert_eq!(redact_path("/invite/abc123"), "/invite/[redacted]");
        assert_eq!(redact_path("/api/v1/setup/eyJ.x.y/scim-credentials"), "/api/v1/setup/[redacted]/scim-credentials");
        assert_eq!(redact_path("/api/v1/invites/tok3n"), "/api/v1/invites/[redacted]");
        assert_eq!(redact_path("/api/v1/me"), "/api/v1/me");
        assert_eq!(redact_path("/signup/confirm/tok3n"), "/signup/confirm/[redacted]");
    }
}
