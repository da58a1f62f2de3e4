//! Checkout rules. Confirming is idempotent per `Idempotency-Key`: the first
//! request claims the key (a row insert, so concurrent duplicates lose), runs
//! the charge, and stores its answer; retries with the same body get that
//! answer back, without a second charge. Charging takes the organization's
//! charge slot first (`checkout_charges`), so no two confirms of one
//! organization — other keys, other quotes — charge at the same time; the
//! slot is given back with the purchase recorded, or at once on failure.

use chrono::{Datelike, Duration};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, sea_query::Expr};
use shared::billing::{
    CardSummary, CheckoutResponse, ConfirmRequest, ConfirmResponse, FeatureChoice, LineItem, PriceList, Purchase,
    PurchasesResponse, ValidCard,
};
use shared::page::PageQuery;
use shared::provisioning::{Feature, IntegrationStatus};
use shared::{CheckoutId, FieldError, OrganizationId, PurchaseId};

use super::entity::{charge, checkout, feature, purchase};
use super::gateway::Charge;
use super::idempotency;
use crate::accounts::entity::organization;
use crate::audit::{self, Actor};
use crate::db::OrganizationScoped;
use crate::domains::entity as domain;
use crate::error::{AppError, AppResult, on_unique};
use crate::state::AppState;

pub const QUOTE_TTL_MINUTES: i64 = 60;
fn already_owned(choice: FeatureChoice, owned: &[feature::Model]) -> Option<&'static str> {
    choice.features().find(|f| owned.iter().any(|m| m.feature == *f)).map(Feature::label)
}

fn owned_conflict(name: &str) -> AppError {
    AppError::conflict(
        "already_purchased",
        format!("Your organization already has {name}; choose only what it does not have yet."),
    )
}

pub async fn create(state: &AppState, org_id: &OrganizationId, choice: FeatureChoice) -> AppResult<CheckoutResponse> {
    let org = organization::get(&state.db, org_id.as_str()).await?;
    let has_domain = domain::Entity::find_in(org_id.as_str()).one(&state.db).await?.is_some();
    let mut missing = Vec::new();
    if !has_domain {
        missing.push(FieldError::new("domains", "domain_required", "Add at least one domain before checkout."));
    }
    if org.default_plan_id.is_none() {
        missing.push(FieldError::new(
            "default_plan_id",
            "plan_required",
            "Choose a Provision Default Plan before checkout.",
        ));
    }
    if !missing.is_empty() {
        return Err(AppError::Validation(missing));
    }
    if let Some(name) = already_owned(choice, &crate::features::all(&state.db, org_id).await?) {
        return Err(owned_conflict(name));
    }
    let prices = &state.settings.prices;
    let amount = match choice {
        FeatureChoice::Sso => prices.sso,
        FeatureChoice::DirectorySync => prices.directory_sync,
        FeatureChoice::Both => prices.both,
    };
    let line_items = vec![LineItem { description: format!("{} — 1 year", choice.label()), amount }];
    let now = state.clock.now();
    let row = checkout::ActiveModel {
        id: Set(CheckoutId::generate().to_string()),
        organization_id: Set(org_id.to_string()),
        features: Set(choice.as_str().to_owned()),
        line_items: Set(serde_json::to_string(&line_items).map_err(anyhow::Error::from)?),
        total: Set(amount),
        currency: Set(prices.currency.clone()),
        expires_at: Set(now + Duration::minutes(QUOTE_TTL_MINUTES)),
        purchase_id: Set(None),
        created_at: Set(now),
    }
    .insert(&state.db)
    .await?;
    Ok(CheckoutResponse {
        id: row.id,
        features: choice,
        line_items,
        total: row.total,
        currency: row.currency,
        expires_at: row.expires_at,
    })
}

pub use super::idempotency::{StoredResponse, check_key as check_idempotency_key};

pub struct ConfirmInput<'a> {
    pub org_id: &'a OrganizationId,
    pub actor: &'a Actor<'a>,
    pub checkout_id: &'a str,
    pub key: &'a str,
    pub body: &'a ConfirmRequest,
}

pub async fn confirm(state: &AppState, input: ConfirmInput<'_>) -> AppResult<StoredResponse> {
    let now = state.clock.now();
    let card = input
        .body
        .payment
        .validate(u32::try_from(now.year()).unwrap_or(0), now.month())
        .map_err(AppError::Validation)?;
    checkout::Entity::find_in(input.org_id)
        .filter(checkout::Column::Id.eq(input.checkout_id))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;

    let body_json = serde_json::to_vec(input.body).map_err(anyhow::Error::from)?;
    let fingerprint = state.keys.fingerprint(&[input.checkout_id.as_bytes(), b"\n", &body_json].concat());
    let org = input.org_id.as_str();
    if let idempotency::Claim::Replay(answer) = idempotency::claim(state, org, input.key, &fingerprint).await? {
        return Ok(answer);
    }

    let outcome = match charge_and_record(state, &input, &card).await {
        Ok(response) => {
            StoredResponse { status: 201, body: serde_json::to_string(&response).map_err(anyhow::Error::from)? }
        }
        Err(e @ AppError::Internal(_)) => {
            // Nothing was recorded: free the key so the same request can be
            // retried. Had the card been charged, the processor sees the same
            // key again and does not charge twice.
            idempotency::release(state, org, input.key).await?;
            return Err(e);
        }
        Err(e) => StoredResponse::from_error(&e)?,
    };
    idempotency::save(state, org, input.key, &outcome).await?;
    Ok(outcome)
}

