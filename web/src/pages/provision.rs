//! Organization → Single Sign-On / Provision: domains, the Provision Default
//! Plan, and where each feature stands.

use leptos::prelude::*;
use shared::domains::{AddDomainsRequest, DomainsInput, NormalizedDomain, normalize_all};
use shared::provisioning::{
    Integration, IntegrationStatus, InviteSettings, Plan, ProvisioningResponse, SetDefaultPlanRequest,
};
use shared::setup::{SetupKind, SetupLinkResponse};
use shared::{DomainId, OrganizationId};

use super::shell::OrgPage;
use crate::api::{self, validation_error};
use crate::call::{Call, load};
use crate::components::{CopyButton, ErrorBanner, FormErrors, Shown, SubmitButton, failure, loading, when};

#[component]
pub fn ProvisionPage(org: String) -> impl IntoView {
    view! { <OrgPage org=org active="provision" content=|org| view! { <ProvisionTab org_id=org /> } /> }
}

#[component]
fn ProvisionTab(org_id: OrganizationId) -> impl IntoView {
    // Bumped after every change so the tab reloads what the server now holds.
    let version = RwSignal::new(0u32);
    // Outlives the reload, so "what each input became" stays on screen.
    let normalized = RwSignal::new(Vec::<NormalizedDomain>::new());
    let org = org_id.clone();
    let data = load(move || {
        version.track();
        let org = org.clone();
        async move { Ok::<_, api::ApiError>((api::provisioning(&org).await?, api::plans().await?)) }
    });
    view! {
        {move || match data.get() {
            None => loading("Loading…"),
            Some(Err(e)) => failure(e.message()),
            Some(Ok((state, plans))) => view! {
                <div class="grid">
                    <DomainsCard org_id=org_id.clone() state=state.clone() version=version normalized=normalized />
                    <PlanCard org_id=org_id.clone() state=state.clone() plans=plans version=version />
                    <StatusCard org_id=org_id.clone() state=state.clone() version=version />
                    <SetupLinksCard org_id=org_id.clone() state=state.clone() />
                    <InviteSettingsCard org_id=org_id.clone() state=state version=version />
                </div>
            }.into_any(),
        }}
    }
}

