//! Organization → Single Sign-On / Provision: domains, the Provision Default
//! Plan, and where each feature stands.

use leptos::prelude::*;
use shared::domains::{AddDomainsRequest, DomainsInput, NormalizedDomain, VerificationState, normalize_all};
use shared::provisioning::{
    Integration, IntegrationStatus, InviteSettings, Plan, ProvisioningResponse, SetDefaultPlanRequest,
};
use shared::setup::{SetupKind, SetupLinkResponse, SetupLinkStatus};
use shared::{DomainId, OrganizationId};

use super::shell::OrgPage;
use crate::api::{self, validation_error};
use crate::call::{Call, load, poll};
use crate::components::{CopyButton, Dialog, ErrorBanner, FormErrors, Shown, SubmitButton, failure, loading, when};

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
                    {state.features.sso.then(|| view! { <super::enforcement::RequireSsoCard org_id=org_id.clone() /> })}
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
    let org = org_id.clone();
    let check = Call::new(move |id: &DomainId| {
        let org = org.clone();
        let id = id.clone();
        async move { api::verify_domain(&org, &id).await }
    });
    form.follow(check, move |_| version.update(|v| *v += 1));

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
            {(!state.domain_verification_required).then(|| view! {
                <div class="banner warning" role="note" data-testid="verification-off">
                    "Domain verification is off on this server: a claimed domain routes sign-ins and provisions members without proof. Turn it on before real customers use it: "
                    <code>"GATEHOUSE_DOMAIN_VERIFICATION=required"</code> "."
                </div>
            })}
            <ul class="domains" data-testid="domain-list">
                {state.domains.iter().map(|d| {
                    let id = d.id.clone();
                    let check_id = d.id.clone();
                    let v = d.verification.clone();
                    let verified = v.state == VerificationState::Verified;
                    let badge = match v.state {
                        VerificationState::Verified => "badge active",
                        VerificationState::Pending => "badge awaiting",
                        _ => "badge error",
                    };
                    view! {
                        <li data-testid="domain-row">
                            <div class="domain-head">
                                <span data-testid="domain-name">{d.domain.clone()}</span>
                                <span class=badge data-testid=format!("verification-{}", d.domain)>{v.state.label()}</span>
                                <button type="button" class="link" data-testid=format!("remove-{}", d.domain)
                                    aria-label=format!("Remove {}", d.domain)
                                    on:click=move |_| { remove.dispatch(id.clone()); }>"Remove"</button>
                            </div>
                            {(!verified).then(|| view! {
                                <details class="record" open=v.state != VerificationState::Pending || v.checked_at.is_none()>
                                    <summary>"Prove it with a DNS record"</summary>
                                    <p class="hint">"At your DNS provider (Cloudflare, Route 53, Google Cloud DNS, GoDaddy…), add a TXT record with this name and value, then check. A CNAME at this name pointing to a TXT record works too."</p>
                                    <label class="hint">"Name"</label>
                                    <div class="copy-row">
                                        <input readonly aria-label=format!("Record name for {}", d.domain) prop:value=v.record_name.clone() />
                                        <CopyButton text=v.record_name.clone() testid="copy-record-name" />
                                    </div>
                                    <label class="hint">"Value"</label>
                                    <div class="copy-row">
                                        <input readonly aria-label=format!("Record value for {}", d.domain) prop:value=v.record_value.clone() />
                                        <CopyButton text=v.record_value.clone() testid="copy-record-value" />
                                    </div>
                                    {v.reason.clone().map(|r| view! { <p class="status-reason" data-testid=format!("verification-reason-{}", d.domain)>{r}</p> })}
                                    <button type="button" class="secondary" data-testid=format!("verify-{}", d.domain)
                                        disabled=move || check.pending().get()
                                        on:click=move |_| { check.dispatch(check_id.clone()); }>
                                        {move || if check.pending().get() { "Checking…" } else { "Check now" }}
                                    </button>
                                </details>
                            })}
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
    // The statuses follow the server by themselves (a directory's first
    // request, a passed test sign-in) without reloading the rest of the tab.
    let live = RwSignal::new((state.sso.clone(), state.directory_sync.clone()));
    let org = org_id.clone();
    let refresh = Call::new(move |_: &()| {
        let org = org.clone();
        async move { api::provisioning(&org).await }
    });
    refresh.on_done(move |result| {
        if let Ok(s) = result {
            let now = (s.sso.clone(), s.directory_sync.clone());
            if live.get_untracked() != now {
                live.set(now);
            }
        }
    });
    poll(move || {
        refresh.dispatch(());
        let (sso, directory) = live.get_untracked();
        Some(
            [sso.status, directory.status]
                .iter()
                .any(|s| matches!(s, IntegrationStatus::Awaiting | IntegrationStatus::Error)),
        )
    });
    let (purchased_sso, purchased_directory) = (state.features.sso, state.features.directory_sync);
    let org = org_id.clone();
    view! {
        <section class="card" aria-labelledby="status-title">
            <h2 id="status-title">"Integration Status"</h2>
            {move || {
                let (sso, directory) = live.get();
                view! {
                    <StatusRow org_id=org.clone() which="sso" purchased=purchased_sso integration=sso version=version />
                    <StatusRow org_id=org.clone() which="directory-sync" purchased=purchased_directory integration=directory version=version />
                }
            }}
            <p class="hint" data-testid="checkout-readiness">
                {match (state.features.sso, state.features.directory_sync) {
                    (true, true) => "Single Sign-On and Directory Sync are purchased; receipts are under Billing.".to_owned(),
                    _ if !missing.is_empty() => format!("Before checkout: {}.", missing.join(" and ")),
                    (true, false) => "Ready for checkout: Directory Sync can be added.".to_owned(),
                    (false, true) => "Ready for checkout: Single Sign-On can be added.".to_owned(),
                    (false, false) => "Ready for checkout.".to_owned(),
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
        <div class="status-block">
            <div class="status-head">
                <span class="status-name">{label}</span>
                <span class=class data-testid=format!("status-{which}")>{integration.status.label()}</span>
                {purchased.then(|| view! {
                    <label class="switch">
                        <input type="checkbox" role="switch" data-testid=format!("toggle-{which}") prop:checked=on
                            aria-label=format!("{label} on")
                            on:click=move |ev| {
                                ev.prevent_default();
                                if on { asking.set(true) } else { toggle.dispatch(true); }
                            } />
                        <span>{if on { "On" } else { "Off" }}</span>
                    </label>
                })}
            </div>
            {integration.reason.map(|r| view! { <p class="status-reason" data-testid=format!("reason-{which}")>{r}</p> })}
            {integration.last_activity_at.map(|t| {
                let what = if which == "sso" { "Last sign-in" } else { "Last directory request" };
                view! {
                    <p class="hint" data-testid=format!("activity-{which}")>
                        {format!("{what}: {}", when(t, Shown::Minute))}
                    </p>
                }
            })}
        </div>
        <ErrorBanner message=form.banner.into() />
        {move || (asking.get()).then(|| view! {
            <Dialog title_id=format!("confirm-{which}-title") testid="confirm-dialog" on_close=Callback::new(move |()| asking.set(false))>
                <h3 id=format!("confirm-{which}-title")>{format!("Turn off {label}?")}</h3>
                <p>{warning}</p>
                <p class="hint">"The configuration is kept: turning it back on needs no new setup."</p>
                <div class="actions">
                    <button class="secondary" data-testid="confirm-cancel" on:click=move |_| asking.set(false)>"Cancel"</button>
                    <button class="danger" data-testid="confirm-turn-off" disabled=move || toggle.pending().get()
                        on:click=move |_| { toggle.dispatch(false); }>{format!("Turn off {label}")}</button>
                </div>
            </Dialog>
        })}
    }
}

/// Step 8: the setup links for the IT admin — the current one of each kind
/// (sent, opened, finished, expired or revoked), generate or regenerate,
/// copy (right after generating: only the link's hash is kept), revoke.
#[component]
fn SetupLinksCard(org_id: OrganizationId, state: ProvisioningResponse) -> impl IntoView {
    let fresh = RwSignal::new(Vec::<SetupLinkResponse>::new());
    let changed = RwSignal::new(0u32);
    let org = org_id.clone();
    let listed = load(move || {
        changed.track();
        let org = org.clone();
        async move { api::setup_links(&org).await }
    });
    let form = FormErrors::new();
    let org = org_id.clone();
    let generate = Call::new(move |kind: &SetupKind| {
        let org = org.clone();
        let kind = *kind;
        async move { api::create_setup_link(&org, kind).await }
    });
    form.follow(generate, move |link| {
        fresh.update(|l| {
            l.retain(|x| x.kind != link.kind);
            l.push(link);
        });
        changed.update(|v| *v += 1);
    });
    let revoke = Call::new(move |(id, _kind): &(String, SetupKind)| {
        let org = org_id.clone();
        let id = id.clone();
        async move { api::revoke_setup_link(&org, &id).await }
    });
    revoke.on_done(move |result| match result {
        Ok(()) => {
            fresh.set(Vec::new());
            changed.update(|v| *v += 1);
        }
        Err(e) => form.show(e),
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
    let busy = move || generate.pending().get() || revoke.pending().get();
    let block = move |(kind, off): (SetupKind, bool)| {
        let short = if kind == SetupKind::Sso { "SSO" } else { "SCIM" };
        let current =
            move || listed.get().and_then(Result::ok).and_then(|l| l.data.into_iter().find(|x| x.kind == kind));
        let url = move || fresh.get().into_iter().find(|l| l.kind == kind).map(|l| l.url);
        view! {
            <div class="link-block" data-testid=format!("{}-link-block", kind.as_str())>
                <h3>{kind.label()}</h3>
                {move || current().map(|l| {
                    let live = matches!(l.status, SetupLinkStatus::Sent | SetupLinkStatus::Opened | SetupLinkStatus::Completed)
                        && l.revoked_at.is_none();
                    let badge = match l.status {
                        SetupLinkStatus::Completed => "badge active",
                        SetupLinkStatus::Revoked | SetupLinkStatus::Expired => "badge inactive",
                        _ => "badge awaiting",
                    };
                    let detail = match (l.status, l.revoked_reason.as_deref()) {
                        (SetupLinkStatus::Revoked, Some("feature_off")) => "Stopped when the feature was turned off.".to_owned(),
                        (SetupLinkStatus::Revoked, Some("replaced")) => "Replaced by a newer link.".to_owned(),
                        (SetupLinkStatus::Revoked, _) => l
                            .revoked_at
                            .map_or_else(|| "By an Administrator.".to_owned(), |t| format!("By an Administrator, {}.", when(t, Shown::Minute))),
                        (SetupLinkStatus::Expired, _) => format!("Expired {}.", when(l.expires_at, Shown::Minute)),
                        _ => format!("Generated {}; expires {}.", when(l.created_at, Shown::Minute), when(l.expires_at, Shown::Minute)),
                    };
                    let id = l.id.clone();
                    view! {
                        <p class="link-state" data-testid=format!("{}-link", kind.as_str())>
                            <span class=badge data-testid=format!("{}-link-status", kind.as_str())>{l.status.label()}</span>
                            " " {detail}
                            {l.opened_at.map(|t| view! { <span class="hint">{format!(" Opened {}.", when(t, Shown::Minute))}</span> })}
                            {l.completed_at.map(|t| view! { <span class="hint">{format!(" Finished {}.", when(t, Shown::Minute))}</span> })}
                        </p>
                        {live.then(|| view! {
                            <button class="link danger-text" data-testid=format!("revoke-{}-link", kind.as_str())
                                disabled=busy
                                on:click=move |_| { revoke.dispatch((id.clone(), kind)); }>"Revoke link"</button>
                        })}
                    }
                })}
                {move || url().map(|u| view! {
                    <div class="copy-row">
                        <input readonly aria-label=format!("{} setup link", kind.label()) data-testid=format!("{}-link-url", kind.as_str()) prop:value=u.clone() />
                        <CopyButton text=u testid="copy-setup-link" />
                    </div>
                    <p class="hint">"Copy it now: for safety it is shown only once. Regenerate for a new one."</p>
                })}
                <button class="secondary" data-testid=format!("generate-{}-link", kind.as_str())
                    disabled=move || off || busy()
                    title=if off { "Turn it on first" } else { "" }
                    on:click=move |_| { generate.dispatch(kind); }>
                    {move || match current().map(|l| l.status) {
                        Some(SetupLinkStatus::Sent | SetupLinkStatus::Opened) => format!("Regenerate {short} link"),
                        Some(_) => format!("Generate a new {short} link"),
                        None => format!("Generate {short} setup link"),
                    }}
                </button>
            </div>
        }
    };
    view! {
        <section class="card" aria-labelledby="links-title">
            <h2 id="links-title">"Setup links"</h2>
            <p class="hint">"Send a link to the person who manages your identity provider. It works for 24 hours; regenerating replaces the old one."</p>
            <ErrorBanner message=form.banner.into() />
            {kinds.into_iter().map(block).collect_view()}
        </section>
    }
    .into_any()
}
