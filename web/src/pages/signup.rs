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
    // Created at once, or (when the server confirms sign-ups by mail) a link
    // to open first: the page then says where it went.
    let sent_to = RwSignal::new(None::<String>);
    form.follow(submit, move |res| match (&res.organization, &res.confirmation_sent_to) {
        (Some(org), _) => navigate.to(&format!("/organizations/{}/members", org.id)),
        (None, to) => sent_to.set(Some(to.clone().unwrap_or_default())),
    });

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
        <section class="card narrow" data-testid="signup-sent" hidden=move || sent_to.get().is_none()>
            <h1>"Check your email"</h1>
            <p class="banner ok" role="status">"We sent a link to " <strong>{move || sent_to.get().unwrap_or_default()}</strong>
                ". Open it within 24 hours to create your organization. Nothing arrived? Check your spam folder."</p>
        </section>
        <section class="card narrow" hidden=move || sent_to.get().is_some()>
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
