//! `/`: sends a signed-in Administrator to their organization, anyone else
//! to the login page; members (who have no admin pages) go to the SaaS's
//! default application, or get a welcome listing its applications.

use leptos::prelude::*;
use shared::accounts::Role;

use crate::api;
use crate::call::load;
use crate::components::{LogoutButton, loading};
use crate::nav::use_navigate;

#[component]
pub fn Home() -> impl IntoView {
    let navigate = use_navigate();
    let me = load(api::me);
    let member_of = RwSignal::new(None::<(String, Vec<shared::accounts::Application>)>);
    Effect::new(move || {
        let Some(result) = me.get() else { return };
        let target = match result {
            Ok(me) => match me.memberships.iter().find(|m| m.role == Role::Admin) {
                Some(m) => format!("/organizations/{}/members", m.organization_id),
                None => match me.memberships.first() {
                    Some(m) => {
                        match me.applications.iter().find(|a| a.default) {
                            Some(app) => drop(window().location().replace(&app.login_url)),
                            None => member_of.set(Some((m.organization_name.clone(), me.applications.clone()))),
                        }
                        return;
                    }
                    None => "/signup".to_owned(),
                },
            },
            Err(_) => "/login".to_owned(),
        };
        navigate.replace(&target);
    });
    view! {
        {move || match member_of.get() {
            None => loading("Loading…"),
            Some((org, apps)) => view! {
                <section class="card narrow" data-testid="member-home">
                    <h1>"Welcome to " {org}</h1>
                    <p>{if apps.is_empty() {
                        "You are a member of this organization. Administrators manage it from Gatehouse."
                    } else {
                        "Open an application to sign in to it with this account."
                    }}</p>
                    <ul class="apps">
                        {apps.into_iter().map(|a| view! { <li><a class="button primary" href=a.login_url>{a.name}</a></li> }).collect_view()}
                    </ul>
                    <LogoutButton />
                </section>
            }.into_any(),
        }}
    }
}