#[component]
fn DomainsCard(
    org_id: OrganizationId,
    state: ProvisioningResponse,
    version: RwSignal<u32>,
    normalized: RwSignal<Vec<NormalizedDomain>>,
) -> impl IntoView {
    let input = RwSignal::new(String::new());
    let form = FormErrors::new();
    let org = org_id.clone();
    let add = Call::new(move |text: &String| {
        let org = org.clone();
        let domains = DomainsInput::Text(text.clone());
        async move {
            // Syntax rules run here first; lists (public suffixes, free mail) on the server.
            normalize_all(&domains.entries(), |_| Ok(())).map_err(validation_error)?;
            api::add_domains(&org, &AddDomainsRequest { domains }).await
        }
    });
    form.follow(add, move |res| {
        input.set(String::new());
        normalized.set(res.normalized);
        version.update(|v| *v += 1);
    });
    let org = org_id.clone();
    let remove = Call::new(move |id: &DomainId| {
        let org = org.clone();
        let id = id.clone();
        async move { api::remove_domain(&org, &id).await }
    });
    form.follow(remove, move |()| version.update(|v| *v += 1));

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        form.clear();
        add.dispatch(input.get_untracked());
    };
    let domain_errors = move || {
        form.fields.get().into_iter().filter(|e| e.field.starts_with("domains")).map(|e| e.message).collect::<Vec<_>>()
    };
    view! {
        <section class="card" aria-labelledby="domains-title">
            <h2 id="domains-title">"Domains"</h2>
            <p class="hint">"Members whose email is at one of these domains can be provisioned by SSO and SCIM."</p>
            <ul class="domains" data-testid="domain-list">
                {state.domains.iter().map(|d| {
                    let id = d.id.clone();
                    view! {
                        <li data-testid="domain-row">
                            <span data-testid="domain-name">{d.domain.clone()}</span>
                            <button type="button" class="link" data-testid=format!("remove-{}", d.domain)
                                aria-label=format!("Remove {}", d.domain)
                                on:click=move |_| { remove.dispatch(id.clone()); }>"Remove"</button>
                        </li>
                    }
                }).collect_view()}
                {state.domains.is_empty().then(|| view! { <li class="hint">"No domains yet."</li> })}
            </ul>
            <form on:submit=on_submit novalidate data-testid="domains-form">
                <ErrorBanner message=form.banner.into() />
                <div class="field">
                    <label for="field-domains">"Add Domain"</label>
                    <input id="field-domains" data-testid="input-domains" placeholder="acme.com, acme.io"
                        aria-invalid=move || if domain_errors().is_empty() { "false" } else { "true" }
                        aria-describedby="error-domains"
                        prop:value=move || input.get() on:input=move |ev| input.set(event_target_value(&ev)) />
                    <p class="hint">"Comma separated. Pasted addresses like https://www.acme.com/ are cleaned up."</p>
                    <ul class="field-error" id="error-domains" data-testid="error-domains" role="alert">
                        {move || domain_errors().into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
                    </ul>
                </div>
                <SubmitButton label="Add Domain" busy_label="Adding…" busy=add.pending() testid="add-domains" />
            </form>
            {move || (!normalized.read().is_empty()).then(|| view! {
                <div class="banner ok" role="status" data-testid="normalized">
                    <p>"Added:"</p>
                    <ul>
                        {move || normalized.get().into_iter().map(|n| view! {
                            <li>{if n.input == n.domain { n.domain } else { format!("{} → {}", n.input, n.domain) }}</li>
                        }).collect_view()}
                    </ul>
                </div>
            })}
        </section>
    }
}

#[component]
fn PlanCard(
    org_id: OrganizationId,
    state: ProvisioningResponse,
    plans: Vec<Plan>,
    version: RwSignal<u32>,
) -> impl IntoView {
    let selected = RwSignal::new(state.default_plan_id.clone().unwrap_or_default());
    let form = FormErrors::new();
    let save = Call::new(move |plan_id: &String| {
        let org = org_id.clone();
        let req = SetDefaultPlanRequest { plan_id: plan_id.clone() };
        async move { api::set_default_plan(&org, &req).await }
    });
    form.follow(save, move |_| version.update(|v| *v += 1));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        form.clear();
        save.dispatch(selected.get_untracked());
    };
    let message = move || form.fields.get().into_iter().next().map(|e| e.message);
    view! {
        <section class="card" aria-labelledby="plan-title">
            <h2 id="plan-title">"Provision Default Plan"</h2>
            <p class="hint">"Every new member provisioned with SSO or SCIM gets this plan."</p>
            <form on:submit=on_submit novalidate data-testid="plan-form">
                <ErrorBanner message=form.banner.into() />
                <div class="field">
                    <label for="field-plan">"Plan"</label>
                    <select id="field-plan" data-testid="input-plan" on:change=move |ev| selected.set(event_target_value(&ev))>
                        <option value="" selected=state.default_plan_id.is_none() disabled=true>"Choose a plan"</option>
                        {plans.into_iter().map(|p| {
                            let is_current = state.default_plan_id.as_deref() == Some(p.id.as_str());
                            view! { <option value=p.id.clone() selected=is_current>{format!("{} — {}", p.name, p.description)}</option> }
                        }).collect_view()}
                    </select>
                    <p class="field-error" data-testid="error-plan" role="alert">{message}</p>
                </div>
                <SubmitButton label="Save plan" busy_label="Saving…" busy=save.pending() testid="save-plan" />
            </form>
        </section>
    }
}

