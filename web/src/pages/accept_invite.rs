//! `/invite/{token}`: join an organization from an invite link.

use leptos::prelude::*;
use shared::accounts::AcceptInviteRequest;

use crate::api::{self, validation_error};
use crate::call::{Call, load};
use crate::components::{ErrorBanner, Field, FormErrors, SubmitButton, loading};
use crate::nav::use_navigate;

#[component]
pub fn AcceptInvite(token: String) -> impl IntoView {
    let t = token.clone();
    let preview = load(move || {
        let token = t.clone();
        async move { api::preview_invite(&token).await }
    });
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let form = FormErrors::new();
    let navigate = use_navigate();

    let submit = Call::new(|req: &AcceptInviteRequest| {
        let req = req.clone();
        async move {
            req.validate().map_err(validation_error)?;
            api::accept_invite(&req).await
        }
    });
    // Required SSO: joined without a session; the identity provider signs in next.
    let sso = Call::new(|email: &String| {
        let email = email.clone();
        async move { api::start_sso_login(&email, None).await }
    });
    form.follow(sso, |r| api::go_to(&r.redirect_url));
    form.follow(submit, move |joined| {
        if joined.sso_required {
            sso.dispatch(joined.user.email.clone());
        } else {
            navigate.to("/");
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        form.clear();
        let password = password.get_untracked();
        submit.dispatch(AcceptInviteRequest {
            token: token.clone(),
            name: name.get_untracked(),
            password: (!password.is_empty()).then_some(password),
        });
    };

    view! {
        <section class="card narrow">
                {move || match preview.get() {
                        None => loading("Loading…"),
                        Some(Err(e)) => view! {
                            <h1>"This invite cannot be used"</h1>
                            <p data-testid="invite-error">{
                                if e.status() == Some(404) { "This invite link is not valid. Check that you copied all of it.".to_owned() } else { e.message() }
                            }</p>
                        }.into_any(),
                        Some(Ok(p)) => {
                            // An existing account proves itself with its password; a
                            // new one chooses one, unless the organization's members
                            // sign in through its SSO ("Disable Passwords on Invites").
                            let asks_password = !p.sso_required && (p.existing_account || p.password_required);
                            let (password_label, autocomplete) = if p.existing_account {
                                ("Your current password", "current-password")
                            } else {
                                ("Choose a password", "new-password")
                            };
                            let org = p.organization_name.clone();
                            let sso_note = (!asks_password).then(|| view! {
                                <div class="banner info" role="note" data-testid="invite-sso-only">
                                    <p>{if p.sso_required {
                                        format!("{org} requires single sign-on for your address: after joining, you continue to your company's identity provider to sign in.")
                                    } else {
                                        format!("You will sign in through {org}'s single sign-on (your company's identity provider), with no password here.")
                                    }}</p>
                                    {(!p.sso_active).then(|| view! {
                                        <p data-testid="invite-sso-pending">{format!("{org} is still setting up single sign-on: you can sign in once its IT admin has finished. Join now and you are ready.")}</p>
                                    })}
                                </div>
                            });
                            view! {
                                <h1>"Join " <span data-testid="invite-organization">{p.organization_name.clone()}</span></h1>
                                <p>"Invited as " <strong>{p.email.clone()}</strong> " (" {p.role.label()} ")."</p>
                                {sso_note}
                                <form on:submit=on_submit.clone() novalidate data-testid="accept-form">
                                    <ErrorBanner message=form.banner.into() />
                                    <Field label="Your name" name="name" autocomplete="name" value=name errors=form.fields />
                                    {asks_password.then(|| view! {
                                        <Field label=password_label name="password" kind="password" autocomplete=autocomplete value=password errors=form.fields />
                                    })}
                                    <SubmitButton label="Join organization" busy_label="Joining…" busy=submit.pending() testid="accept-submit" />
                                </form>
                            }.into_any()
                        }
                }}
        </section>
    }
}
