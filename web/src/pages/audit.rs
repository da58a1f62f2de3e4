//! Organization → Audit log: newest first, "Load older" follows the cursor.

use leptos::prelude::*;
use shared::OrganizationId;
use shared::audit::AuditEvent;

use super::shell::OrgPage;
use crate::api;
use crate::call::Pages;
use crate::components::{Shown, failure, when};

#[component]
pub fn AuditLogPage(org: String) -> impl IntoView {
    view! { <OrgPage org=org active="audit" content=|org| view! { <AuditLog org_id=org /> } /> }
}

#[component]
fn AuditLog(org_id: OrganizationId) -> impl IntoView {
    let events = Pages::<AuditEvent>::new(move |after| {
        let org = org_id.clone();
        async move { api::audit_events(&org, after.as_deref()).await.map(|p| (p.data, p.next_cursor)) }
    });
    view! {
        <h2>"Audit log"</h2>
        {move || events.error.get().map(failure)}
        <table class="list" data-testid="audit-table">
            <thead><tr><th scope="col">"When (UTC)"</th><th scope="col">"Who"</th><th scope="col">"Action"</th><th scope="col">"Target"</th><th scope="col">"From"</th></tr></thead>
            <tbody>
                {move || events.items.get().into_iter().map(|e| view! {
                    <tr data-testid="audit-row">
                        <td>{when(e.occurred_at, Shown::Second)}</td>
                        <td>{e.actor_email.unwrap_or(e.actor)}</td>
                        <td data-testid="audit-action">{e.action}</td>
                        <td>{e.target}</td>
                        <td>{e.ip.unwrap_or_default()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        {events.more_button("Load older", "audit-more")}
    }
}
