//! The Single Sign-On wizard behind a setup link: pick the identity
//! provider, copy our values into it, enter its side, and prove it with a
//! test sign-in (which turns the status Active).

use leptos::prelude::*;
use shared::provisioning::IntegrationStatus;
use shared::sso::{SsoConnection, SsoConnectionRequest, SsoProtocol, SsoProvider};

use crate::api;
use crate::components::{CopyButton, ErrorBanner, Field, FormErrors, Picker};

/// Where `/sso-result` offers to return after a test sign-in.
pub const RETURN_KEY: &str = "gatehouse_setup_return";

fn steps(p: SsoProvider) -> &'static [&'static str] {
    match p {
        SsoProvider::Okta => &[
            "In the Okta Admin Console open Applications → Create App Integration, choose “OIDC – OpenID Connect” and “Web Application”.",
            "Set “Sign-in redirect URIs” to the redirect URI below; keep the Authorization Code grant.",
            "Assign the people or groups who should sign in.",
            "Copy the Client ID and Client secret into the form below. The issuer is your Okta domain, e.g. https://acme.okta.com.",
        ],
        SsoProvider::MicrosoftEntraId => &[
            "In the Microsoft Entra admin center open App registrations → New registration; under Redirect URI choose Web and paste the redirect URI below.",
            "Under Certificates & secrets create a New client secret and copy its Value.",
            "Under Token configuration add the optional claim “email” to the ID token.",
            "The issuer is https://login.microsoftonline.com/{your tenant ID}/v2.0; the client ID is the Application (client) ID.",
        ],
        SsoProvider::GoogleWorkspace => &[
            "In the Google Cloud console open APIs & Services → Credentials → Create credentials → OAuth client ID, type “Web application”.",
            "Add the redirect URI below under “Authorized redirect URIs”, and on the consent screen choose “Internal” so only your Workspace users can sign in.",
            "Copy the Client ID and Client secret into the form below. The issuer is https://accounts.google.com.",
        ],
        SsoProvider::OneLogin => &[
            "In OneLogin open Applications → Add App and choose “OpenID Connect (OIDC)”.",
            "On Configuration paste the redirect URI below; on SSO set Token Endpoint authentication to “Basic”.",
            "Copy the Client ID and Client Secret; the issuer is https://{your subdomain}.onelogin.com/oidc/2.",
        ],
        SsoProvider::JumpCloud => &[
            "In the JumpCloud Admin Portal open SSO Applications → Add New Application → Custom OIDC App.",
            "Paste the redirect URI below, choose Client Authentication “Client Secret Basic”, and bind the user groups who may sign in.",
            "Copy the Client ID and Client Secret; the issuer is https://oauth.id.jumpcloud.com.",
        ],
        SsoProvider::CustomOidc => &[
            "Register a web client with the authorization code flow and PKCE (S256), client authentication client_secret_basic, and the redirect URI below.",
            "Allow the scopes openid, email and profile; the ID token must carry email and email_verified.",
            "Enter the issuer (its /.well-known/openid-configuration is read), the client ID and the secret.",
        ],
        SsoProvider::CustomSaml => &[
            "SAML 2.0 connections are being built. Until then, connect your identity provider with OpenID Connect (every provider listed here supports it).",
        ],
    }
}

