//! One error type for every handler, answered as `application/problem+json`
//! (RFC 9457). Client errors carry a stable `code` and a human `detail`;
//! internal errors are logged with their context and answered with a bare 500.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use sea_orm::{DbErr, SqlErr};
use shared::{FieldError, Problem};

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the request could not be read.
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    /// 401: no credentials, or credentials that do not check out.
    #[error("{detail}")]
    Unauthorized { code: &'static str, detail: String },
    /// 403: authenticated, but not allowed to do this (a `read` service key
    /// writing: `insufficient_scope`).
    #[error("{detail}")]
    Forbidden { code: &'static str, detail: String },
    /// 402: the payment was declined; `code` says why (`card_declined`, …).
    #[error("{detail}")]
    PaymentRequired { code: &'static str, detail: String },
    /// 403 `sso_required`: the organization signs this account in through
    /// its identity provider; the sign-in there is started (its URL, and the
    /// cookie binding it to the browser), when it could be.
    #[error("{detail}")]
    SsoRequired {
        detail: String,
        redirect_url: Option<String>,
        cookie: Option<Box<actix_web::cookie::Cookie<'static>>>,
    },
    /// 404: not found, or not yours (the two are indistinguishable on purpose).
    #[error("not found")]
    NotFound,
    /// 404 that explains itself (nothing private is revealed by saying it).
    #[error("{detail}")]
    NotFoundWith { code: &'static str, detail: String },
    /// 413: the body is larger than the endpoint accepts.
    #[error("{detail}")]
    PayloadTooLarge { detail: String },
    /// 409: conflicts with what is already stored.
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// 409 listing each unmet condition (`errors[]`, one per condition).
    #[error("{detail}")]
    Unmet { code: &'static str, detail: String, errors: Vec<FieldError> },
    /// 410: existed, but is no longer usable (expired, used, revoked).
    #[error("{detail}")]
    Gone { code: &'static str, detail: String },
    /// 422: one entry per refused field.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// 429: slow down; retry after the given number of seconds.
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64, detail: String },
    /// 503: a dependency (the database) is not reachable.
    #[error("service unavailable")]
    Unavailable,
    /// 408: the request body did not arrive within `BODY_TIMEOUT`.
    #[error("request timeout")]
    RequestTimeout,
    /// 503 with `Retry-After`: too much heavy work (password hashes,
    /// signature checks) is already running.
    #[error("{detail}")]
    Busy { retry_after_secs: u64, detail: String },
    /// 500: logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::BadRequest { code, detail: detail.into() }
    }
    /// A page's `cursor` that no list of this API handed out.
    pub fn invalid_cursor() -> Self {
        Self::bad_request("invalid_cursor", "The cursor is not one this API returned: pass `next_cursor` unchanged.")
    }
    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Unauthorized { code, detail: detail.into() }
    }
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict { code, detail: detail.into() }
    }
    pub fn gone(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Gone { code, detail: detail.into() }
    }
    pub fn field(field: &str, code: &str, message: &str) -> Self {
        Self::Validation(vec![FieldError::new(field, code, message)])
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let (code, detail, errors) = match self {
            AppError::BadRequest { code, detail }
            | AppError::Unauthorized { code, detail }
            | AppError::Forbidden { code, detail }
            | AppError::Conflict { code, detail }
            | AppError::Gone { code, detail }
            | AppError::NotFoundWith { code, detail }
            | AppError::PaymentRequired { code, detail } => (Some(*code), Some(detail.clone()), vec![]),
            AppError::Unmet { code, detail, errors } => (Some(*code), Some(detail.clone()), errors.clone()),
            AppError::SsoRequired { detail, .. } => (Some("sso_required"), Some(detail.clone()), vec![]),
            AppError::NotFound => (Some("not_found"), Some("Nothing exists at this address.".to_owned()), vec![]),
            AppError::Validation(errors) => {
                (Some("validation_failed"), Some("Some fields need attention; see errors.".to_owned()), errors.clone())
            }
            AppError::TooManyRequests { detail, .. } => (Some("rate_limited"), Some(detail.clone()), vec![]),
            AppError::PayloadTooLarge { detail } => (Some("body_too_large"), Some(detail.clone()), vec![]),
            AppError::Busy { detail, .. } => (Some("busy"), Some(detail.clone()), vec![]),
            AppError::RequestTimeout => (
                Some("request_timeout"),
                Some("The request body did not arrive in time; send it again.".to_owned()),
                vec![],
            ),
            AppError::Unavailable => {
                (Some("unavailable"), Some("The service cannot reach its database.".to_owned()), vec![])
            }
            AppError::Internal(_) => (None, None, vec![]),
        };
        Problem {
            type_: "about:blank".to_owned(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            code: code.map(str::to_owned),
            errors,
            redirect_url: match self {
                AppError::SsoRequired { redirect_url, .. } => redirect_url.clone(),
                _ => None,
            },
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AppError::PaymentRequired { .. } => StatusCode::PAYMENT_REQUIRED,
            AppError::NotFound | AppError::NotFoundWith { .. } => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } | AppError::Unmet { .. } => StatusCode::CONFLICT,
            AppError::SsoRequired { .. } => StatusCode::FORBIDDEN,
            AppError::Gone { .. } => StatusCode::GONE,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable | AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal(e) = self {
            tracing::error!(error = ?e, "internal error");
        }
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if let AppError::TooManyRequests { retry_after_secs, .. } | AppError::Busy { retry_after_secs, .. } = self {
            res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if let AppError::SsoRequired { cookie: Some(cookie), .. } = self {
            res.cookie((**cookie).clone());
        }
        if let AppError::Unauthorized { .. } = self {
            res.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        res.json(self.problem())
    }
}

/// Unique-constraint violations become 409 here, in one place; every other
/// database failure is internal.
impl From<DbErr> for AppError {
    fn from(e: DbErr) -> Self {
        if refused_text(&e) {
            return AppError::field("body", "invalid_characters", NUL_REFUSED);
        }
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => AppError::conflict("already_exists", "This already exists."),
            _ => AppError::Internal(anyhow::Error::new(e).context("database")),
        }
    }
}

pub const NUL_REFUSED: &str = "Text cannot contain NUL characters (\\u0000).";

/// PostgreSQL refused text it cannot store (a NUL character; SQLSTATE 22021
/// or 22P05): the request's fault, not ours. A safety net under the
/// validation of each endpoint.
pub fn refused_text(e: &DbErr) -> bool {
    let (DbErr::Query(sea_orm::RuntimeErr::SqlxError(sqlx)) | DbErr::Exec(sea_orm::RuntimeErr::SqlxError(sqlx))) = e
    else {
        return false;
    };
    sqlx.as_database_error().and_then(|d| d.code()).is_some_and(|code| code == "22021" || code == "22P05")
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(e: sea_orm::TransactionError<AppError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(app) => app,
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// Maps a unique-constraint violation to a specific conflict (e.g. a race
/// between two sign-ups with one email); any other error as usual.
pub fn on_unique(e: DbErr, conflict: impl FnOnce() -> AppError) -> AppError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => conflict(),
        _ => e.into(),
    }
}

/// Turns actix's own extractor failures (bad JSON, bad path) into problems.
pub fn json_error_handler(err: actix_web::error::JsonPayloadError, _req: &actix_web::HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    let app = match &err {
        E::OverflowKnownLength { limit, .. } | E::Overflow { limit } => {
            AppError::PayloadTooLarge { detail: format!("The request body is larger than {limit} bytes.") }
        }
        E::ContentType => AppError::bad_request("unsupported_content_type", "Send the body as application/json."),
        E::Payload(p) if timed_out(p) => AppError::RequestTimeout,
        E::Deserialize(e) if e.is_data() => AppError::bad_request(
            "invalid_body",
            format!("The JSON body does not match the expected shape: {}", without_values(e)),
        ),
        _ => AppError::bad_request("malformed_json", "The request body is not valid JSON."),
    };
    app.into()
}

/// A JSON body read after the caller was authenticated (a handler that
/// takes `web::Bytes`), refused with the same problems as `web::Json`'s.
pub fn parse_json<T: serde::de::DeserializeOwned>(req: &actix_web::HttpRequest, body: &[u8]) -> Result<T, AppError> {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json")));
    if !json {
        return Err(AppError::bad_request("unsupported_content_type", "Send the body as application/json."));
    }
    serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            AppError::bad_request(
                "invalid_body",
                format!("The JSON body does not match the expected shape: {}", without_values(&e)),
            )
        } else {
            AppError::bad_request("malformed_json", "The request body is not valid JSON.")
        }
    })
}

