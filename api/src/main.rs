//! `gatehouse` serves everything; `gatehouse openapi` prints the OpenAPI
//! document; `gatehouse clients add|list|remove` registers the SaaS's
//! applications with its OpenID Provider; `gatehouse keys
//! create|list|revoke` manages service keys.

use std::process::ExitCode;

use api::config::Settings;

#[actix_web::main]
async fn main() -> ExitCode {
    let arg = std::env::args().nth(1);
    match arg.as_deref() {
        Some("openapi") => match api::openapi::json() {
            Ok(doc) => {
                print!("{doc}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        None | Some("serve") => {
            let settings = match Settings::load() {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: configuration: {e}");
                    return ExitCode::FAILURE;
                }
            };
            api::telemetry::init(settings.log_format);
            match api::serve(settings).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!("{e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Some(command @ ("clients" | "keys")) => {
            let settings = match Settings::load() {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: configuration: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let args: Vec<String> = std::env::args().skip(2).collect();
            let ran = if command == "keys" { keys(&settings, &args).await } else { clients(&settings, &args).await };
            match ran {
                Ok(out) => {
                    print!("{out}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Some(other) => {
            eprintln!("usage: gatehouse [serve|openapi|clients|keys]  (unknown argument {other:?})");
            ExitCode::from(2)
        }
    }
}

/// `gatehouse clients …` on the server's database (migrated first).
async fn clients(settings: &Settings, args: &[String]) -> anyhow::Result<String> {
    let db = api::db::connect(settings).await?;
    api::provider::cli::run(&db, args, chrono::Utc::now()).await
}

/// `gatehouse keys …` on the server's database, with its signing keys (the
/// keyed hash's key).
async fn keys(settings: &Settings, args: &[String]) -> anyhow::Result<String> {
    let db = api::db::connect(settings).await?;
    let signing = api::auth::SigningKeys::load(
        settings.signing_key.as_deref(),
        &settings.previous_signing_keys,
        &settings.data_dir,
    )?;
    api::auth::service_keys::run(&db, &signing, args, chrono::Utc::now()).await
}
