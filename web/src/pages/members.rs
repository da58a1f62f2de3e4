//! Organization → Members.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use shared::OrganizationId;

use super::invite_form::InviteForm;
use super::shell::Shell;
use crate::api;

#[component]
pub fn MembersPage() -> impl IntoView {
    let params = use_params_map();
    let navigate = use_navigate();
    let org_id = move || params.read().get("org_id").and_then(|s| OrganizationId::parse(&s).ok());
    let data = LocalResource::new(move || {
        let org = org_id();
        async move {
            let me = api::me().await?;
            let members = match &org {
                Some(org) => Some(api::members(org).await?),
                None => None,
            };
            Ok::<_, api::ApiError>((me, org, members))
        }
    });
    view! {
        <Suspense fallback=|| view! { <p class="loading" aria-busy="true">"Loading…"</p> }>
            {move || {
                let navigate = navigate.clone();
                Suspend::new(async move {
                    match data.await {
                        Err(e) if e.status() == Some(401) => {
                            navigate("/login", Default::default());
                            ().into_any()
                        }
                        Err(e) => view! { <div class="banner error" role="alert">{e.message()}</div> }.into_any(),
                        Ok((me, Some(org), Some(members))) => view! {
                            <Shell org_id=org.clone() active="members" me=me>
                                <h2>"Members"</h2>
                                <table class="list" data-testid="members-table">
                                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Joined"</th></tr></thead>
                                    <tbody>
                                        {members.data.into_iter().map(|m| view! {
                                            <tr data-testid="member-row">
                                                <td>{m.name}</td>
                                                <td data-testid="member-email">{m.email}</td>
                                                <td data-testid="member-role">{m.role.label()}</td>
                                                <td>{m.joined_at.format("%Y-%m-%d").to_string()}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <InviteForm org_id=org />
                            </Shell>
                        }.into_any(),
                        Ok(_) => view! { <crate::pages::not_found::NotFound /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}
