//! `/`: sends a signed-in Administrator to their organization, anyone else
//! to the login page; members (who have no admin pages) get a welcome.

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
    let member_of = RwSignal::new(None::<String>);
    Effect::new(move || {
        let Some(result) = me.get() else { return };
        let target = match result {
            Ok(me) => match me.memberships.iter().find(|m| m.role == Role::Admin) {
                Some(m) => format!("/organizations/{}/members", m.organization_id),
                None => match me.memberships.first() {
                    Some(m) => {
                        member_of.set(Some(m.organization_name.clone()));
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
            Some(org) => view! {
                <section class="card narrow" data-testid="member-home">
                    <h1>"Welcome to " {org}</h1>
                    <p>"You are a member of this organization. Administrators manage it from Gatehouse."</p>
                    <LogoutButton />
                </section>
            }.into_any(),
        }}
    }
}
