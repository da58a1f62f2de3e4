//! The Directory Sync (SCIM) wizard behind a setup link: pick the directory,
//! follow its steps, generate the SCIM base URL and bearer token (shown
//! once), and watch the status turn Active on the directory's first request.

use leptos::prelude::*;
use shared::provisioning::IntegrationStatus;
use shared::setup::{DirectoryProvider, ScimCredentials, SetupInfo};

use crate::api;
use crate::call::Call;
use crate::components::{CopyButton, ErrorBanner, FormErrors, Picker, Shown, when};

/// Step-by-step instructions for one provider; `{url}` and `{token}` name
/// the values generated below.
fn steps(p: DirectoryProvider) -> &'static [&'static str] {
    match p {
        DirectoryProvider::Okta => &[
            "In the Okta Admin Console, open Applications → Applications and open your app for this service (or Create App Integration → SAML 2.0).",
            "On the General tab, choose Edit under App Settings, tick “Enable SCIM provisioning” and save.",
            "On the Provisioning tab → Integration → Edit: set “SCIM connector base URL” to the SCIM base URL below and “Unique identifier field for users” to userName.",
            "Tick Push New Users, Push Profile Updates and Push Groups; set Authentication Mode to “HTTP Header” and paste the bearer token below into Authorization.",
            "Choose Test Connector Configuration, then Save.",
            "Under Provisioning → To App → Edit, enable Create Users, Update User Attributes and Deactivate Users.",
            "Assign people or groups to the app (Assignments tab); use Push Groups to send groups.",
        ],
        DirectoryProvider::MicrosoftEntraId => &[
            "In the Microsoft Entra admin center, open Enterprise applications → New application → Create your own application → “Integrate any other application you don't find in the gallery”.",
            "Open Provisioning → Get started and set Provisioning Mode to Automatic.",
            "Under Admin Credentials set Tenant URL to the SCIM base URL below and Secret Token to the bearer token below; choose Test Connection, then Save.",
            "Under Mappings → Provision Microsoft Entra ID Users, keep userName ← userPrincipalName (it must be the person's work email) and emails[type eq \"work\"].value ← mail.",
            "Assign users and groups under Users and groups, then set Provisioning Status to On and Save. Entra ID provisions every 40 minutes; “Provision on demand” tries one user now.",
        ],
        DirectoryProvider::GoogleWorkspace => &[
            "Google Workspace cannot push users to custom applications over SCIM: its automatic provisioning only works for apps in Google's own catalog.",
            "Members can still sign in with Google: set up Single Sign-On with Google Workspace as a SAML identity provider and invite members, or let them be created at their first SSO sign-in.",
            "If you also run a directory that speaks SCIM and syncs from Google (Okta, JumpCloud, OneLogin), connect that one here instead.",
        ],
        DirectoryProvider::OneLogin => &[
            "In OneLogin Administration, open Applications → Add App and choose “SCIM Provisioner with SAML (SCIM v2 Enterprise)”.",
            "On the Configuration tab, set SCIM Base URL to the SCIM base URL below and SCIM Bearer Token to the bearer token below; keep the default SCIM JSON Template; choose Enable under API Status.",
            "On the Provisioning tab, tick “Enable provisioning” and choose what deleting or suspending a user in OneLogin does here (Suspend keeps the member, Delete disconnects them).",
            "Assign the app to users (Users tab or a role); groups follow the app's Parameters → Groups setting.",
        ],
        DirectoryProvider::JumpCloud => &[
            "In the JumpCloud Admin Portal, open SSO Applications → Add New Application → Custom Application, and tick “Export users to this app (Identity Management)”.",
            "On the Identity Management tab choose SCIM API 2.0, set Base URL to the SCIM base URL below and Token Key to the bearer token below.",
            "Choose Test Connection, then Activate and Save.",
            "Bind user groups to the application (User Groups tab): their users are provisioned and the groups are pushed.",
        ],
        DirectoryProvider::Custom => &[
            "Point any SCIM 2.0 client (RFC 7643/7644) at the SCIM base URL below, authenticating with “Authorization: Bearer” and the token below.",
            "Endpoints: /Users and /Groups (create, get, list with filters and paging, PUT, PATCH, DELETE), /ServiceProviderConfig, /ResourceTypes, /Schemas.",
            "Send userName as the person's work email (or a work email in emails); bodies up to 1 MiB; at most 1000 results per page.",
        ],
    }
}

/// How the SCIM attributes land in the organization.
const MAPPING: &[(&str, &str)] = &[
    ("userName", "Unique per organization; usually the work email"),
    ("emails (primary or type work)", "The member's sign-in email: it must be in one of the organization's domains"),
    ("name.givenName, name.familyName, displayName", "The member's name"),
    ("active", "false suspends the member and ends their sessions; true restores access"),
    ("roles[].value = \"admin\"", "Makes the member an Administrator (otherwise a member)"),
    ("externalId", "Your directory's own id, kept for matching"),
    ("Groups and their members", "Kept as groups of members"),
    ("DELETE /Users/{id}", "Disconnects the member from the organization; their account is kept"),
];

