//! `/sso-result`: where the server sends the browser after a sign-in at the
//! identity provider, with the outcome and, on failure, what went wrong.

use leptos::prelude::*;

#[component]
pub fn SsoResult(query: String) -> impl IntoView {
    let params = web_sys::UrlSearchParams::new_with_str(&query).ok();
    let get = |k: &str| params.as_ref().and_then(|p| p.get(k)).unwrap_or_default();
    let (ok, test, detail) = (get("outcome") == "ok", get("purpose") == "test", get("detail"));
    view! {
        <section class="card narrow" data-testid="sso-result">
            {if ok {
                view! {
                    <h1 data-testid="sso-result-title">{if test { "Test sign-in succeeded" } else { "Signed in" }}</h1>
                    <p class="banner ok">{if test {
                        "Your identity provider signed you in: Single Sign-On is active."
                    } else {
                        "You are signed in."
                    }}</p>
                }.into_any()
            } else {
                view! {
                    <h1 data-testid="sso-result-title">{if test { "Test sign-in failed" } else { "Sign-in failed" }}</h1>
                    <div class="banner error" role="alert" data-testid="sso-result-detail">{detail}</div>
                    <p class="hint">{if test {
                        "Fix the setting named above in your identity provider or on the setup page, then run the test again."
                    } else {
                        "Try again, or ask your administrator."
                    }}</p>
                }.into_any()
            }}
            {test.then(|| {
                let back = web_sys::window()
                    .and_then(|w| w.session_storage().ok().flatten())
                    .and_then(|s| s.get_item(super::setup_sso::RETURN_KEY).ok().flatten());
                back.map(|href| {
                    let label = if href.ends_with("/provision") { "Back to Single Sign-On / Provision" } else { "Back to the setup page" };
                    view! { <a href=href data-testid="back-to-setup">{label}</a> }
                })
            })}
        </section>
    }
}
