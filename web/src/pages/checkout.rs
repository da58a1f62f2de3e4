//! Organization → Single Sign-On / Provision → Checkout: the prices before
//! choosing, the order with its total, the card, the amount on the button,
//! and a receipt after paying.

use leptos::prelude::*;
use shared::OrganizationId;
use shared::billing::{
    CheckoutRequest, CheckoutResponse, ConfirmRequest, FeatureChoice, Payment, PriceList, Purchase, format_card_number,
    format_money,
};
use shared::provisioning::Features;

use super::billing::Receipt;
use super::shell::OrgPage;
use crate::api::{self, validation_error};
use crate::call::{Call, load};
use crate::components::{ErrorBanner, Field, FormErrors, SubmitButton, loading};

#[component]
pub fn CheckoutPage(org: String) -> impl IntoView {
    view! { <OrgPage org=org active="provision" content=|org| view! { <Checkout org_id=org /> } /> }
}

/// A fresh Idempotency-Key for one purchase attempt.
fn new_key() -> String {
    web_sys::window().and_then(|w| w.crypto().ok()).map(|c| c.random_uuid()).unwrap_or_default()
}

/// Why a choice cannot be bought now (`None`: it can).
fn unavailable(choice: FeatureChoice, owned: Features) -> Option<&'static str> {
    match choice {
        FeatureChoice::Sso if owned.sso => Some("Your organization has it."),
        FeatureChoice::DirectorySync if owned.directory_sync => Some("Your organization has it."),
        FeatureChoice::Both if owned.sso && owned.directory_sync => Some("Your organization has both."),
        FeatureChoice::Both if owned.sso => Some("You have Single Sign-On already: choose Directory Sync."),
        FeatureChoice::Both if owned.directory_sync => Some("You have Directory Sync already: choose Single Sign-On."),
        _ => None,
    }
}

#[component]
fn Checkout(org_id: OrganizationId) -> impl IntoView {
    let org = org_id.clone();
    let ready = load(move || {
        let org = org.clone();
        async move {
            let owned = api::provisioning(&org).await?.features;
            Ok::<_, api::ApiError>((owned, api::prices().await?))
        }
    });
    let back = format!("/organizations/{org_id}/provision");
    let paid = RwSignal::new(None::<Purchase>);
    view! {
        <p><a href=back.clone() data-testid="back-to-provision">"← Single Sign-On / Provision"</a></p>
        <h2>"Checkout"</h2>
        {move || match (paid.get(), ready.get()) {
            (Some(p), _) => view! { <Paid org_id=org_id.clone() purchase=p /> }.into_any(),
            (None, None) => loading("Loading prices…"),
            (None, Some(Err(e))) => crate::components::failure(e.message()),
            (None, Some(Ok((owned, prices)))) if owned.sso && owned.directory_sync => view! {
                <div class="card" data-testid="all-purchased">
                    <p>"Your organization has Single Sign-On and Directory Sync. Receipts are under Billing."</p>
                    <a class="button primary" href=back.clone()>"Back to Single Sign-On / Provision"</a>
                </div>
                {prices.test_mode.then(test_mode)}
            }.into_any(),
            (None, Some(Ok((owned, prices)))) => view! { <Order org_id=org_id.clone() owned=owned prices=prices paid=paid /> }.into_any(),
        }}
    }
}

fn test_mode() -> impl IntoView {
    view! {
        <div class="banner warning" role="note" data-testid="test-mode">
            <strong>"Test mode. "</strong>
            "No card is charged. Pay with 4242 4242 4242 4242, any future expiry and any CVC; "
            "4000 0000 0000 0002 is declined."
        </div>
    }
}