#[component]
fn StatusCard(org_id: OrganizationId, state: ProvisioningResponse, version: RwSignal<u32>) -> impl IntoView {
    let missing: Vec<&str> = [
        state.domains.is_empty().then_some("add at least one domain"),
        state.default_plan_id.is_none().then_some("choose a default plan"),
    ]
    .into_iter()
    .flatten()
    .collect();
    view! {
        <section class="card" aria-labelledby="status-title">
            <h2 id="status-title">"Integration Status"</h2>
            <StatusRow org_id=org_id.clone() which="sso" purchased=state.features.sso integration=state.sso.clone() version=version />
            <StatusRow org_id=org_id.clone() which="directory-sync" purchased=state.features.directory_sync integration=state.directory_sync.clone() version=version />
            <p class="hint" data-testid="checkout-readiness">
                {if missing.is_empty() {
                    "Ready for checkout.".to_owned()
                } else {
                    format!("Before checkout: {}.", missing.join(" and "))
                }}
            </p>
            {(!(state.features.sso && state.features.directory_sync)).then(|| if missing.is_empty() {
                view! { <a class="button primary" href=format!("/organizations/{org_id}/checkout") data-testid="continue-to-checkout">"Continue to Checkout"</a> }.into_any()
            } else {
                view! { <button class="primary" disabled=true data-testid="continue-to-checkout">"Continue to Checkout"</button> }.into_any()
            })}
        </section>
    }
}

#[component]
fn InviteSettingsCard(org_id: OrganizationId, state: ProvisioningResponse, version: RwSignal<u32>) -> impl IntoView {
    let form = FormErrors::new();
    let save = Call::new(move |on: &bool| {
        let org = org_id.clone();
        let req = InviteSettings { disable_passwords_on_invites: *on };
        async move { api::set_invite_settings(&org, &req).await }
    });
    form.follow(save, move |_| version.update(|v| *v += 1));
    view! {
        <section class="card" aria-labelledby="invites-title">
            <h2 id="invites-title">"Invites"</h2>
            <ErrorBanner message=form.banner.into() />
            <label class="checkbox">
                <input type="checkbox" data-testid="toggle-disable-passwords"
                    prop:checked=state.disable_passwords_on_invites
                    disabled=move || save.pending().get()
                    on:change=move |ev| { save.dispatch(event_target_checked(&ev)); } />
                " Disable Passwords on Invites"
            </label>
            <p class="hint">"Invites sent while this is on create accounts without a password; members sign in with SSO. \
                Not retroactive: invites already sent keep their behaviour."</p>
        </section>
    }
}

