//! Organization → Billing: the purchases, newest first, each with its
//! receipt (what was bought, amount, card, date, purchase id).

use leptos::prelude::*;
use shared::OrganizationId;
use shared::billing::{Purchase, format_money};

use super::shell::OrgPage;
use crate::api;
use crate::call::Pages;
use crate::components::{Shown, failure, when};

#[component]
pub fn BillingPage(org: String) -> impl IntoView {
    view! { <OrgPage org=org active="billing" content=|org| view! { <Billing org_id=org /> } /> }
}

/// A card brand as people write it.
pub fn brand_name(brand: &str) -> &str {
    match brand {
        "visa" => "Visa",
        "mastercard" => "Mastercard",
        "amex" => "American Express",
        "discover" => "Discover",
        other => other,
    }
}

/// One purchase's receipt.
#[component]
pub fn Receipt(purchase: Purchase) -> impl IntoView {
    let p = purchase;
    view! {
        <dl class="receipt" data-testid="receipt">
            <dt>"Purchased"</dt><dd data-testid="receipt-features">{p.features.label()}</dd>
            <dt>"Amount"</dt><dd data-testid="receipt-amount">{format_money(p.amount, &p.currency)} " / year"</dd>
            <dt>"Card"</dt><dd>{format!("{} ending in {}", brand_name(&p.card.brand), p.card.last4)}</dd>
            <dt>"Date"</dt><dd>{when(p.created_at, Shown::Minute)}</dd>
            <dt>"Purchase ID"</dt><dd><code>{p.id}</code></dd>
        </dl>
    }
}

#[component]
fn Billing(org_id: OrganizationId) -> impl IntoView {
    let org = org_id.clone();
    let purchases = Pages::<Purchase>::new(move |after| {
        let org = org.clone();
        async move { api::purchases(&org, after.as_deref()).await.map(|p| (p.data, p.next_cursor)) }
    });
    let open = RwSignal::new(None::<String>);
    let checkout = format!("/organizations/{org_id}/checkout");
    let row = move |p: Purchase| {
        let id = p.id.clone();
        let shown = id.clone();
        let is_open = Signal::derive(move || open.get().as_deref() == Some(shown.as_str()));
        let receipt = p.clone();
        let (open_id, toggle_id) = (id.clone(), id);
        view! {
            <tr data-testid="purchase-row">
                <td data-label="Date">{when(p.created_at, Shown::Day)}</td>
                <td data-label="Purchased">{p.features.label()}</td>
                <td data-label="Amount" class="num">{format_money(p.amount, &p.currency)}</td>
                <td data-label="Card">{format!("{} •••• {}", brand_name(&p.card.brand), p.card.last4)}</td>
                <td class="row-actions">
                    <button type="button" class="link" data-testid="show-receipt"
                        aria-expanded=move || is_open.get().to_string()
                        on:click=move |_| open.update(|o| *o = if o.as_deref() == Some(toggle_id.as_str()) { None } else { Some(toggle_id.clone()) })>
                        {move || if is_open.get() { "Hide receipt" } else { "Receipt" }}
                    </button>
                </td>
            </tr>
            {move || (open.get().as_deref() == Some(open_id.as_str())).then(|| view! {
                <tr class="receipt-row"><td colspan="5"><Receipt purchase=receipt.clone() /></td></tr>
            })}
        }
    };
    view! {
        <h2>"Billing"</h2>
        {move || purchases.error.get().map(failure)}
        {move || {
            let items = purchases.items.get();
            if items.is_empty() && purchases.error.get().is_none() {
                view! {
                    <div class="card" data-testid="no-purchases">
                        <p>"Nothing purchased yet."</p>
                        <a class="button primary" href=checkout.clone()>"Buy Single Sign-On or Directory Sync"</a>
                    </div>
                }.into_any()
            } else {
                view! {
                    <table class="list" data-testid="purchases-table">
                        <thead><tr><th scope="col">"Date"</th><th scope="col">"Purchased"</th><th scope="col" class="num">"Amount"</th><th scope="col">"Card"</th><th scope="col"><span class="sr-only">"Receipt"</span></th></tr></thead>
                        <tbody>{items.into_iter().map(row).collect_view()}</tbody>
                    </table>
                }.into_any()
            }
        }}
        {purchases.more_button("Show more", "purchases-more")}
    }
}
