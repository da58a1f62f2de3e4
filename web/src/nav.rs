//! Client-side navigation: the address as a signal, `Navigate` to change it,
//! and clicks on the app's own links handled without a page load (Back and
//! Forward included). The routes themselves are one `match` in `routes.rs`.
//! This replaces leptos_router, whose generic route tree was ~70 KB of the
//! SPA's wasm for ten flat routes (BENCHMARKS.md).

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

/// Where the tab is: `path` is `/organizations/…`, `query` is `?a=b` or empty.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub path: String,
    pub query: String,
}

fn current() -> Location {
    let location = window().location();
    Location { path: location.pathname().unwrap_or_default(), query: location.search().unwrap_or_default() }
}

/// Paths the server answers itself (API, SSO endpoints, SCIM, API docs):
/// links there load the page.
const SERVER_PATHS: &[&str] = &["/api/", "/sso/", "/scim/", "/docs"];

/// The `href` of the app's own link that `ev` clicked, if the click should
/// stay in the app: a plain left click (no modifier: those open tabs), on a
/// same-origin path, no `target` or `download`, and not a server path.
fn own_link(ev: &ev::MouseEvent) -> Option<String> {
    if ev.default_prevented() || ev.button() != 0 || ev.meta_key() || ev.ctrl_key() || ev.shift_key() || ev.alt_key() {
        return None;
    }
    let target: web_sys::Element = ev.target()?.dyn_into().ok()?;
    let link = target.closest("a[href]").ok()??;
    if link.get_attribute("target").is_some_and(|t| !t.is_empty() && t != "_self") || link.has_attribute("download") {
        return None;
    }
    let href = link.get_attribute("href")?;
    let own = href.starts_with('/') && !href.starts_with("//") && !SERVER_PATHS.iter().any(|p| href.starts_with(p));
    own.then_some(href)
}

/// Changes the address (pushing or replacing a history entry) and the page.
#[derive(Clone, Copy)]
pub struct Navigate(RwSignal<Location>);

impl Navigate {
    /// Goes to `to`, as following a link does.
    pub fn to(&self, to: &str) {
        self.go(to, false);
    }

    /// Goes to `to` in place of the current entry (a redirect: Back skips it).
    pub fn replace(&self, to: &str) {
        self.go(to, true);
    }

    fn go(&self, to: &str, replace: bool) {
        let Ok(history) = window().history() else { return };
        let done = if replace {
            history.replace_state_with_url(&JsValue::NULL, "", Some(to))
        } else {
            history.push_state_with_url(&JsValue::NULL, "", Some(to))
        };
        if done.is_ok() {
            window().scroll_to_with_x_and_y(0.0, 0.0);
            self.0.set(current());
        }
    }
}

/// Starts navigation for the app (once, at its root) and returns the
/// address the pages render from.
pub fn start() -> ReadSignal<Location> {
    let location = RwSignal::new(current());
    let navigate = Navigate(location);
    provide_context(navigate);
    // The handles live as long as the page: the app is never unmounted.
    let _ = window_event_listener_untyped("popstate", move |_| location.set(current()));
    let _ = window_event_listener(ev::click, move |ev| {
        if let Some(href) = own_link(&ev) {
            ev.prevent_default();
            navigate.to(&href);
        }
    });
    location.read_only()
}

/// The app's navigation, for a component to keep and call later.
pub fn use_navigate() -> Navigate {
    expect_context::<Navigate>()
}

const RETURN_KEY: &str = "gh_after_login";

/// Remembers the organization page a signed-out visit asked for.
pub fn remember_return() {
    let Some(w) = web_sys::window() else { return };
    let path = w.location().pathname().unwrap_or_default();
    if let Ok(Some(storage)) = w.session_storage() {
        let _ = storage.set_item(RETURN_KEY, &path);
    }
}

/// Where to go after signing in: the remembered organization page (once),
/// or the start page. Only an in-app `/organizations/…` path is followed.
pub fn after_login() -> String {
    let storage = web_sys::window().and_then(|w| w.session_storage().ok().flatten());
    let remembered = storage.as_ref().and_then(|s| s.get_item(RETURN_KEY).ok().flatten());
    if let Some(s) = &storage {
        let _ = s.remove_item(RETURN_KEY);
    }
    remembered
        .filter(|p| p.starts_with("/organizations/") && !p.contains("//") && !p.contains('\\'))
        .unwrap_or_else(|| "/".to_owned())
}
