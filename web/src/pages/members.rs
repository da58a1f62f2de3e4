//! Organization → Members.

use leptos::prelude::*;
use shared::OrganizationId;
use shared::accounts::Member;

use super::invite_form::InviteForm;
use super::shell::OrgPage;
use crate::api;
use crate::call::Pages;
use crate::components::{Shown, failure, when};

#[component]
pub fn MembersPage(org: String) -> impl IntoView {
    view! { <OrgPage org=org active="members" content=|org| view! { <MembersTab org_id=org /> } /> }
}

#[component]
fn MembersTab(org_id: OrganizationId) -> impl IntoView {
    let org = org_id.clone();
    let members = Pages::<Member>::new(move |after| {
        let org = org.clone();
        async move { api::members(&org, after.as_deref()).await.map(|p| (p.data, p.next_cursor)) }
    });
    view! {
        <h2>"Members"</h2>
        {move || members.error.get().map(failure)}
        <table class="list" data-testid="members-table">
            <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Plan"</th><th scope="col">"Status"</th><th scope="col">"Joined"</th></tr></thead>
            <tbody>
                {move || members.items.get().into_iter().map(|m| view! {
                    <tr data-testid="member-row">
                        <td>{m.name}</td>
                        <td data-testid="member-email">{m.email}</td>
                        <td data-testid="member-role">{m.role.label()}</td>
                        <td>{m.plan_id.clone().unwrap_or_else(|| "—".to_owned())}</td>
                        <td data-testid="member-status">
                            {if m.suspended { "Suspended" } else { "Active" }}
                            {m.directory_managed.then(|| view! { <span class="hint">" · directory"</span> })}
                        </td>
                        <td>{when(m.joined_at, Shown::Day)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        {members.more_button("Show more", "members-more")}
        <InviteForm org_id=org_id />
    }
}
