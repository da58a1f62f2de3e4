//! `gatehouse` serves everything; `gatehouse openapi` prints the OpenAPI document.

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
        Some(other) => {
            eprintln!("usage: gatehouse [serve|openapi]  (unknown argument {other:?})");
            ExitCode::from(2)
        }
    }
}
