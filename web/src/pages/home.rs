//! `/`: sends a signed-in user to their first organization, anyone else to
//! the login page.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api;

#[component]
pub fn Home() -> impl IntoView {
    let navigate = use_navigate();
    let me = LocalResource::new(api::me);
    Effect::new(move || {
        if let Some(result) = me.get() {
            let target = match result {
                Ok(me) => match me.memberships.first() {
                    Some(m) => format!("/organizations/{}/members", m.organization_id),
                    None => "/signup".to_owned(),
                },
                Err(_) => "/login".to_owned(),
            };
            navigate(&target, Default::default());
        }
    });
    view! { <p class="loading" aria-busy="true">"Loading…"</p> }
}
