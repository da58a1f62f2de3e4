//! Serves the built SPA: real files as they are, any other path as
//! `index.html` so client-side routes survive a reload.
//!
//! `index.html` goes out with a Content-Security-Policy: scripts from our
//! origin only (plus the hashes of the inline loader trunk writes, computed
//! from the file at start-up), WebAssembly compilation, no framing, no
//! plugins, no `<base>`, forms to ourselves. Pages whose URL carries a
//! secret (`/setup/{token}`, `/invite/{token}`) are `no-store`.

use std::path::{Path, PathBuf};

use actix_files::{Files, NamedFile};
use actix_web::dev::{ServiceRequest, ServiceResponse, fn_service};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use sha2::{Digest, Sha256};

/// The policy for `index.html`, with a hash for each inline script in it.
pub fn content_security_policy(index_html: &str) -> String {
    let hashes: String = inline_scripts(index_html)
        .map(|s| format!(" 'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s))))
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// The bodies of `<script>` elements without a `src`.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (open, body) = rest.split_once('>')?;
        let body = body.split("</script>").next()?;
        (!open.contains("src=") && !body.trim().is_empty()).then_some(body)
    })
}

fn secret_in_path(path: &str) -> bool {
    path.starts_with("/setup/") || path.starts_with("/invite/")
}

pub fn configure(web_dir: &Path) -> impl FnOnce(&mut web::ServiceConfig) + use<> {
    let web_dir = web_dir.to_path_buf();
    move |cfg| {
        let index: PathBuf = web_dir.join("index.html");
        let Ok(html) = std::fs::read_to_string(&index) else {
            tracing::warn!(web_dir = %web_dir.display(), "no built SPA found; serving the API only (run `just run` to build it)");
            return;
        };
        let Ok(csp) = HeaderValue::from_str(&content_security_policy(&html)) else {
            tracing::warn!("the SPA's Content-Security-Policy could not be built; serving the API only");
            return;
        };
        let page = Page { index, csp };
        let root = page.clone();
        cfg.route(
            "/",
            web::get().to(move |req: HttpRequest| {
                let page = root.clone();
                async move { page.serve(&req).await }
            }),
        )
        .service(Files::new("/", &web_dir).prefer_utf8(true).default_handler(fn_service(
            move |req: ServiceRequest| {
                let page = page.clone();
                async move {
                    let (req, _) = req.into_parts();
                    let res = page.serve(&req).await?;
                    Ok(ServiceResponse::new(req, res))
                }
            },
        )));
    }
}

/// `index.html` with its headers.
#[derive(Clone)]
struct Page {
    index: PathBuf,
    csp: HeaderValue,
}

impl Page {
    async fn serve(&self, req: &HttpRequest) -> Result<HttpResponse, actix_web::Error> {
        let file = NamedFile::open_async(&self.index).await?;
        let mut res = file.into_response(req);
        let cache = if secret_in_path(req.path()) { "no-store" } else { "no-cache" };
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, self.csp.clone());
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_exactly_the_inline_loader() {
        let html = r#"<html><head><script type="module">import init from '/web.js';init();</script>
<script src="/x.js"></script></head></html>"#;
        let csp = content_security_policy(html);
        let hash =
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest("import init from '/web.js';init();"));
        assert!(csp.contains(&format!("script-src 'self' 'wasm-unsafe-eval' 'sha256-{hash}';")), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"), "{csp}");
        assert_eq!(csp.matches("sha256-").count(), 1);
    }
}
