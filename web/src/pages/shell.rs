//! The signed-in frame: organization name, its navigation, the user and
//! logout. Pages render inside it.

use leptos::prelude::*;
use shared::OrganizationId;
use shared::accounts::MeResponse;

use crate::components::LogoutButton;

/// The organization's tabs; later issues add Single Sign-On / Provision here.
const TABS: &[(&str, &str)] = &[("members", "Members")];

#[component]
pub fn Shell(org_id: OrganizationId, active: &'static str, me: MeResponse, children: Children) -> impl IntoView {
    let org_name = me
        .memberships
        .iter()
        .find(|m| m.organization_id == org_id)
        .map(|m| m.organization_name.clone())
        .unwrap_or_default();
    let tabs = TABS
        .iter()
        .map(|(slug, label)| {
            let href = format!("/organizations/{org_id}/{slug}");
            let current = if *slug == active { "page" } else { "false" };
            view! {
                <a href=href class="tab" aria-current=current data-testid=format!("tab-{slug}")>{*label}</a>
            }
        })
        .collect_view();
    view! {
        <header class="topbar">
            <span class="brand">"Gatehouse"</span>
            <span class="user" data-testid="current-user">{me.user.email.clone()}</span>
            <LogoutButton />
        </header>
        <section class="organization">
            <p class="eyebrow">"Organization"</p>
            <h1 data-testid="organization-name">{org_name}</h1>
            <nav class="tabs" aria-label="Organization">{tabs}</nav>
            <div class="tab-panel">{children()}</div>
        </section>
    }
}