#[component]
pub fn ScimWizard(token: String, info: SetupInfo) -> impl IntoView {
    let provider = RwSignal::new(None::<DirectoryProvider>);
    let credentials = RwSignal::new(None::<ScimCredentials>);
    let confirm_replace = RwSignal::new(false);
    let had_token = info.scim_token_created_at;
    let form = FormErrors::new();
    let tok = token.clone();
    let generate = Call::new(move |_: &()| {
        let t = tok.clone();
        async move { api::scim_credentials(&t).await }
    });
    form.follow(generate, move |c| {
        confirm_replace.set(false);
        credentials.set(Some(c));
    });
    let status = RwSignal::new(info.status);
    // The status turns Active on the directory's first request: shown
    // within seconds, without a click.
    let (stopped, refresh) = super::setup::follow_status(token.clone(), status);
    let on_generate = move |_| {
        if (had_token.is_some() || credentials.get_untracked().is_some()) && !confirm_replace.get_untracked() {
            confirm_replace.set(true);
        } else {
            generate.dispatch(());
        }
    };

    view! {
        {move || stopped.get().map(|m| view! { <div class="banner error" role="alert" data-testid="setup-stopped">{m}</div> })}
        <h2>"1. Choose your directory"</h2>
        <Picker options=DirectoryProvider::ALL.map(|p| (p, p.label(), p.as_str())).to_vec() selected=provider label="Directory provider" />
        {move || provider.get().is_none().then(|| view! {
            <h2 data-testid="provider-steps-title">"2. Connect your directory"</h2>
            <p class="hint">"Choose your directory above: its steps appear here."</p>
        })}
        {move || provider.get().map(|p| view! {
            <h2 data-testid="provider-steps-title">{format!("2. Connect {}", p.label())}</h2>
            {(!p.supports_scim()).then(|| view! {
                <div class="banner warning" role="note" data-testid="no-scim">
                    {format!("{} has no SCIM provisioning for custom applications.", p.label())}
                </div>
            })}
            <ol class="steps" data-testid="provider-steps">
                {steps(p).iter().map(|s| view! { <li>{*s}</li> }).collect_view()}
            </ol>
            {p.supports_scim().then(|| view! {
                <details class="mapping">
                    <summary>"How attributes are used"</summary>
                    <table>
                        <thead><tr><th scope="col">"SCIM attribute"</th><th scope="col">"In the organization"</th></tr></thead>
                        <tbody>
                            {MAPPING.iter().map(|(a, b)| view! { <tr><td><code>{*a}</code></td><td>{*b}</td></tr> }).collect_view()}
                        </tbody>
                    </table>
                </details>
            })}
        })}

        <h2>"3. SCIM base URL and token"</h2>
        {had_token.map(|t| view! {
            <p class="hint" data-testid="token-exists">
                {format!("A token was generated on {}. Generating a new one stops the old one from working.", when(t, Shown::Minute))}
            </p>
        })}
        {move || (credentials.get().is_none()).then(|| view! {
            <button type="button" class="primary" data-testid="generate-scim-token"
                disabled=move || generate.pending().get()
                aria-busy=move || generate.pending().get().to_string()
                on:click=on_generate>
                {move || if generate.pending().get() { "Generating…" } else { "Generate SCIM credentials" }}
            </button>
        })}
        {move || (confirm_replace.get()).then(|| view! {
            <div class="banner warning" role="alertdialog" aria-label="Replace the token?" data-testid="confirm-replace">
                <p>"Your directory's current token will stop working at once. Generate a new one?"</p>
                <div class="actions">
                    <button type="button" class="secondary" on:click=move |_| confirm_replace.set(false)>"Cancel"</button>
                    <button type="button" class="danger" data-testid="confirm-replace-token"
                        on:click=move |_| { generate.dispatch(()); }>"Replace the token"</button>
                </div>
            </div>
        })}
        <ErrorBanner message=form.banner.into() />
        {move || credentials.get().map(|c| view! {
            <div class="credentials" data-testid="scim-credentials">
                <label for="scim-base-url">"SCIM base URL"</label>
                <div class="copy-row">
                    <input id="scim-base-url" readonly data-testid="scim-base-url" prop:value=c.scim_base_url.clone() />
                    <CopyButton text=c.scim_base_url.clone() testid="copy-scim-base-url" />
                </div>
                <label for="scim-token">"Bearer token"</label>
                <div class="copy-row">
                    <input id="scim-token" readonly data-testid="scim-token" prop:value=c.bearer_token.clone() />
                    <CopyButton text=c.bearer_token.clone() testid="copy-scim-token" />
                </div>
                <p class="banner warning" role="note">"Copy the token now: it is shown only once. If it is lost, generate a new one here."</p>
                <button type="button" class="secondary" data-testid="regenerate-scim-token" on:click=on_generate>"Generate a new token"</button>
            </div>
        })}

        <h2>"4. Status"</h2>
        <p>
            "Directory Sync: "
            <span class=move || format!("badge {}", status.get().as_str()) data-testid="setup-status">{move || status.get().label()}</span>
            " "
            <button type="button" class="secondary" data-testid="refresh-status"
                disabled=move || refresh.pending().get()
                on:click=move |_| { refresh.dispatch(()); }>"Check again"</button>
        </p>
        {move || (status.get() != IntegrationStatus::Active).then(|| view! {
            <p class="hint">"The status turns Active on your directory's first request with the token."</p>
        })}
        {move || (status.get() == IntegrationStatus::Active).then(|| view! {
            <p class="banner ok" data-testid="scim-active">"Your directory is connected: new people assigned to the app become members automatically."</p>
        })}
    }
}
