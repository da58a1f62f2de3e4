//! Organization → Audit log: each action in words, newest first, narrowed
//! by kind of action, actor and dates, exported as CSV with the same filters.

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

/// The kinds of action to filter on: (prefix or code, label).
const KINDS: &[(&str, &str)] = &[
    ("", "All actions"),
    ("member.", "Members"),
    ("invite.", "Invites"),
    ("checkout.", "Billing"),
    ("domain.", "Domains"),
    ("integration.", "Turning features on and off"),
    ("setup_link.", "Setup links"),
    ("sso.", "Single Sign-On"),
    ("directory.", "Directory changes"),
    ("directory_sync.", "Directory Sync connection"),
    ("login.", "Sign-ins"),
];

/// The query string for the filters (`from`/`to` are dates, whole UTC days).
fn filters(action: &str, actor: &str, from: &str, to: &str) -> String {
    let mut q = Vec::new();
    if !action.is_empty() {
        q.push(format!("action={action}"));
    }
    if !actor.trim().is_empty() {
        q.push(format!("actor={}", js_sys::encode_uri_component(actor.trim())));
    }
    if from.len() == 10 {
        q.push(format!("since={from}T00:00:00Z"));
    }
    if to.len() == 10 {
        // Through the end of that day.
        q.push(format!("until={}", next_day(to)));
    }
    q.join("&")
}

/// `2026-12-01` → `2026-12-02T00:00:00Z`.
fn next_day(day: &str) -> String {
    let d = js_sys::Date::new(&format!("{day}T00:00:00Z").into());
    d.set_utc_date(d.get_utc_date() + 1);
    String::from(d.to_iso_string()).replace(".000Z", "Z")
}

#[component]
fn AuditLog(org_id: OrganizationId) -> impl IntoView {
    let (action, actor, from, to) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let applied = RwSignal::new(String::new());
    let org = org_id.clone();
    let export = move || {
        let q = applied.get();
        format!("/api/v1/organizations/{org}/audit-events?format=csv{}{q}", if q.is_empty() { "" } else { "&" })
    };
    let list = move || {
        let org = org_id.clone();
        let q = applied.get();
        let events = Pages::<AuditEvent>::new(move |after| {
            let (org, q) = (org.clone(), q.clone());
            async move { api::audit_events(&org, &q, after.as_deref()).await.map(|p| (p.data, p.next_cursor)) }
        });
        view! {
            {move || events.error.get().map(failure)}
            <table class="list audit" data-testid="audit-table">
                <thead><tr><th scope="col">"When (UTC)"</th><th scope="col">"Who"</th><th scope="col">"What"</th><th scope="col">"From"</th></tr></thead>
                <tbody>
                    {move || events.items.get().into_iter().map(|e| view! {
                        <tr data-testid="audit-row">
                            <td data-label="When (UTC)">{when(e.occurred_at, Shown::Clock)}</td>
                            <td data-label="Who" class="who"><span class="email">{e.actor_email.unwrap_or_else(|| actor_label(&e.actor))}</span></td>
                            <td data-label="What">
                                <span data-testid="audit-summary">{e.summary}</span>
                                <span class="code" data-testid="audit-action">{e.action}</span>
                            </td>
                            <td data-label="From" class="from">{e.ip.unwrap_or_default()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            {move || (events.items.get().is_empty() && events.error.get().is_none()).then(|| view! {
                <p class="hint" data-testid="audit-empty">"No events match these filters."</p>
            })}
            {events.more_button("Load older", "audit-more")}
        }
    };
    let on_filter = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        applied.set(filters(
            &action.get_untracked(),
            &actor.get_untracked(),
            &from.get_untracked(),
            &to.get_untracked(),
        ));
    };
    view! {
        <h2>"Audit log"</h2>
        <form class="filters" on:submit=on_filter data-testid="audit-filters">
            <label>"Action"
                <select data-testid="filter-action" on:change=move |ev| action.set(event_target_value(&ev))>
                    {KINDS.iter().map(|(value, label)| view! { <option value=*value>{*label}</option> }).collect_view()}
                </select>
            </label>
            <label>"Who (email)"
                <input type="text" data-testid="filter-actor" placeholder="ada@acme.com" prop:value=move || actor.get()
                    on:input=move |ev| actor.set(event_target_value(&ev)) />
            </label>
            <label>"From"
                <input type="date" data-testid="filter-from" prop:value=move || from.get() on:input=move |ev| from.set(event_target_value(&ev)) />
            </label>
            <label>"To"
                <input type="date" data-testid="filter-to" prop:value=move || to.get() on:input=move |ev| to.set(event_target_value(&ev)) />
            </label>
            <div class="filter-actions">
                <button type="submit" class="secondary" data-testid="apply-filters">"Filter"</button>
                <a class="button" href=export download="" data-testid="export-csv">"Export CSV"</a>
            </div>
        </form>
        {list}
    }
}

/// Actors that are not people, as the log names them.
fn actor_label(actor: &str) -> String {
    match actor {
        "directory" => "Your directory (SCIM)".to_owned(),
        "identity_provider" => "Your identity provider".to_owned(),
        "setup_link" => "IT admin (setup link)".to_owned(),
        other => other.to_owned(),
    }
}
