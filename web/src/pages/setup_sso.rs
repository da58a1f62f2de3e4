//! The Single Sign-On wizard behind a setup link: pick the identity
//! provider, copy our values into it, enter its side, and prove it with a
//! test sign-in (which turns the status Active).

use leptos::prelude::*;
use shared::provisioning::IntegrationStatus;
use shared::sso::{SsoConnection, SsoConnectionRequest, SsoProtocol, SsoProvider};

use crate::api;
use crate::call::{Call, load};
use crate::components::{CopyButton, ErrorBanner, Field, FormErrors, Picker, Shown, when};

/// Where `/sso-result` offers to return after a test sign-in.
pub const RETURN_KEY: &str = "gatehouse_setup_return";

/// How to create the application in the identity provider, per protocol.
fn steps(p: SsoProvider, protocol: SsoProtocol) -> &'static [&'static str] {
    match protocol {
        SsoProtocol::Oidc => oidc_steps(p),
        SsoProtocol::Saml => saml_steps(p),
    }
}

fn saml_steps(p: SsoProvider) -> &'static [&'static str] {
    match p {
        SsoProvider::Okta => &[
            "In the Okta Admin Console open Applications → Create App Integration and choose “SAML 2.0”.",
            "Single sign-on URL: the ACS URL below (keep “Use this for Recipient URL and Destination URL” checked). Audience URI (SP Entity ID): the SP Entity ID below.",
            "Name ID format “EmailAddress”, Application username “Email”. Attribute statements: email → user.email, firstName → user.firstName, lastName → user.lastName.",
            "Assign the people or groups who should sign in; then on the Sign On tab copy the Metadata URL into the form below.",
        ],
        SsoProvider::MicrosoftEntraId => &[
            "In the Microsoft Entra admin center open Enterprise applications → New application → Create your own application (“Integrate any other application you don't find in the gallery”).",
            "Open Single sign-on → SAML. Under Basic SAML Configuration set Identifier (Entity ID) to the SP Entity ID and Reply URL (ACS) to the ACS URL below — or upload our metadata file from the SP metadata URL.",
            "Keep the default claims (the email address claim is what we read).",
            "Assign users and groups; under SAML Certificates copy the App Federation Metadata Url into the form below.",
        ],
        SsoProvider::GoogleWorkspace => &[
            "In the Google Admin console open Apps → Web and mobile apps → Add app → Add custom SAML app.",
            "On “Google Identity Provider details” download the IdP metadata; paste its XML into the form below.",
            "Service provider details: ACS URL and Entity ID from below; Name ID format EMAIL, Name ID “Basic Information > Primary email”.",
            "Turn the app ON for everyone (User access), which can take a few minutes to apply.",
        ],
        SsoProvider::OneLogin => &[
            "In OneLogin open Applications → Add App and choose “SAML Custom Connector (Advanced)”.",
            "On Configuration set Audience (EntityID) to the SP Entity ID, and Recipient and ACS (Consumer) URL to the ACS URL below; SAML signature element “Assertion” or “Both”.",
            "On Parameters make NameID the email; add a parameter named email.",
            "On SSO copy the Issuer URL (the metadata URL) into the form below.",
        ],
        SsoProvider::JumpCloud => &[
            "In the JumpCloud Admin Portal open SSO Applications → Add New Application → Custom SAML App.",
            "SP Entity ID and ACS URL from below; choose an IdP Entity ID; SAMLSubject NameID “email”; Sign “Assertion”. Add the attribute email → email.",
            "Bind the user groups who may sign in, save, then Export Metadata and paste the XML into the form below.",
        ],
        SsoProvider::CustomOidc | SsoProvider::CustomSaml => &[
            "Create a SAML 2.0 application with our ACS URL (HTTP-POST) and SP Entity ID as the audience, or load our metadata from the SP metadata URL.",
            "Sign the assertion (or the whole response) with RSA-SHA256 or better; do not encrypt assertions.",
            "Send the email as the NameID (emailAddress format) or in an attribute named email; firstName and lastName are read too.",
            "Enter its metadata URL, paste its metadata XML, or enter its entity ID, SSO URL (HTTP-Redirect binding) and signing certificate.",
        ],
    }
}

