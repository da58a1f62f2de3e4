use leptos::prelude::*;
use shared::accounts::LoginRequest;

use crate::api::{self, validation_error};
use crate::call::Call;
use crate::components::{ErrorBanner, Field, FormErrors, SubmitButton};
use crate::nav::use_navigate;

/// This page's query: `continue` (an application's sign-in request,
/// `/oauth2/authorize?…`, continued after signing in, and only that
/// endpoint), `reauth` (the application asked for a new sign-in: never skip
/// ahead) and `login_hint` (the email, prefilled).
fn query(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search).ok()?.get(name)
}

#[component]
pub fn Login() -> impl IntoView {
    let resume = query("continue").filter(|c| shared::sso::valid_continue(c));
    if let Some(next) = resume.clone().filter(|_| query("reauth").is_none()) {
        // Already signed in (the application's request arrived from another
        // site, without our cookie): continue at once, from here.
        leptos::task::spawn_local(async move {
            if api::me().await.is_ok() {
                api::go_to(&next);
            }
        });
    }
    let (resume_sso, resume_login) = (resume.clone(), resume.clone());
    let email = RwSignal::new(query("login_hint").unwrap_or_default());
    let password = RwSignal::new(String::new());
    let form = FormErrors::new();
    let navigate = use_navigate();

    // A member whose organization requires SSO is sent to its identity provider.
    let submit = Call::new(|req: &LoginRequest| {
        let req = req.clone();
        async move {
            req.validate().map_err(validation_error)?;
            match api::login(&req).await {
                Ok(_) => Ok(None),
                Err(e) => e.sso_redirect().map(|url| Some(url.to_owned())).ok_or(e),
            }
        }
    });
    form.follow(submit, move |sso| match (sso, &resume) {
        (Some(url), _) => api::go_to(&url),
        (None, Some(next)) => api::go_to(next),
        (None, None) => navigate.to(&crate::nav::after_login()),
    });

    let sso = Call::new(move |email: &String| {
        let (email, resume) = (email.clone(), resume_login.clone());
        async move { api::start_sso_login(&email, resume).await }
    });
    form.follow(sso, |r| api::go_to(&r.redirect_url));

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        form.clear();
        submit.dispatch(LoginRequest {
            email: email.get_untracked(),
            password: password.get_untracked(),
            continue_to: resume_sso.clone(),
        });
    };

    view! {
        <section class="card narrow">
            <h1>"Sign in to Gatehouse"</h1>
            <form on:submit=on_submit novalidate data-testid="login-form">
                <ErrorBanner message=form.banner.into() />
                <Field label="Work email" name="email" kind="email" autocomplete="username" value=email errors=form.fields />
                <Field label="Password" name="password" kind="password" autocomplete="current-password" value=password errors=form.fields />
                <SubmitButton label="Sign in" busy_label="Signing in…" busy=submit.pending() testid="login-submit" />
                <p class="or">"or"</p>
                <button type="button" class="secondary block" data-testid="sso-submit"
                    disabled=move || sso.pending().get()
                    aria-busy=move || sso.pending().get().to_string()
                    on:click=move |_| { form.clear(); sso.dispatch(email.get_untracked()); }>
                    {move || if sso.pending().get() { "Finding your identity provider…" } else { "Sign in with SSO (work email only)" }}
                </button>
            </form>
            <p>"New here? " <a href="/signup" data-testid="to-signup">"Create an organization"</a></p>
        </section>
    }
}
