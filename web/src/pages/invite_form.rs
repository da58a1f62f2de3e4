//! Members → invite someone. Without mail the Administrator gets the invite
//! link to pass on, shown once; with mail the server sends it.

use leptos::prelude::*;
use shared::OrganizationId;
use shared::accounts::{CreateInviteRequest, InviteResponse, Role};

use crate::api::{self, validation_error};
use crate::call::Call;
use crate::components::{CopyButton, ErrorBanner, Field, FormErrors, Shown, SubmitButton, when};

/// Where an invite's link went (the invitee's mailbox, or this box to copy).
#[component]
pub fn InviteLink(invite: InviteResponse) -> impl IntoView {
    let inv = invite;
    view! {
        <div class="banner ok" role="status" data-testid="invite-created">
            <p>{if inv.accept_url.is_some() { "Send this link to " } else { "We emailed the invitation to " }}
                <strong>{inv.email.clone()}</strong> ". It works once, until "
                {when(inv.expires_at, Shown::Minute)} "."
                {(!inv.password_required).then_some(" No password is needed to accept it.")}</p>
            {inv.accept_url.map(|url| view! {
                <div class="copy-row">
                    <input readonly aria-label="Invite link" data-testid="invite-link" prop:value=url.clone() />
                    <CopyButton text=url testid="copy-invite-link" />
                </div>
            })}
        </div>
    }
}

#[component]
pub fn InviteForm(org_id: OrganizationId, on_created: Callback<InviteResponse>) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let admin = RwSignal::new(false);
    let form = FormErrors::new();
    let created = RwSignal::new(None::<InviteResponse>);

    let submit = Call::new(move |req: &CreateInviteRequest| {
        let req = req.clone();
        let org_id = org_id.clone();
        async move {
            req.validate().map_err(validation_error)?;
            api::create_invite(&org_id, &req).await
        }
    });
    form.follow(submit, move |invite| {
        email.set(String::new());
        created.set(Some(invite.clone()));
        on_created.run(invite);
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        form.clear();
        created.set(None);
        let role = if admin.get_untracked() { Role::Admin } else { Role::Member };
        submit.dispatch(CreateInviteRequest { email: email.get_untracked(), role });
    };

    view! {
        <form class="card inline-form" on:submit=on_submit novalidate data-testid="invite-form">
            <h3>"Invite someone"</h3>
            <ErrorBanner message=form.banner.into() />
            <Field label="Email" name="email" kind="email" value=email errors=form.fields />
            <label class="checkbox">
                <input type="checkbox" data-testid="input-invite-admin" prop:checked=move || admin.get()
                    on:change=move |ev| admin.set(event_target_checked(&ev)) />
                " Make them an Administrator"
            </label>
            <SubmitButton label="Create invite" busy_label="Creating…" busy=submit.pending() testid="invite-submit" />
            {move || created.get().map(|inv| view! { <InviteLink invite=inv /> })}
        </form>
    }
}
