use leptos::prelude::*;
use shared::accounts::SignupRequest;
use shared::validation::PASSWORD_MIN_CHARS;

use crate::api::{self, validation_error};
use crate::call::Call;
use crate::components::{ErrorBanner, Field, FormErrors, SubmitButton};
use crate::nav::use_navigate;

#[component]
pub fn Signup() -> impl IntoView {
    let organization_name = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let form = FormErrors::new();
    let navigate = use_navigate();

    let submit = Call::new(|req: &SignupRequest| {
        let req = req.clone();
        async move {
            // The same rules the API applies, checked before the round trip.
            req.validate().map_err(validation_error)?;
            api::signup(&req).await
        }
    });
    form.follow(submit, move |res| navigate.to(&format!("/organizations/{}/members", res.organization.id)));

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        form.clear();
        submit.dispatch(SignupRequest {
            organization_name: organization_name.get_untracked(),
            name: name.get_untracked(),
            email: email.get_untracked(),
            password: password.get_untracked(),
        });
    };
    let password_hint = format!("At least {PASSWORD_MIN_CHARS} characters.");

    view! {
        <section class="card narrow">
            <h1>"Create your organization"</h1>
            <p>"You will be its first Administrator."</p>
            <form on:submit=on_submit novalidate data-testid="signup-form">
                <ErrorBanner message=form.banner.into() />
                <Field label="Organization name" name="organization_name" autocomplete="organization" value=organization_name errors=form.fields />
                <Field label="Your name" name="name" autocomplete="name" value=name errors=form.fields />
                <Field label="Work email" name="email" kind="email" autocomplete="email" value=email errors=form.fields />
                <Field label="Password" name="password" kind="password" autocomplete="new-password" value=password errors=form.fields hint=password_hint />
                <SubmitButton label="Create organization" busy_label="Creating…" busy=submit.pending() testid="signup-submit" />
            </form>
            <p>"Already have an account? " <a href="/login" data-testid="to-login">"Sign in"</a></p>
        </section>
    }
}
