//! Organization → Audit log: newest first, "Load older" follows the cursor.

use leptos::prelude::*;
use shared::OrganizationId;
use shared::audit::AuditEvent;

use super::shell::OrgPage;
use crate::api;
use crate::call::Call;
use crate::components::{Shown, failure, when};

#[component]
pub fn AuditLogPage(org: String) -> impl IntoView {
    view! { <OrgPage org=org active="audit" content=|org| view! { <AuditLog org_id=org /> } /> }
}

#[component]
fn AuditLog(org_id: OrganizationId) -> impl IntoView {
    let events = RwSignal::new(Vec::<AuditEvent>::new());
    let cursor = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let load = Call::new(move |after: &Option<String>| {
        let org = org_id.clone();
        let after = after.clone();
        async move { api::audit_events(&org, after.as_deref()).await }
    });
    load.on_done(move |result| match result {
        Ok(page) => {
            events.update(|e| e.extend(page.data.iter().cloned()));
            cursor.set(page.next_cursor.clone());
        }
        Err(e) => error.set(Some(e.message())),
    });
    load.dispatch(None);
    view! {
        <h2>"Audit log"</h2>
        {move || error.get().map(failure)}
        <table class="list" data-testid="audit-table">
            <thead><tr><th scope="col">"When (UTC)"</th><th scope="col">"Who"</th><th scope="col">"Action"</th><th scope="col">"Target"</th><th scope="col">"From"</th></tr></thead>
            <tbody>
                {move || events.get().into_iter().map(|e| view! {
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
        {move || (cursor.get().is_some()).then(|| view! {
            <button class="secondary" data-testid="audit-more" disabled=move || load.pending().get()
                on:click=move |_| { load.dispatch(cursor.get_untracked()); }>"Load older"</button>
        })}
    }
}