fn oidc_steps(p: SsoProvider) -> &'static [&'static str] {
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
        SsoProvider::CustomSaml => saml_steps(p),
    }
}

/// Where the SAML configuration comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Url,
    Xml,
    Manual,
}

/// The protocol a provider is set up with unless the IT admin picks the other.
fn default_protocol(p: SsoProvider) -> SsoProtocol {
    if p == SsoProvider::CustomOidc { SsoProtocol::Oidc } else { SsoProtocol::Saml }
}

/// The certificate's expiry in words, with a warning when it is close or past.
fn expiry_note(at: chrono::DateTime<chrono::Utc>) -> (String, bool) {
    let now = chrono::DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default();
    let day = when(at, Shown::Day);
    let days = (at - now).num_days();
    if at <= now {
        (format!("The signing certificate expired on {day}: sign-ins fail until you upload the new one."), true)
    } else if days < 30 {
        (
            format!(
                "The signing certificate expires on {day} (in {days} days): add the new one in your identity provider and enter it here."
            ),
            true,
        )
    } else {
        (format!("The signing certificate is valid until {day}."), false)
    }
}

#[component]
pub fn SsoWizard(token: String, status: IntegrationStatus) -> impl IntoView {
    let provider = RwSignal::new(None::<SsoProvider>);
    let protocol = RwSignal::new(None::<SsoProtocol>);
    let source = RwSignal::new(Some(Source::Url));
    let connection = RwSignal::new(None::<SsoConnection>);
    let status = RwSignal::new(status);
    let issuer = RwSignal::new(String::new());
    let client_id = RwSignal::new(String::new());
    let client_secret = RwSignal::new(String::new());
    let metadata_url = RwSignal::new(String::new());
    let metadata_xml = RwSignal::new(String::new());
    let entity_id = RwSignal::new(String::new());
    let sso_url = RwSignal::new(String::new());
    let certificate = RwSignal::new(String::new());
    let form = FormErrors::new();
    let test_form = FormErrors::new();

    let t = token.clone();
    let load = load(move || {
        let t = t.clone();
        async move { api::sso_connection(&t).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(c)) = load.get() {
            issuer.set(c.issuer.clone().unwrap_or_default());
            client_id.set(c.client_id.clone().unwrap_or_default());
            metadata_url.set(c.idp_metadata_url.clone().unwrap_or_default());
            if provider.get_untracked().is_none() {
                provider.set(c.provider);
                protocol.set(c.protocol);
            }
            status.set(c.status);
            connection.set(Some(c));
        }
    });
    // The status follows the server by itself (a test sign-in passed in
    // another tab, a member's sign-in after an error).
    let (stopped, _) = super::setup::follow_status(token.clone(), status);
    // Picking a provider picks its usual protocol (the IT admin can switch).
    Effect::new(move |previous: Option<Option<SsoProvider>>| {
        let p = provider.get();
        let switched = matches!(previous, Some(Some(prev)) if Some(prev) != p);
        if switched || protocol.get_untracked().is_none() {
            protocol.set(p.map(default_protocol));
        }
        p
    });

    let t = token.clone();
    let save = Call::new(move |req: &SsoConnectionRequest| {
        let (t, req) = (t.clone(), req.clone());
        async move { api::save_sso_connection(&t, &req).await }
    });
    form.follow(save, move |c: SsoConnection| {
        client_secret.set(String::new());
        status.set(c.status);
        connection.set(Some(c));
    });
    // Every error lands where the IT admin is looking: "give one of the
    // three" goes to the input of the way they chose; one for a field the
    // form does not show goes to the banner (never a silent no-op).
    let shown = RwSignal::new(Vec::<shared::FieldError>::new());
    Effect::new(move || {
        let chosen_field = match (protocol.get(), source.get()) {
            (Some(SsoProtocol::Oidc), _) => "issuer",
            (_, Some(Source::Xml)) => "idp_metadata_xml",
            (_, Some(Source::Manual)) => "idp_entity_id",
            _ => "idp_metadata_url",
        };
        let visible: &[&str] = match (protocol.get(), source.get()) {
            (Some(SsoProtocol::Oidc), _) => &["issuer", "client_id", "client_secret"],
            (_, Some(Source::Xml)) => &["idp_metadata_xml"],
            (_, Some(Source::Manual)) => &["idp_entity_id", "idp_sso_url", "idp_certificate"],
            _ => &["idp_metadata_url"],
        };
        let mut hidden = Vec::new();
        let mapped = form
            .fields
            .get()
            .into_iter()
            .filter_map(|mut e| {
                if e.field == "idp_metadata_xml" && matches!(e.code.as_str(), "required" | "ambiguous") {
                    e.field = chosen_field.to_owned();
                }
                if visible.contains(&e.field.as_str()) {
                    Some(e)
                } else {
                    hidden.push(e.message);
                    None
                }
            })
            .collect();
        shown.set(mapped);
        if !hidden.is_empty() {
            form.banner.set(Some(hidden.join(" ")));
        }
    });
    let t = token.clone();
    let test = Call::new(move |_: &()| {
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
        let mut req = SsoConnectionRequest {
            provider: provider.get_untracked(),
            protocol: protocol.get_untracked(),
            ..SsoConnectionRequest::default()
        };
        if protocol.get_untracked() == Some(SsoProtocol::Oidc) {
            req.issuer = issuer.get_untracked();
            req.client_id = client_id.get_untracked();
            req.client_secret = client_secret.get_untracked();
        } else {
            match source.get_untracked() {
                Some(Source::Xml) => req.idp_metadata_xml = metadata_xml.get_untracked(),
                Some(Source::Manual) => {
                    req.idp_entity_id = entity_id.get_untracked();
                    req.idp_sso_url = sso_url.get_untracked();
                    req.idp_certificate = certificate.get_untracked();
                }
                _ => req.idp_metadata_url = metadata_url.get_untracked(),
            }
        }
        save.dispatch(req);
    };
    let is_saml = move || protocol.get() == Some(SsoProtocol::Saml);
    // Steps 3 and 4 appear once a protocol is chosen (not again on a switch).
    let chosen = Memo::new(move |_| protocol.get().is_some());
    let configured = move || {
        connection.get().is_some_and(|c| match c.protocol {
            Some(SsoProtocol::Oidc) => c.client_id.is_some(),
            Some(SsoProtocol::Saml) => c.idp_entity_id.is_some(),
            None => false,
        })
    };
    let copy_row = |label: &'static str, id: &'static str, copy: &'static str, value: String| {
        view! {
            <label for=id>{label}</label>
            <div class="copy-row">
                <input id=id readonly data-testid=id prop:value=value.clone() />
                <CopyButton text=value testid=copy />
            </div>
        }
    };

    view! {
        {move || stopped.get().map(|m| view! { <div class="banner error" role="alert" data-testid="setup-stopped">{m}</div> })}
        <p>"Status: " <span class=move || format!("badge {}", status.get().as_str()) data-testid="setup-status">{move || status.get().label()}</span></p>
        <h2>"1. Choose your identity provider"</h2>
        <Picker options=SsoProvider::ALL.map(|p| (p, p.label(), p.as_str())).to_vec() selected=provider label="Identity provider" />
        {move || provider.get().is_some_and(|p| !matches!(p, SsoProvider::CustomSaml | SsoProvider::CustomOidc)).then(|| view! {
            <p class="hint">"Connect with:"</p>
            <Picker options=vec![(SsoProtocol::Saml, "SAML 2.0", "saml"), (SsoProtocol::Oidc, "OpenID Connect", "oidc")]
                selected=protocol label="Protocol" testid="protocol" />
        })}
        {move || provider.get().zip(protocol.get()).map(|(p, proto)| view! {
            <h2>{format!("2. In {}", p.label())}</h2>
            <ol class="steps" data-testid="provider-steps">
                {steps(p, proto).iter().map(|s| view! { <li>{*s}</li> }).collect_view()}
            </ol>
        })}
        {move || connection.get().zip(protocol.get()).map(|(c, proto)| match proto {
            SsoProtocol::Oidc => copy_row("Redirect URI (OpenID Connect)", "redirect-uri", "copy-redirect-uri", c.redirect_uri.clone()).into_any(),
            SsoProtocol::Saml => view! {
                {copy_row("ACS URL (Assertion Consumer Service, HTTP-POST)", "acs-url", "copy-acs-url", c.acs_url.clone())}
                {copy_row("SP Entity ID (Audience URI)", "sp-entity-id", "copy-sp-entity-id", c.sp_entity_id.clone())}
                {copy_row("SP metadata URL", "sp-metadata-url", "copy-sp-metadata-url", c.metadata_url.clone())}
            }.into_any(),
        })}
        {move || chosen.get().then(|| view! {
            <h2>"3. Your identity provider's details"</h2>
            {move || connection.get().filter(|c| c.protocol == Some(SsoProtocol::Saml) && is_saml()).and_then(|c| {
                let entity = c.idp_entity_id.clone()?;
                let (note, warn) = c.idp_certificate_expires_at.map(expiry_note).unwrap_or_default();
                Some(view! {
                    <div class=if warn { "banner warning" } else { "banner" } data-testid="saml-configured">
                        <p>
                            {move || if status.get() == IntegrationStatus::Active {
                                format!("Connected to {entity}")
                            } else {
                                format!("Saved: {entity}")
                            }}
                            {c.idp_sso_url.clone().map(|u| format!(" (sign-in at {u})")).unwrap_or_default()}
                            {move || if status.get() == IntegrationStatus::Active { "." } else { ". Run a test sign-in below to finish." }}
                        </p>
                        <p data-testid="certificate-expiry">{note}</p>
                    </div>
                })
            })}
            <form on:submit=on_save novalidate data-testid="sso-form">
                <ErrorBanner message=form.banner.into() />
                {move || if !is_saml() {
                    view! {
                        <Field label="Issuer URL" name="issuer" value=issuer errors=shown hint="For example https://acme.okta.com" />
                        <Field label="Client ID" name="client_id" value=client_id errors=shown />
                        <Field label="Client secret" name="client_secret" kind="password" value=client_secret errors=shown
                            hint="Stored encrypted and never shown again; once one is stored, leave this empty to keep it." />
                    }.into_any()
                } else { view! {
                    <Picker options=vec![(Source::Url, "Metadata URL", "url"), (Source::Xml, "Metadata XML", "xml"), (Source::Manual, "Enter by hand", "manual")]
                        selected=source label="How to enter the identity provider's side" testid="source" />
                    {move || match source.get() {
                        Some(Source::Xml) => view! {
                            <Field label="Metadata XML" name="idp_metadata_xml" value=metadata_xml errors=shown rows=8
                                hint="Paste the whole file (it starts with <EntityDescriptor or <md:EntityDescriptor)." />
                        }.into_any(),
                        Some(Source::Manual) => view! {
                            <Field label="Identity provider entity ID (Issuer)" name="idp_entity_id" value=entity_id errors=shown />
                            <Field label="Single sign-on URL (HTTP-Redirect)" name="idp_sso_url" value=sso_url errors=shown />
                            <Field label="Signing certificate (PEM)" name="idp_certificate" value=certificate errors=shown rows=6
                                hint="-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----" />
                        }.into_any(),
                        _ => view! {
                            <Field label="Metadata URL" name="idp_metadata_url" value=metadata_url errors=shown
                                hint="Read once now (it must answer within 5 seconds, without redirects); enter it again after the provider rotates its certificate." />
                        }.into_any(),
                    }}
                }.into_any() }}
                <button type="submit" class="primary" data-testid="save-sso" disabled=move || save.pending().get()
                    aria-busy=move || save.pending().get().to_string()>
                    {move || match (save.pending().get(), is_saml()) {
                        (true, true) => "Reading the metadata…",
                        (true, false) => "Checking the issuer…",
                        _ => "Save",
                    }}
                </button>
            </form>
            <h2>"4. Test sign-in"</h2>
            <p class="hint">"Sign in once through your identity provider to prove the connection. On success Single Sign-On becomes active."</p>
            <ErrorBanner message=test_form.banner.into() />
            <button type="button" class="primary" data-testid="test-sso"
                disabled=move || test.pending().get() || !configured() || connection.get().and_then(|c| c.protocol) != protocol.get()
                on:click=move |_| { test_form.clear(); test.dispatch(()); }>
                {move || if test.pending().get() { "Opening your identity provider…" } else { "Run a test sign-in" }}
            </button>
        })}
    }
}
