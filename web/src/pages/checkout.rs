//! Organization → Single Sign-On / Provision → Checkout: pick the features,
//! see the price, pay, Confirm Purchase, and land back on the tab.

use leptos::prelude::*;
use shared::OrganizationId;
use shared::billing::{CheckoutRequest, CheckoutResponse, ConfirmRequest, FeatureChoice, Payment};

use super::shell::OrgPage;
use crate::api::{self, validation_error};
use crate::call::{Call, load};
use crate::components::{ErrorBanner, Field, FormErrors, SubmitButton};
use crate::nav::use_navigate;

#[component]
pub fn CheckoutPage(org: String) -> impl IntoView {
    view! { <OrgPage org=org active="provision" content=|org| view! { <Checkout org_id=org /> } /> }
}

fn money(minor: i64, currency: &str) -> String {
    format!("{}{}.{:02}", if currency == "usd" { "$" } else { "" }, minor / 100, minor % 100)
}

/// A fresh Idempotency-Key for one purchase attempt.
fn new_key() -> String {
    web_sys::window().and_then(|w| w.crypto().ok()).map(|c| c.random_uuid()).unwrap_or_default()
}

#[component]
fn Checkout(org_id: OrganizationId) -> impl IntoView {
    let org = org_id.clone();
    let owned = load(move || {
        let org = org.clone();
        async move { api::provisioning(&org).await.map(|s| s.features) }
    });
    let choice = RwSignal::new(None::<FeatureChoice>);
    let quote = RwSignal::new(None::<CheckoutResponse>);
    let form = FormErrors::new();
    let org = org_id.clone();
    let create = Call::new(move |features: &FeatureChoice| {
        let org = org.clone();
        let req = CheckoutRequest { features: *features };
        async move { api::create_checkout(&org, &req).await }
    });
    form.follow(create, move |q| quote.set(Some(q)));

    let options = move || {
        let features = owned.get().and_then(Result::ok).unwrap_or_default();
        [
            (FeatureChoice::Sso, features.sso),
            (FeatureChoice::DirectorySync, features.directory_sync),
            (FeatureChoice::Both, features.sso || features.directory_sync),
        ]
        .into_iter()
        .map(|(c, unavailable)| {
            view! {
                <label class="choice">
                    <input type="radio" name="features" value=c.as_str() disabled=unavailable
                        data-testid=format!("choose-{}", c.as_str())
                        on:change=move |_| { choice.set(Some(c)); form.clear(); create.dispatch(c); } />
                    " " {c.label()} {unavailable.then_some(" (already purchased)")}
                </label>
            }
        })
        .collect_view()
    };
    view! {
        <h2>"Checkout"</h2>
        <section class="card" aria-labelledby="features-title">
            <h3 id="features-title">"1. Features"</h3>
            <fieldset class="choices"><legend class="hint">"What would you like to add?"</legend>{options}</fieldset>
            <ErrorBanner message=form.banner.into() />
            {move || form.fields.get().into_iter().map(|e| view! { <p class="field-error" role="alert">{e.message}</p> }).collect_view()}
            {move || quote.get().filter(|q| Some(q.features) == choice.get()).map(|q| view! {
                <table class="list quote" data-testid="quote">
                    <tbody>
                        {q.line_items.iter().map(|li| view! { <tr><td>{li.description.clone()}</td><td class="num">{money(li.amount, &q.currency)}</td></tr> }).collect_view()}
                        <tr class="total"><th scope="row">"Total"</th><td class="num" data-testid="quote-total">{money(q.total, &q.currency)}</td></tr>
                    </tbody>
                </table>
            })}
        </section>
        {move || quote.get().filter(|q| Some(q.features) == choice.get()).map(|q| view! { <PaymentForm org_id=org_id.clone() quote=q /> })}
    }
}

#[component]
fn PaymentForm(org_id: OrganizationId, quote: CheckoutResponse) -> impl IntoView {
    let number = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let expiry = RwSignal::new(String::new());
    let cvc = RwSignal::new(String::new());
    let form = FormErrors::new();
    let navigate = use_navigate();
    let org = org_id.clone();
    let checkout_id = quote.id.clone();
    let confirm = Call::new(move |payment: &Payment| {
        let org = org.clone();
        let id = checkout_id.clone();
        let req = ConfirmRequest { payment: payment.clone() };
        async move {
            let today = js_sys_today();
            req.payment.validate(today.0, today.1).map_err(validation_error)?;
            api::confirm_checkout(&org, &id, &new_key(), &req).await
        }
    });
    let done = format!("/organizations/{org_id}/provision");
    form.follow(confirm, move |_| navigate.to(&done));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        form.clear();
        let (month, year) = parse_expiry(&expiry.get_untracked());
        confirm.dispatch(Payment {
            card_number: number.get_untracked(),
            exp_month: month,
            exp_year: year,
            cvc: cvc.get_untracked(),
            cardholder_name: name.get_untracked(),
        });
    };
    // Errors on month or year belong to the one expiry input.
    let shown = RwSignal::new(Vec::new());
    Effect::new(move || {
        let mapped = form
            .fields
            .get()
            .into_iter()
            .map(|mut e| {
                e.field = match e.field.as_str() {
                    "payment.exp_month" | "payment.exp_year" => "expiry".into(),
                    other => other.trim_start_matches("payment.").to_owned(),
                };
                e
            })
            .collect();
        shown.set(mapped);
    });
    view! {
        <section class="card" aria-labelledby="payment-title">
            <h3 id="payment-title">"2. Payment"</h3>
            <form on:submit=on_submit novalidate data-testid="payment-form">
                <ErrorBanner message=form.banner.into() />
                <Field label="Name on card" name="cardholder_name" autocomplete="cc-name" value=name errors=shown />
                <Field label="Card number" name="card_number" autocomplete="cc-number" value=number errors=shown />
                <div class="row">
                    <Field label="Expiry (MM/YY)" name="expiry" autocomplete="cc-exp" value=expiry errors=shown />
                    <Field label="CVC" name="cvc" autocomplete="cc-csc" value=cvc errors=shown />
                </div>
                <SubmitButton label="Confirm Purchase" busy_label="Processing…" busy=confirm.pending() testid="confirm-purchase" />
                <p class="hint">"Your card details go to the payment processor; only the brand, last 4 digits and expiry are kept."</p>
            </form>
        </section>
    }
}

/// `MM/YY` or `MM/YYYY`; anything else becomes 0 and fails validation with a message.
fn parse_expiry(s: &str) -> (u32, u32) {
    let (m, y) = s.split_once('/').unwrap_or((s, ""));
    let month = m.trim().parse().unwrap_or(0);
    let year: u32 = y.trim().parse().unwrap_or(0);
    (month, if year < 100 { 2000 + year } else { year })
}

/// Today's (year, month) from the browser clock.
fn js_sys_today() -> (u32, u32) {
    let now = js_sys::Date::new_0();
    (now.get_utc_full_year(), now.get_utc_month() + 1)
}