#[component]
pub fn SsoWizard(token: String, status: IntegrationStatus) -> impl IntoView {
    let provider = RwSignal::new(None::<SsoProvider>);
    let connection = RwSignal::new(None::<SsoConnection>);
    let status = RwSignal::new(status);
    let issuer = RwSignal::new(String::new());
    let client_id = RwSignal::new(String::new());
    let client_secret = RwSignal::new(String::new());
    let form = FormErrors::new();
    let test_form = FormErrors::new();

    let t = token.clone();
    let load = LocalResource::new(move || {
        let t = t.clone();
        async move { api::sso_connection(&t).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(c)) = load.get() {
            issuer.set(c.issuer.clone().unwrap_or_default());
            client_id.set(c.client_id.clone().unwrap_or_default());
            if provider.get_untracked().is_none() {
                provider.set(c.provider);
            }
            status.set(c.status);
            connection.set(Some(c));
        }
    });

    let t = token.clone();
    let save = Action::new_local(move |req: &SsoConnectionRequest| {
        let (t, req) = (t.clone(), req.clone());
        async move { api::save_sso_connection(&t, &req).await }
    });
    form.follow(save, move |c: SsoConnection| {
        client_secret.set(String::new());
        status.set(c.status);
        connection.set(Some(c));
    });
    let t = token.clone();
    let test = Action::new_local(move |_: &()| {
        let t = t.clone();
        async move { api::start_sso_test(&t).await }
    });
    let back = format!("/setup/{token}");
    test_form.follow(test, move |r| {
        if let Some(storage) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) {
            let _ = storage.set_item(RETURN_KEY, &back);
        }
        api::go_to(&r.redirect_url);
    });

    let on_save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        form.clear();
        save.dispatch(SsoConnectionRequest {
            provider: provider.get_untracked(),
            protocol: Some(SsoProtocol::Oidc),
            issuer: issuer.get_untracked(),
            client_id: client_id.get_untracked(),
            client_secret: client_secret.get_untracked(),
        });
    };

    view! {
        <p>"Status: " <span class=move || format!("badge {}", status.get().as_str()) data-testid="setup-status">{move || status.get().label()}</span></p>
        <h2>"1. Choose your identity provider"</h2>
        <Picker options=SsoProvider::ALL.map(|p| (p, p.label(), p.as_str())).to_vec() selected=provider label="Identity provider" />
        {move || provider.get().map(|p| view! {
            <h2>{format!("2. In {}", p.label())}</h2>
            <ol class="steps" data-testid="provider-steps">
                {steps(p).iter().map(|s| view! { <li>{*s}</li> }).collect_view()}
            </ol>
        })}
        {move || connection.get().map(|c| view! {
            <label for="redirect-uri">"Redirect URI (OpenID Connect)"</label>
            <div class="copy-row">
                <input id="redirect-uri" readonly data-testid="redirect-uri" prop:value=c.redirect_uri.clone() />
                <CopyButton text=c.redirect_uri.clone() testid="copy-redirect-uri" />
            </div>
        })}
        <Show when=move || provider.get().is_some_and(|p| p != SsoProvider::CustomSaml)>
            <h2>"3. Your identity provider's details"</h2>
            <form on:submit=on_save novalidate data-testid="sso-form">
                <ErrorBanner message=form.banner.into() />
                <Field label="Issuer URL" name="issuer" value=issuer errors=form.fields hint="For example https://acme.okta.com" />
                <Field label="Client ID" name="client_id" value=client_id errors=form.fields />
                <Field label="Client secret" name="client_secret" kind="password" value=client_secret errors=form.fields
                    hint="Stored encrypted and never shown again; once one is stored, leave this empty to keep it." />
                <button type="submit" class="primary" data-testid="save-sso" disabled=move || save.pending().get()
                    aria-busy=move || save.pending().get().to_string()>
                    {move || if save.pending().get() { "Checking the issuer…" } else { "Save" }}
                </button>
            </form>
            <h2>"4. Test sign-in"</h2>
            <p class="hint">"Sign in once through your identity provider to prove the connection. On success Single Sign-On becomes active."</p>
            <ErrorBanner message=test_form.banner.into() />
            <button type="button" class="primary" data-testid="test-sso"
                disabled=move || test.pending().get() || connection.get().is_none_or(|c| c.client_id.is_none())
                on:click=move |_| { test_form.clear(); test.dispatch(()); }>
                {move || if test.pending().get() { "Opening your identity provider…" } else { "Run a test sign-in" }}
            </button>
        </Show>
    }
}
