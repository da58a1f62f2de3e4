//! `/setup/{token}`: the page a customer's IT admin opens from a setup link.
//! No account needed. Expired, revoked and invalid links each get their own
//! page that says what to do. SCIM links lead to the Directory Sync wizard.

use leptos::prelude::*;

use shared::setup::SetupKind;

use super::setup_scim::ScimWizard;
use super::setup_sso::SsoWizard;
use crate::api::{self, ApiError};
use crate::call::load;
use crate::components::{CopyButton, Shown, loading, when};

#[component]
pub fn SetupPage(token: String) -> impl IntoView {
    let t = token.clone();
    let info = load(move || {
        let token = t.clone();
        async move { api::setup_info(&token).await }
    });
    view! {
        <section class="card setup">
                {move || match info.get() {
                        None => loading("Checking the link…"),
                        Some(Ok(i)) => {
                            let token = token.clone();
                            let body = match i.kind {
                                SetupKind::Scim => view! { <ScimWizard token=token info=i.clone() /> }.into_any(),
                                SetupKind::Sso => view! { <SsoWizard token=token status=i.status /> }.into_any(),
                            };
                            let unproven: Vec<_> = i
                                .domains
                                .iter()
                                .filter(|d| d.verification.state != shared::domains::VerificationState::Verified)
                                .filter(|_| i.domain_verification_required)
                                .cloned()
                                .collect();
                            view! {
                                <p class="eyebrow">"Setup"</p>
                                <h1 data-testid="setup-title">{format!("Set up {} for {}", i.kind.label(), i.organization_name)}</h1>
                                <p data-testid="setup-expiry">"This link works until " {when(i.expires_at, Shown::Minute)} "."</p>
                                {(!unproven.is_empty()).then(|| view! {
                                    <details class="record banner warning" data-testid="setup-domains">
                                        <summary>"Domains to prove in DNS (members are routed and provisioned only for verified domains)"</summary>
                                        {unproven.into_iter().map(|d| view! {
                                            <p><strong>{d.domain.clone()}</strong> " — " {d.verification.state.label()}</p>
                                            <p class="hint">"TXT record name"</p>
                                            <div class="copy-row">
                                                <input readonly aria-label=format!("Record name for {}", d.domain) prop:value=d.verification.record_name.clone() />
                                                <CopyButton text=d.verification.record_name.clone() testid="copy-setup-record-name" />
                                            </div>
                                            <p class="hint">"Value"</p>
                                            <div class="copy-row">
                                                <input readonly aria-label=format!("Record value for {}", d.domain) prop:value=d.verification.record_value.clone() />
                                                <CopyButton text=d.verification.record_value.clone() testid="copy-setup-record-value" />
                                            </div>
                                        }).collect_view()}
                                        <p class="hint">"Once the record is published, the domain is verified within minutes (or when your administrator checks it)."</p>
                                    </details>
                                })}
                                {body}
                            }.into_any()
                        }
                        Some(Err(e)) => {
                            let (title, testid) = match &e {
                                ApiError::Problem(p) if p.code.as_deref() == Some("setup_link_expired") => ("This setup link has expired", "setup-expired"),
                                ApiError::Problem(p) if p.code.as_deref() == Some("setup_link_revoked") => ("This setup link no longer works", "setup-revoked"),
                                ApiError::Problem(p) if p.status == 401 => ("This setup link is not valid", "setup-invalid"),
                                _ => ("The link could not be checked", "setup-error"),
                            };
                            view! {
                                <div data-testid=testid>
                                    <h1>{title}</h1>
                                    <p>{e.message()}</p>
                                </div>
                            }.into_any()
                        }
                }}
        </section>
    }
}

/// Asks the server for the link's setup state again.
pub type Refresh = crate::call::Call<(), Result<shared::setup::SetupInfo, ApiError>>;

/// Keeps a wizard's `status` following the server (polling with backoff
/// until it is active). A link that stops working (revoked, replaced,
/// expired) ends the polling; the returned signal then holds why, for the
/// page to say at once. The returned call asks again now ("Check again").
pub fn follow_status(
    token: String,
    status: RwSignal<shared::provisioning::IntegrationStatus>,
) -> (RwSignal<Option<String>>, Refresh) {
    let stopped = RwSignal::new(None::<String>);
    let refresh = crate::call::Call::new(move |_: &()| {
        let t = token.clone();
        async move { api::setup_info(&t).await }
    });
    refresh.on_done(move |result| match result {
        Ok(i) if status.get_untracked() != i.status => status.set(i.status),
        Err(e) if e.status() == Some(410) => stopped.set(Some(e.message())),
        _ => {}
    });
    crate::call::poll(move || {
        if stopped.get_untracked().is_some() {
            return None;
        }
        refresh.dispatch(());
        Some(status.get_untracked() != shared::provisioning::IntegrationStatus::Active)
    });
    (stopped, refresh)
}
