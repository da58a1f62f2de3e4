//! Serves the built SPA: real files as they are, any other path as
//! `index.html` so client-side routes survive a reload.

use std::path::{Path, PathBuf};

use actix_files::{Files, NamedFile};
use actix_web::dev::{ServiceRequest, ServiceResponse, fn_service};
use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::web;

pub fn configure(web_dir: &Path) -> impl FnOnce(&mut web::ServiceConfig) + use<> {
    let web_dir = web_dir.to_path_buf();
    move |cfg| {
        if !web_dir.join("index.html").is_file() {
            tracing::warn!(web_dir = %web_dir.display(), "no built SPA found; serving the API only (run `just run` to build it)");
            return;
        }
        let index: PathBuf = web_dir.join("index.html");
        cfg.service(Files::new("/", &web_dir).index_file("index.html").prefer_utf8(true).default_handler(fn_service(
            move |req: ServiceRequest| {
                let index = index.clone();
                async move {
                    let (req, _) = req.into_parts();
                    let file = NamedFile::open_async(&index).await?;
                    let mut res = file.into_response(&req);
                    res.headers_mut().insert(
                        actix_web::http::header::CACHE_CONTROL,
                        CacheControl(vec![CacheDirective::NoCache])
                            .to_string()
                            .parse()
                            .map_err(|_| actix_web::error::ErrorInternalServerError("header"))?,
                    );
                    Ok(ServiceResponse::new(req, res))
                }
            },
        )));
    }
}
