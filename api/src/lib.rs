//! The Gatehouse server as a library: `start` binds, migrates and serves;
//! the `gatehouse` binary and the test harnesses both call it.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod clock;
pub mod config;
pub mod db;
pub mod domains;
pub mod error;
pub mod events;
pub mod features;
pub mod guard;
pub mod health;
pub mod html;
pub mod mail;
pub mod openapi;
pub mod outbox;
pub mod provider;
pub mod provisioning;
pub mod scim;
pub mod setup;
pub mod spa;
pub mod sso;
pub mod state;
pub mod telemetry;
pub mod webhooks;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpMessage, HttpServer, web};
use anyhow::Context;
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa_swagger_ui::SwaggerUi;

use crate::accounts::limiter::FailureLimiter;
use crate::auth::SigningKeys;
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::error::{json_error_handler, not_found, path_error_handler, query_error_handler};
use crate::state::AppState;

/// Largest JSON body the API reads.
pub const JSON_LIMIT_BYTES: usize = 1 << 20;
/// Failed logins allowed per email per minute before 429.
pub const LOGIN_FAILURES_PER_MINUTE: usize = 10;

/// Connects, migrates and loads keys: everything a request will need.
pub async fn build_state(settings: Settings, public_url: String, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
    settings.check()?;
    let db = db::connect(&settings).await?;
    let settings_rate = settings.scim_requests_per_second;
    let (allow_private, auth_rate) = (settings.allow_private_network_urls, settings.auth_requests_per_minute);
    let write_gate = Arc::new(tokio::sync::Mutex::new(()));
    let sqlite_file = db::batch::sqlite_file(&settings.database_url());
    let batcher = db::batch::Batcher::start(db.clone(), write_gate.clone(), sqlite_file.as_deref())?;
    let confirm_by_email = settings.signup_confirmation.by_email(settings.smtp_url.is_some());
    let mailer: Arc<dyn mail::Mailer> = match &settings.smtp_url {
        Some(url) => {
            let host = reqwest::Url::parse(&public_url).ok().and_then(|u| u.host_str().map(str::to_owned));
            let from = settings.mail_from.clone().unwrap_or_else(|| {
                format!(
                    "Gatehouse <noreply@{}>",
                    host.filter(|h| h.contains('.')).unwrap_or_else(|| "localhost.localdomain".into())
                )
            });
            Arc::new(mail::Smtp::new(url, &from)?)
        }
        None => Arc::new(mail::MailDir::new(settings.data_dir.join("mail"))),
    };
    if !confirm_by_email && public_url.starts_with("https://") {
        tracing::warn!(
            "sign-up answers whether an email has an account, and invite links go to the inviter: set smtp_url (and \
             signup_confirmation = auto or email) to confirm sign-ups and send invites by mail"
        );
    } else if confirm_by_email && settings.smtp_url.is_none() {
        tracing::warn!(mail_dir = %settings.data_dir.join("mail").display(), "no smtp_url: mail is written to the development sink only");
    }
    let keys = SigningKeys::load(settings.signing_key.as_deref(), &settings.previous_signing_keys, &settings.data_dir)?;
    let dns = domains::verify::Dns::new(settings.dns_servers.as_deref())?;
    let provider_keys = provider::keys::ProviderKeys::load(
        settings.oidc_signing_key.as_deref(),
        &settings.oidc_previous_signing_keys,
        settings.oidc_signing_algorithm,
        &settings.data_dir,
    )?;
    provider::clients::sync_config(&db, &settings.clients, clock.now()).await.context("[[clients]]")?;
    if let Some(id) = &settings.oidc_default_client {
        provider::clients::check_default(&db, id).await.context("oidc_default_client")?;
    }
    Ok(AppState {
        db,
        settings,
        public_url,
        keys,
        provider_keys,
        clock,
        login_failures: FailureLimiter::new(LOGIN_FAILURES_PER_MINUTE, chrono::Duration::minutes(1)),
        gateway: Arc::new(billing::gateway::SandboxGateway::default()),
        scim: scim::Runtime::new(settings_rate),
        batcher,
        write_gate,
        sessions: Default::default(),
        outbound: guard::outbound::Outbound::new(allow_private)?,
        dns,
        heavy: Default::default(),
        signatures: Default::default(),
        mailer,
        mail_limit: guard::rate::RateLimiter::per_hour(mail::MAILS_PER_RECIPIENT_PER_HOUR),
        confirm_by_email,
        auth_limit: guard::rate::RateLimiter::per_minute(auth_rate),
    })
}