/// One feature's badge and its on/off switch. Turning off asks first.
#[component]
fn StatusRow(
    org_id: OrganizationId,
    which: &'static str,
    purchased: bool,
    integration: Integration,
    version: RwSignal<u32>,
) -> impl IntoView {
    let (label, warning) = if which == "sso" {
        (
            "Single Sign-On",
            "Members will not be able to sign in with SSO. Deactivating Single Sign-On will also disable Directory Sync.",
        )
    } else {
        (
            "Directory Sync",
            "Your directory will stop creating, updating and suspending members. Single Sign-On stays on.",
        )
    };
    let on = integration.status != IntegrationStatus::Inactive;
    let asking = RwSignal::new(false);
    let form = FormErrors::new();
    let toggle = Call::new(move |enabled: &bool| {
        let org = org_id.clone();
        let enabled = *enabled;
        async move { api::set_integration(&org, which, enabled).await }
    });
    form.follow(toggle, move |_| {
        asking.set(false);
        version.update(|v| *v += 1);
    });
    let class = format!("badge {}", integration.status.as_str());
    view! {
        <div class="status-row">
            <span>{label}</span>
            <span class=class data-testid=format!("status-{which}")>{integration.status.label()}</span>
            {integration.reason.map(|r| view! { <span class="hint" data-testid=format!("reason-{which}")>{r}</span> })}
            {integration.last_activity_at.map(|t| {
                let what = if which == "sso" { "Last sign-in" } else { "Last directory request" };
                view! {
                    <span class="hint" data-testid=format!("activity-{which}")>
                        {format!("{what}: {}", when(t, Shown::Minute))}
                    </span>
                }
            })}
            {purchased.then(|| view! {
                <label class="switch">
                    <input type="checkbox" role="switch" data-testid=format!("toggle-{which}") prop:checked=on
                        aria-label=format!("{label} on")
                        on:click=move |ev| {
                            ev.prevent_default();
                            if on { asking.set(true) } else { toggle.dispatch(true); }
                        } />
                </label>
            })}
        </div>
        <ErrorBanner message=form.banner.into() />
        {move || (asking.get()).then(|| view! {
            <div class="backdrop">
                <div class="dialog" role="dialog" aria-modal="true" aria-labelledby=format!("confirm-{which}-title") data-testid="confirm-dialog">
                    <h3 id=format!("confirm-{which}-title")>{format!("Turn off {label}?")}</h3>
                    <p>{warning}</p>
                    <p class="hint">"The configuration is kept: turning it back on needs no new setup."</p>
                    <div class="actions">
                        <button class="secondary" data-testid="confirm-cancel" on:click=move |_| asking.set(false)>"Cancel"</button>
                        <button class="danger" data-testid="confirm-turn-off" disabled=move || toggle.pending().get()
                            on:click=move |_| { toggle.dispatch(false); }>{format!("Turn off {label}")}</button>
                    </div>
                </div>
            </div>
        })}
    }
}

/// Step 8: generate the SSO and SCIM setup links for the IT admin.
#[component]
fn SetupLinksCard(org_id: OrganizationId, state: ProvisioningResponse) -> impl IntoView {
    let links = RwSignal::new(Vec::<SetupLinkResponse>::new());
    let form = FormErrors::new();
    let generate = Call::new(move |kind: &SetupKind| {
        let org = org_id.clone();
        let kind = *kind;
        async move { api::create_setup_link(&org, kind).await }
    });
    form.follow(generate, move |link| {
        links.update(|l| {
            l.retain(|x| x.kind != link.kind);
            l.push(link);
        })
    });
    let kinds: Vec<(SetupKind, bool)> =
        [(SetupKind::Sso, state.sso.status), (SetupKind::Scim, state.directory_sync.status)]
            .into_iter()
            .filter(|(_, status)| *status != IntegrationStatus::NotPurchased)
            .map(|(k, status)| (k, status == IntegrationStatus::Inactive))
            .collect();
    if kinds.is_empty() {
        return ().into_any();
    }
    view! {
        <section class="card" aria-labelledby="links-title">
            <h2 id="links-title">"Setup links"</h2>
            <p class="hint">"Send a link to the person who manages your identity provider. It works for 24 hours; generating a new one replaces the old one."</p>
            <ErrorBanner message=form.banner.into() />
            {kinds.into_iter().map(|(kind, off)| view! {
                <button class="secondary block" data-testid=format!("generate-{}-link", kind.as_str())
                    disabled=move || off || generate.pending().get()
                    on:click=move |_| { generate.dispatch(kind); }>
                    {format!("Generate {} setup link", if kind == SetupKind::Sso { "SSO" } else { "SCIM" })}
                </button>
            }).collect_view()}
            {move || links.get().into_iter().map(|l| view! {
                <div class="banner ok" data-testid=format!("{}-link", l.kind.as_str())>
                    <p>{l.kind.label()} " — expires " {when(l.expires_at, Shown::Minute)}</p>
                    <div class="copy-row">
                        <input readonly aria-label=format!("{} setup link", l.kind.label()) data-testid=format!("{}-link-url", l.kind.as_str()) prop:value=l.url.clone() />
                        <CopyButton text=l.url.clone() testid="copy-setup-link" />
                    </div>
                </div>
            }).collect_view()}
        </section>
    }
    .into_any()
}