#[component]
fn Order(
    org_id: OrganizationId,
    owned: Features,
    prices: PriceList,
    paid: RwSignal<Option<Purchase>>,
) -> impl IntoView {
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
    let currency = prices.currency.clone();
    let options = [FeatureChoice::Sso, FeatureChoice::DirectorySync, FeatureChoice::Both]
        .into_iter()
        .map(|c| {
            let why = unavailable(c, owned);
            let price = format_money(prices.price(c), &currency);
            let saving = (c == FeatureChoice::Both && prices.both_saves() > 0)
                .then(|| format!("Save {}", format_money(prices.both_saves(), &currency)));
            view! {
                <label class="choice option" class:disabled=why.is_some()>
                    <input type="radio" name="features" value=c.as_str() disabled=why.is_some()
                        data-testid=format!("choose-{}", c.as_str())
                        on:change=move |_| { choice.set(Some(c)); form.clear(); create.dispatch(c); } />
                    <span class="option-text">
                        <strong>{c.label()}</strong>
                        {why.map(|w| view! { <span class="hint">{w}</span> })}
                    </span>
                    <span class="price" data-testid=format!("price-{}", c.as_str())>
                        {price} <span class="hint">" / year"</span>
                        {saving.map(|s| view! { <span class="badge active">{s}</span> })}
                    </span>
                </label>
            }
        })
        .collect_view();
    view! {
        {prices.test_mode.then(test_mode)}
        <section class="card" aria-labelledby="features-title">
            <h3 id="features-title">"1. Choose"</h3>
            <fieldset class="choices"><legend class="sr-only">"What to add"</legend>{options}</fieldset>
            <ErrorBanner message=form.banner.into() />
            {move || form.fields.get().into_iter().map(|e| view! { <p class="field-error" role="alert">{e.message}</p> }).collect_view()}
            {move || quote.get().filter(|q| Some(q.features) == choice.get()).map(|q| view! {
                <table class="quote" data-testid="quote">
                    <tbody>
                        {q.line_items.iter().map(|li| view! { <tr><td>{li.description.clone()}</td><td class="num">{format_money(li.amount, &q.currency)}</td></tr> }).collect_view()}
                        <tr class="total"><th scope="row">"Total per year"</th><td class="num" data-testid="quote-total">{format_money(q.total, &q.currency)}</td></tr>
                    </tbody>
                </table>
            })}
        </section>
        {move || quote.get().filter(|q| Some(q.features) == choice.get()).map(|q| view! { <PaymentForm org_id=org_id.clone() quote=q paid=paid /> })}
    }
}

#[component]
fn Paid(org_id: OrganizationId, purchase: Purchase) -> impl IntoView {
    view! {
        <section class="card" data-testid="payment-done" aria-labelledby="paid-title">
            <h3 id="paid-title">"Payment received — thank you"</h3>
            <p>"Next: send your customer's IT admin a setup link from the Single Sign-On / Provision tab."</p>
            <Receipt purchase=purchase />
            <div class="actions">
                <a class="button primary" href=format!("/organizations/{org_id}/provision") data-testid="to-provision">"Go to Single Sign-On / Provision"</a>
                <a class="button" href=format!("/organizations/{org_id}/billing")>"View billing"</a>
            </div>
        </section>
    }
}

#[component]
fn PaymentForm(org_id: OrganizationId, quote: CheckoutResponse, paid: RwSignal<Option<Purchase>>) -> impl IntoView {
    let number = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let expiry = RwSignal::new(String::new());
    let cvc = RwSignal::new(String::new());
    // Card inputs keep their grouping as the card shows it.
    Effect::new(move || {
        let typed = number.get();
        let grouped = format_card_number(&typed);
        if grouped != typed {
            number.set(grouped);
        }
    });
    Effect::new(move || {
        let typed = expiry.get();
        let shown = format_expiry(&typed);
        if shown != typed {
            expiry.set(shown);
        }
    });
    let form = FormErrors::new();
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
    form.follow(confirm, move |done| paid.set(Some(done.purchase)));
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
    let label = format!("Pay {}", format_money(quote.total, &quote.currency));
    view! {
        <section class="card" aria-labelledby="payment-title">
            <h3 id="payment-title">"2. Pay"</h3>
            <form on:submit=on_submit novalidate data-testid="payment-form">
                <ErrorBanner message=form.banner.into() />
                <Field label="Name on card" name="cardholder_name" autocomplete="cc-name" value=name errors=shown />
                <Field label="Card number" name="card_number" autocomplete="cc-number" inputmode="numeric"
                    maxlength=23 placeholder="1234 1234 1234 1234" value=number errors=shown />
                <div class="row">
                    <Field label="Expiry" name="expiry" autocomplete="cc-exp" inputmode="numeric" maxlength=7
                        placeholder="MM / YY" value=expiry errors=shown />
                    <Field label="CVC" name="cvc" autocomplete="cc-csc" inputmode="numeric" maxlength=4
                        placeholder="123" value=cvc errors=shown />
                </div>
                <SubmitButton label=label busy_label="Processing…" busy=confirm.pending() testid="confirm-purchase" />
                <p class="hint">"Billed yearly. Your card details go to the payment processor; only the brand, last 4 digits and expiry are kept."</p>
            </form>
        </section>
    }
}

/// `MM / YY` as it is typed: the slash comes after the month.
fn format_expiry(typed: &str) -> String {
    let digits: String = typed.chars().filter(char::is_ascii_digit).take(6).collect();
    if digits.len() <= 2 {
        // Deleting the slash leaves the month alone.
        return if typed.ends_with('/') && digits.len() == 2 { format!("{digits} / ") } else { digits };
    }
    format!("{} / {}", &digits[..2], &digits[2..])
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
