//! The signed-in frame: organization name, its navigation, the user and
//! logout. `OrgPage` loads who is signed in (sending anyone else to the login
//! page) and renders a tab's content inside the frame.

use leptos::prelude::*;
use shared::OrganizationId;
use shared::accounts::MeResponse;

use crate::api;
use crate::call::load;
use crate::components::{LogoutButton, failure, loading};
use crate::nav::use_navigate;

/// The organization's tabs.
const TABS: &[(&str, &str)] = &[
    ("members", "Members"),
    ("provision", "Single Sign-On / Provision"),
    ("billing", "Billing"),
    ("audit", "Audit log"),
];

#[component]
fn Shell(org_id: OrganizationId, active: &'static str, me: MeResponse, children: Children) -> impl IntoView {
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

/// Who is signed in, for the tabs (an Administrator's own row, say).
#[derive(Clone)]
pub struct CurrentUser(pub shared::UserId);

/// A tab of `/organizations/:org_id/…`: `content` renders inside the frame.
#[component]
pub fn OrgPage<F, V>(org: String, active: &'static str, content: F) -> impl IntoView
where
    F: Fn(OrganizationId) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let navigate = use_navigate();
    let org_id = OrganizationId::parse(&org).ok();
    let me = load(api::me);
    move || {
        let org = org_id.clone();
        match (me.get(), org) {
            (None, _) => loading("Loading…"),
            (Some(Err(e)), _) if e.status() == Some(401) => {
                // Back here after signing in.
                crate::nav::remember_return();
                navigate.replace("/login");
                ().into_any()
            }
            (Some(Err(e)), _) => failure(e.message()),
            (Some(Ok(me)), Some(org)) if me.memberships.iter().any(|m| m.organization_id == org) => {
                provide_context(CurrentUser(me.user.id.clone()));
                let body = content(org.clone());
                view! { <Shell org_id=org active=active me=me>{body}</Shell> }.into_any()
            }
            (Some(Ok(_)), _) => view! { <super::not_found::NotFound /> }.into_any(),
        }
    }
}
