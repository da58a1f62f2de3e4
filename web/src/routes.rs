use leptos::prelude::*;

use crate::nav;
use crate::pages::{
    accept_invite::AcceptInvite, audit::AuditLogPage, billing::BillingPage, checkout::CheckoutPage, home::Home,
    login::Login, members::MembersPage, not_found::NotFound, provision::ProvisionPage, setup::SetupPage,
    signup::Signup, sso_result::SsoResult,
};

#[component]
pub fn App() -> impl IntoView {
    let location = nav::start();
    // Only a new path renders another page; the query is read by the page.
    let path = Memo::new(move |_| location.with(|l| l.path.clone()));
    view! {
        <main>
            {move || {
                let path = path.get();
                let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
                match segments.as_slice() {
                    [""] => view! { <Home /> }.into_any(),
                    ["login"] => view! { <Login /> }.into_any(),
                    ["signup"] => view! { <Signup /> }.into_any(),
                    ["invite", token] => view! { <AcceptInvite token=token.to_string() /> }.into_any(),
                    ["setup", token] => view! { <SetupPage token=token.to_string() /> }.into_any(),
                    ["sso-result"] => {
                        view! { <SsoResult query=location.with_untracked(|l| l.query.clone()) /> }.into_any()
                    }
                    ["organizations", org, "members"] => view! { <MembersPage org=org.to_string() /> }.into_any(),
                    ["organizations", org, "provision"] => view! { <ProvisionPage org=org.to_string() /> }.into_any(),
                    ["organizations", org, "checkout"] => view! { <CheckoutPage org=org.to_string() /> }.into_any(),
                    ["organizations", org, "billing"] => view! { <BillingPage org=org.to_string() /> }.into_any(),
                    ["organizations", org, "audit"] => view! { <AuditLogPage org=org.to_string() /> }.into_any(),
                    _ => view! { <NotFound /> }.into_any(),
                }
            }}
        </main>
    }
}
