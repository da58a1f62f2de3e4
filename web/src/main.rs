//! Gatehouse admin SPA: Leptos, client-side rendered, served by the API.

mod api;
mod call;
mod components;
mod nav;
mod pages;
mod routes;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(routes::App);
}
