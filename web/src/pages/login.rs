use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use shared::accounts::LoginRequest;

use crate::api::{self, ApiError, validation_error};
use crate::components::{ErrorBanner, Field, SubmitButton};

#[component]
pub fn Login() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::new());
    let banner = RwSignal::new(None::<String>);
    let navigate = use_navigate();

    let submit = Action::new_local(|req: &LoginRequest| {
        let req = req.clone();
        async move {
            req.validate().map_err(validation_error)?;
            api::login(&req).await
        }
    });
    Effect::new(move || {
        let Some(result) = submit.value().get() else { return };
        match result {
            Ok(_) => navigate("/", Default::default()),
            Err(e) => {
                errors.set(e.field_errors());
                banner.set(match &e {
                    ApiError::Problem(p) if p.status == 422 => None,
                    _ => Some(e.message()),
                });
            }
        }
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        banner.set(None);
        submit.dispatch(LoginRequest { email: email.get_untracked(), password: password.get_untracked() });
    };

    view! {
        <section class="card narrow">
            <h1>"Sign in to Gatehouse"</h1>
            <form on:submit=on_submit novalidate data-testid="login-form">
                <ErrorBanner message=banner.into() />
                <Field label="Work email" name="email" kind="email" autocomplete="username" value=email errors=errors />
                <Field label="Password" name="password" kind="password" autocomplete="current-password" value=password errors=errors />
                <SubmitButton label="Sign in" busy_label="Signing in…" busy=submit.pending().into() testid="login-submit" />
            </form>
            <p>"New here? " <a href="/signup" data-testid="to-signup">"Create an organization"</a></p>
        </section>
    }
}
