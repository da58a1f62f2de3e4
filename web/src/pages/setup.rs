//! `/setup/{token}`: the page a customer's IT admin opens from a setup link.
//! No account needed. Expired, revoked and invalid links each get their own
//! page that says what to do. SCIM links lead to the Directory Sync wizard.

use leptos::prelude::*;

use shared::setup::SetupKind;

use super::setup_scim::ScimWizard;
use super::setup_sso::SsoWizard;
use crate::api::{self, ApiError};
use crate::call::load;
use crate::components::{Shown, loading, when};

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
                            view! {
                                <p class="eyebrow">"Setup"</p>
                                <h1 data-testid="setup-title">{format!("Set up {} for {}", i.kind.label(), i.organization_name)}</h1>
                                <p data-testid="setup-expiry">"This link works until " {when(i.expires_at, Shown::Minute)} "."</p>
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