/// Whether reading the body failed on `guard::deadline`'s time limit.
pub fn timed_out(e: &actix_web::error::PayloadError) -> bool {
    matches!(e, actix_web::error::PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut)
}

/// serde's words for a body that does not fit, without the values it quotes:
/// a card number or password sent as a number (or a string where an object
/// belongs) must not come back in the answer, nor reach the request log.
fn without_values(e: &serde_json::Error) -> String {
    let message = e.to_string();
    let (head, at) = message.rfind(" at line ").map_or((message.as_str(), ""), |i| message.split_at(i));
    let kind = ["invalid type", "invalid value", "unknown variant"].into_iter().find(|k| head.starts_with(k));
    let head = match kind {
        Some(kind) => {
            let rest = &head[kind.len()..];
            let (unexpected, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
            // "integer `4242…`" → "integer"; "string \"…\"" → "string".
            let what = unexpected.trim_start_matches(':').split(['`', '"']).next().unwrap_or("").trim();
            let what = if kind == "unknown variant" { String::new() } else { format!(": {what}") };
            format!("{kind}{what}, expected {expected}")
        }
        None => head.to_owned(),
    };
    format!("{head}{at}")
}

/// Form bodies (the SAML ACS): too large → 413, anything else → 400.
pub fn form_error_handler(err: actix_web::error::UrlencodedError, _req: &actix_web::HttpRequest) -> actix_web::Error {
    use actix_web::error::UrlencodedError as E;
    let app = match &err {
        E::Overflow { limit, .. } => {
            AppError::PayloadTooLarge { detail: format!("The request body is larger than {limit} bytes.") }
        }
        E::ContentType => {
            AppError::bad_request("unsupported_content_type", "Send the body as application/x-www-form-urlencoded.")
        }
        E::Payload(p) if timed_out(p) => AppError::RequestTimeout,
        _ => AppError::bad_request("malformed_form", "The request body is not a valid form."),
    };
    app.into()
}

pub fn path_error_handler(_err: actix_web::error::PathError, _req: &actix_web::HttpRequest) -> actix_web::Error {
    AppError::NotFound.into()
}

pub fn query_error_handler(
    err: actix_web::error::QueryPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    AppError::bad_request("invalid_query", format!("The query string is not valid: {err}")).into()
}

/// The fallback for unknown API paths: a problem, never the SPA's HTML.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_never_leak_their_message() {
        let e = AppError::Internal(anyhow::anyhow!("secret database detail"));
        let p = e.problem();
        assert_eq!(p.status, 500);
        assert!(p.detail.is_none());
        assert!(!serde_json::to_string(&p).unwrap().contains("secret"));
    }

    /// A body of the wrong shape is described by serde, without the values.
    #[test]
    fn shape_errors_never_quote_the_values_sent() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Card {
            card_number: String,
            kind: Kind,
        }
        #[derive(Debug, serde::Deserialize)]
        enum Kind {
            Visa,
        }
        let said = |body: &str| without_values(&serde_json::from_str::<Card>(body).unwrap_err());
        let number = said(r#"{"card_number": 4242424242424242, "kind": "Visa"}"#);
        assert!(number.starts_with("invalid type: integer, expected a string at line 1"), "{number}");
        let text = said(r#"{"card_number": "x", "kind": "hunter2-password"}"#);
        assert!(text.starts_with("unknown variant, expected `Visa`"), "{text}");
        let nested = said(r#"{"card_number": {"pan": "4242424242424242"}, "kind": "Visa"}"#);
        assert!(nested.starts_with("invalid type: map, expected a string"), "{nested}");
        for s in [number, text, nested] {
            assert!(!s.contains("4242") && !s.contains("hunter2"), "{s}");
        }
        assert!(said(r#"{"kind": "Visa"}"#).contains("missing field `card_number`"));
    }

    #[test]
    fn validation_lists_fields() {
        let p = AppError::field("email", "invalid_email", "bad").problem();
        assert_eq!(p.status, 422);
        assert_eq!(p.errors.len(), 1);
    }
}