/// How long a confirm may hold its organization's charge slot; after that
/// (a process that stopped mid-charge) another confirm may take it.
const CHARGE_SLOT_SECS: i64 = 300;

/// Takes the organization's charge slot, then charges and records the
/// purchase. The slot is given back in the purchase's transaction, or at
/// once when anything fails.
async fn charge_and_record(state: &AppState, input: &ConfirmInput<'_>, card: &ValidCard) -> AppResult<ConfirmResponse> {
    let (quote, choice) = reserve(state, input).await?;
    let result = charge_reserved(state, input, card, quote, choice).await;
    if result.is_err() {
        let released = charge::Entity::delete_by_id(input.org_id.as_str()).exec(&state.db).await;
        if let Err(e) = released {
            tracing::error!(org = %input.org_id, "could not give back the charge slot (it lapses by itself): {e}");
        }
    }
    result
}

/// In one transaction: this confirm takes the organization's charge slot,
/// then finds the quote still payable and nothing in it owned already. The
/// slot comes first: once it is ours, every purchase recorded before is
/// visible to the reads after it (also under PostgreSQL's read committed),
/// since recording a purchase gives the slot back in the same transaction.
async fn reserve(state: &AppState, input: &ConfirmInput<'_>) -> AppResult<(checkout::Model, FeatureChoice)> {
    let now = state.clock.now();
    let txn = state.begin_write().await?;
    charge::Entity::delete_in(input.org_id)
        .filter(charge::Column::StartedAt.lt(now - Duration::seconds(CHARGE_SLOT_SECS)))
        .exec(&*txn)
        .await?;
    let slot = charge::ActiveModel {
        organization_id: Set(input.org_id.to_string()),
        checkout_id: Set(input.checkout_id.to_owned()),
        started_at: Set(now),
    };
    charge::Entity::insert(slot).exec(&*txn).await.map_err(|e| {
        on_unique(e, || {
            AppError::conflict(
                "checkout_in_progress",
                "Another purchase for your organization is being confirmed right now; wait a moment and retry.",
            )
        })
    })?;
    let quote = checkout::Entity::find_by_id(input.checkout_id).one(&*txn).await?.ok_or(AppError::NotFound)?;
    if quote.purchase_id.is_some() {
        return Err(AppError::conflict("checkout_already_confirmed", "This checkout has already been paid."));
    }
    if quote.expires_at <= now {
        return Err(AppError::gone(
            "checkout_expired",
            "This quote has expired (quotes last one hour). Start the checkout again.",
        ));
    }
    let choice = FeatureChoice::parse(&quote.features)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("stored checkout features {:?}", quote.features)))?;
    if let Some(name) = already_owned(choice, &crate::features::all(&*txn, input.org_id).await?) {
        return Err(owned_conflict(name));
    }
    txn.commit().await?;
    Ok((quote, choice))
}

async fn charge_reserved(
    state: &AppState,
    input: &ConfirmInput<'_>,
    card: &ValidCard,
    quote: checkout::Model,
    choice: FeatureChoice,
) -> AppResult<ConfirmResponse> {
    let description = format!("Gatehouse {}", choice.label());
    // The processor deduplicates on this key too: a retry after a failure to
    // record the purchase is not charged again.
    let gateway_key = format!("{}/{}", input.org_id, input.key);
    let charged = state
        .gateway
        .charge(Charge {
            amount: quote.total,
            currency: &quote.currency,
            card,
            idempotency_key: &gateway_key,
            description: &description,
        })
        .await?;
    let reference = match charged {
        Ok(reference) => reference,
        Err(d) => {
            // A declined attempt is in the audit log, with what was tried.
            let event = audit::Event {
                organization_id: input.org_id.as_str(),
                actor: input.actor.id(),
                action: "checkout.declined",
                target: quote.id.as_str(),
                details: serde_json::json!({
                    "features": quote.features, "amount": quote.total, "currency": quote.currency,
                    "card": {"brand": card.brand, "last4": card.last4}, "decline_code": d.code,
                }),
            };
            audit::record(&state.db, input.actor.meta, state.clock.now(), event).await?;
            return Err(AppError::PaymentRequired { code: d.code, detail: d.message.to_owned() });
        }
    };
    record(state, input, card, quote, choice, &reference).await.inspect_err(|e| {
        tracing::error!(
            %reference, org = %input.org_id,
            "charged but the purchase was not recorded ({e}); a retry with the same Idempotency-Key is not charged again"
        );
    })
}