/// Every route of the application.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health::health))
        .route("/ready", web::get().to(health::ready))
        .service(
            web::scope("/api/v1")
                .wrap(actix_web::middleware::from_fn(auth::extract::authorize_organization_paths))
                .configure(accounts::routes::configure)
                .configure(domains::configure)
                .configure(provisioning::configure)
                .configure(billing::configure)
                .configure(audit::read::configure)
                .configure(setup::configure)
                .configure(sso::configure_api)
                .configure(events::configure)
                .configure(webhooks::configure)
                .default_service(web::to(not_found)),
        )
        .service(web::scope("/api").default_service(web::to(not_found)))
        .service(web::scope("/scim/v2").configure(scim::configure))
        .service(web::scope("/sso").configure(sso::configure))
        .configure(provider::configure)
        .configure(accounts::routes::configure_pages)
        .service(SwaggerUi::new("/docs/{_:.*}").external_url_unchecked("/api-docs/openapi.json", openapi::document()));
}

/// How long the request line and headers may take to arrive.
pub const HEAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

fn security_headers(https: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        // Setup and invite links carry secrets in their path: never send them on.
        .add(("Referrer-Policy", "no-referrer"));
    if https {
        // Two years; browsers then never try plain http for this host.
        headers.add(("Strict-Transport-Security", "max-age=63072000; includeSubDomains"))
    } else {
        headers
    }
}

/// Paths whose answers are never stored by a browser or proxy: every API,
/// SCIM and SSO answer (sessions, setup tokens, SCIM bearer tokens, client
/// secrets travel in them).
fn never_cached(path: &str) -> bool {
    ["/api/", "/scim/", "/sso/", "/oauth2/", "/signup/confirm/"].iter().any(|p| path.starts_with(p))
}

/// A server that is listening (on `addr`) but not yet awaited.
pub struct Running {
    pub addr: SocketAddr,
    pub public_url: String,
    pub state: web::Data<AppState>,
    pub server: Server,
}

impl Running {
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }
}

/// Binds, connects, migrates and returns the server ready to be awaited or
/// spawned. Port 0 picks a free port; `addr` says which.
pub async fn start(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Running> {
    let listener = TcpListener::bind(settings.bind).with_context(|| format!("binding {}", settings.bind))?;
    let addr = listener.local_addr()?;
    let public_url = settings.public_url(addr);
    let web_dir = settings.web_dir.clone();
    let https = public_url.starts_with("https://");
    // A client that trickles a body is cut off (408) instead of holding a
    // connection and a buffer for ever.
    let body_timeout = std::time::Duration::from_secs(settings.request_body_timeout_secs.max(1));
    let state = web::Data::new(build_state(settings, public_url.clone(), clock).await?);
    if state.settings.domain_recheck_secs > 0 {
        domains::job::spawn(state.clone(), std::time::Duration::from_secs(state.settings.domain_recheck_secs));
    }
    provider::backchannel::spawn(state.clone(), std::time::Duration::from_secs(1));
    events::spawn_pruner(state.clone());
    webhooks::spawn(state.clone(), std::time::Duration::from_millis(200));
    let app_state = state.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(app_state.clone())
            .app_data(web::JsonConfig::default().limit(JSON_LIMIT_BYTES).error_handler(json_error_handler))
            .app_data(web::PathConfig::default().error_handler(path_error_handler))
            .app_data(web::QueryConfig::default().error_handler(query_error_handler))
            .wrap(security_headers(https))
            .wrap(actix_web::middleware::from_fn(provider::cors))
            .wrap_fn(move |mut req, srv| {
                let request_id = req.extensions().get::<RequestId>().map(ToString::to_string);
                let no_store = never_cached(req.path());
                let body = req.take_payload();
                req.set_payload(guard::deadline::with_deadline(body, body_timeout));
                let fut = srv.call(req);
                async move {
                    let mut res = fut.await?;
                    if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
                        res.headers_mut().insert(HeaderName::from_static("x-request-id"), value);
                    }
                    if no_store && !res.headers().contains_key(actix_web::http::header::CACHE_CONTROL) {
                        res.headers_mut()
                            .insert(actix_web::http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                    }
                    Ok(res)
                }
            })
            .wrap(TracingLogger::<telemetry::RedactingRootSpan>::new())
            .configure(routes)
            .configure(spa::configure(&web_dir))
            .default_service(web::to(not_found))
    })
    .listen(listener)?
    .client_request_timeout(HEAD_TIMEOUT)
    .client_disconnect_timeout(std::time::Duration::from_secs(5))
    .shutdown_timeout(10)
    .run();
    Ok(Running { addr, public_url, state, server })
}

/// `gatehouse` with no arguments: serve until SIGINT/SIGTERM, then drain.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    let running = start(settings, Arc::new(SystemClock)).await?;
    tracing::info!(url = %running.public_url, "listening on http://{}", running.addr);
    if !crate::domains::service::verification_required(&running.state) {
        tracing::warn!(
            "domain verification is off: a claimed domain routes sign-ins and provisions members without DNS proof              (set GATEHOUSE_DOMAIN_VERIFICATION=required for real customers)"
        );
    }
    running.server.await?;
    tracing::info!("shut down");
    Ok(())
}