/// The paid purchase, its features, the audit event, and the charge slot
/// given back: one transaction.
async fn record(
    state: &AppState,
    input: &ConfirmInput<'_>,
    card: &ValidCard,
    quote: checkout::Model,
    choice: FeatureChoice,
    reference: &str,
) -> AppResult<ConfirmResponse> {
    let now = state.clock.now();
    let purchase_id = PurchaseId::generate();
    let txn = state.begin_write().await?;
    let paid = checkout::Entity::update_many()
        .col_expr(checkout::Column::PurchaseId, Expr::value(purchase_id.to_string()))
        .filter(checkout::Column::Id.eq(quote.id.as_str()))
        .filter(checkout::Column::PurchaseId.is_null())
        .exec(&txn)
        .await?;
    if paid.rows_affected != 1 {
        // Cannot happen while the charge slot is held (it lapses only after
        // CHARGE_SLOT_SECS); the processor reference is logged for a refund.
        tracing::error!(%reference, checkout = %quote.id, "checkout paid twice; refund needed");
        return Err(AppError::conflict("checkout_already_confirmed", "This checkout has already been paid."));
    }
    purchase::ActiveModel {
        id: Set(purchase_id.to_string()),
        organization_id: Set(input.org_id.to_string()),
        checkout_id: Set(quote.id.clone()),
        features: Set(quote.features.clone()),
        amount: Set(quote.total),
        currency: Set(quote.currency.clone()),
        card_brand: Set(card.brand.to_owned()),
        card_last4: Set(card.last4.clone()),
        card_exp_month: Set(i32::try_from(card.exp_month).unwrap_or(0)),
        card_exp_year: Set(i32::try_from(card.exp_year).unwrap_or(0)),
        gateway_reference: Set(reference.to_owned()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    // Directory Sync bought while Single Sign-On is turned off starts off as
    // well (it cannot run without SSO), and awaits its setup once SSO and it
    // are turned on.
    let sso_off = !choice.includes_sso()
        && crate::features::status(&*txn, input.org_id, Feature::Sso).await? == IntegrationStatus::Inactive;
    for f in choice.features() {
        crate::features::purchase(&*txn, input.org_id, f, now, sso_off, crate::events::source_of(input.actor)).await?;
    }
    charge::Entity::delete_by_id(input.org_id.as_str()).exec(&*txn).await?;
    audit::record(
        &txn,
        input.actor.meta,
        now,
        audit::Event {
            organization_id: input.org_id.as_str(),
            actor: input.actor.id(),
            action: "checkout.confirmed",
            target: purchase_id.as_str(),
            details: serde_json::json!({
                "checkout_id": quote.id, "features": quote.features, "amount": quote.total,
                "currency": quote.currency, "card": {"brand": card.brand, "last4": card.last4},
            }),
        },
    )
    .await?;
    let purchase = Purchase {
        id: purchase_id.to_string(),
        features: choice,
        amount: quote.total,
        currency: quote.currency,
        card: CardSummary {
            brand: card.brand.to_owned(),
            last4: card.last4.clone(),
            exp_month: card.exp_month,
            exp_year: card.exp_year,
        },
        created_at: now,
    };
    let mut data = serde_json::to_value(&purchase).map_err(|e| AppError::Internal(e.into()))?;
    data["organization_id"] = input.org_id.as_str().into();
    let event = crate::events::NewEvent::new("purchase.completed", input.org_id.as_str(), purchase_id.as_str(), data)
        .by(crate::events::source_of(input.actor));
    crate::events::emit(&*txn, event, now).await?;
    txn.commit().await?;
    Ok(ConfirmResponse { purchase })
}

/// The price list, for the checkout page.
pub fn prices(state: &AppState) -> PriceList {
    let p = &state.settings.prices;
    PriceList {
        currency: p.currency.clone(),
        period: "year".to_owned(),
        sso: p.sso,
        directory_sync: p.directory_sync,
        both: p.both,
        test_mode: state.gateway.test_mode(),
    }
}

/// The organization's purchases, newest first (keyset on the time-ordered id).
pub async fn purchases(state: &AppState, org_id: &OrganizationId, page: &PageQuery) -> AppResult<PurchasesResponse> {
    let mut q = purchase::Entity::find_in(org_id).order_by_desc(purchase::Column::Id).limit(page.rows_to_read());
    if let Some(before) = page.after() {
        let before = PurchaseId::parse(before).map_err(|_| AppError::invalid_cursor())?;
        q = q.filter(purchase::Column::Id.lt(before.as_str()));
    }
    let rows = q.all(&state.db).await?;
    let (rows, next_cursor) = page.finish(rows, |p| p.id.clone());
    let data = rows
        .into_iter()
        .map(|p| {
            let features = FeatureChoice::parse(&p.features)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("stored purchase features {:?}", p.features)))?;
            Ok(Purchase {
                id: p.id,
                features,
                amount: p.amount,
                currency: p.currency,
                card: CardSummary {
                    brand: p.card_brand,
                    last4: p.card_last4,
                    exp_month: u32::try_from(p.card_exp_month).unwrap_or(0),
                    exp_year: u32::try_from(p.card_exp_year).unwrap_or(0),
                },
                created_at: p.created_at,
            })
        })
        .collect::<AppResult<_>>()?;
    Ok(PurchasesResponse { data, next_cursor })
}
