//! Domain rules that need the database: claimed elsewhere, the per-organization
//! limit, and all-or-nothing saving.

use std::collections::HashSet;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use shared::domains::{
    AddDomainsResponse, Domain, DomainVerification, MAX_DOMAINS_PER_ORGANIZATION, NormalizedDomain, VerificationState,
    check_claimable, normalize_all, verification_record_name, verification_record_value,
};
use shared::{DomainId, FieldError, OrganizationId};

use super::entity as domain;
use super::verify::Found;
use crate::accounts::service::parse_id;
use crate::audit::{self, Actor, Event, RequestMeta};
use crate::db::OrganizationScoped;
use crate::error::{AppError, AppResult, on_unique};
use crate::state::AppState;
use shared::events::Source;

fn taken(domain: &str) -> AppError {
    AppError::conflict(
        "domain_taken",
        format!("{domain} is already claimed by another organization. If it is yours, contact support."),
    )
}

fn verified_elsewhere(domain: &str) -> AppError {
    AppError::conflict(
        "domain_taken",
        format!(
            "{domain} is verified by another organization: its verification record is in the domain's DNS. If the \
             domain is yours, look for a _gatehouse-challenge record you did not add, then contact support."
        ),
    )
}

pub async fn list(db: &impl ConnectionTrait, org_id: &OrganizationId) -> AppResult<Vec<Domain>> {
    domain::Entity::find_in(org_id.as_str())
        .order_by_asc(domain::Column::Domain)
        .all(db)
        .await?
        .into_iter()
        .map(view)
        .collect()
}

/// A domain's event: the domain as the API shows it, with its organization.
async fn domain_event(
    db: &impl sea_orm::ConnectionTrait,
    kind: &'static str,
    d: &domain::Model,
    source: Source,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let mut data = serde_json::to_value(view(d.clone())?).map_err(|e| AppError::Internal(e.into()))?;
    data["organization_id"] = d.organization_id.as_str().into();
    let event = crate::events::NewEvent::new(kind, d.organization_id.as_str(), d.id.as_str(), data).by(source);
    crate::events::emit(db, event, now).await
}

/// A domain as the API shows it, with its verification record and state.
pub fn view(d: domain::Model) -> AppResult<Domain> {
    Ok(Domain {
        id: parse_id(&d.id)?,
        verification: verification(
            &d.domain,
            d.verification_token.as_deref(),
            &d.verification_state,
            d.verification_reason,
            d.checked_at,
        ),
        domain: d.domain,
    })
}

/// The verification part of a domain's view.
pub fn verification(
    domain: &str,
    token: Option<&str>,
    state: &str,
    reason: Option<String>,
    checked_at: Option<chrono::DateTime<chrono::Utc>>,
) -> DomainVerification {
    DomainVerification {
        state: VerificationState::parse(state).unwrap_or_default(),
        record_name: verification_record_name(domain),
        record_value: verification_record_value(token.unwrap_or_default()),
        reason,
        checked_at,
    }
}

/// Adds every entry or none: any refused entry, a domain of another
/// organization, or going over the limit saves nothing.
pub async fn add(
    state: &AppState,
    actor: &Actor<'_>,
    org_id: &OrganizationId,
    entries: &[String],
) -> AppResult<AddDomainsResponse> {
    let normalized: Vec<NormalizedDomain> = normalize_all(entries, check_claimable).map_err(AppError::Validation)?;
    let mut seen = HashSet::new();
    let wanted: Vec<String> = normalized.iter().map(|n| n.domain.clone()).filter(|d| seen.insert(d.clone())).collect();

    let txn = state.begin_write().await?;
    let existing = domain::Entity::find().filter(domain::Column::Domain.is_in(wanted.clone())).all(&txn).await?;
    // With verification required, another organization's mere claim blocks
    // nothing (whoever proves the domain first owns it); a verified one does.
    // Off: the first claim wins, as before verification existed.
    let required = verification_required(state);
    let blocks = |d: &&domain::Model| {
        d.organization_id != org_id.as_str()
            && (!required || d.verification_state == VerificationState::Verified.as_str())
    };
    if let Some(other) = existing.iter().find(blocks) {
        return Err(if required { verified_elsewhere(&other.domain) } else { taken(&other.domain) });
    }
    let already: HashSet<&str> =
        existing.iter().filter(|d| d.organization_id == org_id.as_str()).map(|d| d.domain.as_str()).collect();
    let new: Vec<&String> = wanted.iter().filter(|d| !already.contains(d.as_str())).collect();
    let current = domain::Entity::find_in(org_id.as_str()).count(&txn).await?;
    let total = usize::try_from(current).unwrap_or(usize::MAX).saturating_add(new.len());
    if total > MAX_DOMAINS_PER_ORGANIZATION {
        return Err(AppError::Validation(vec![FieldError::new(
            "domains",
            "too_many_domains",
            format!(
                "An organization can have at most {MAX_DOMAINS_PER_ORGANIZATION} domains; it has {current} and this would add {}.",
                new.len()
            ),
        )]));
    }
    let now = state.clock.now();
    for d in &new {
        let row = domain::ActiveModel {
            id: Set(DomainId::generate().to_string()),
            organization_id: Set(org_id.clone()),
            domain: Set((*d).clone()),
            created_at: Set(now),
            verification_token: Set(Some(crate::auth::tokens::random_token())),
            verification_state: Set(VerificationState::Pending.as_str().to_owned()),
            verification_reason: Set(None),
            checked_at: Set(None),
            verified_at: Set(None),
            record_seen_at: Set(None),
            next_check_at: Set(Some(now + chrono::Duration::minutes(5))),
        }
        .insert(&txn)
        .await
        .map_err(|e| on_unique(e, || taken(d)))?;
        domain_event(&txn, "domain.added", &row, crate::events::source_of(actor), now).await?;
    }
    if !new.is_empty() {
        let event = Event {
            organization_id: org_id.as_str(),
            actor: actor.id(),
            action: "domain.added",
            target: &new.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(","),
            details: serde_json::json!({ "domains": new }),
        };
        audit::record(&txn, actor.meta, now, event).await?;
    }
    let domains = list(&txn, org_id).await?;
    txn.commit().await?;
    Ok(AddDomainsResponse { domains, normalized })
}

pub async fn remove(state: &AppState, actor: &Actor<'_>, org_id: &OrganizationId, domain_id: &str) -> AppResult<()> {
    let txn = state.begin_write().await?;
    let row = domain::Entity::find_in(org_id)
        .filter(domain::Column::Id.eq(domain_id))
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    domain::Entity::delete_by_id(row.id.as_str()).exec(&txn).await?;
    domain_event(&txn, "domain.removed", &row, crate::events::source_of(actor), state.clock.now()).await?;
    let event = Event {
        organization_id: org_id.as_str(),
        actor: actor.id(),
        action: "domain.removed",
        target: &row.domain,
        details: serde_json::json!({ "domain_id": row.id }),
    };
    audit::record(&txn, actor.meta, state.clock.now(), event).await?;
    txn.commit().await?;
    Ok(())
}

/// How long a claimed domain may stay pending before it is `failed`.
pub const VERIFY_WITHIN_DAYS: i64 = 30;
/// How long a verified domain stays verified after its record disappears.
pub const GRACE_HOURS: i64 = 72;

/// Looks for the domain's TXT record now and moves its state:
/// `pending → verified`, `pending → failed` after `VERIFY_WITHIN_DAYS`,
/// `verified → unverified` once the record has been missing `GRACE_HOURS`,
/// and back to `verified` whenever the record is found. Each change is
/// audited; the answer says what the check found.
pub async fn verify(
    state: &AppState,
    actor: &str,
    meta: &RequestMeta,
    org_id: &str,
    domain_id: &str,
) -> AppResult<Domain> {
    let row = domain::Entity::find_in(org_id)
        .filter(domain::Column::Id.eq(domain_id))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let name = verification_record_name(&row.domain);
    let value = verification_record_value(row.verification_token.as_deref().unwrap_or_default());
    // Outside the transaction: a lookup can take seconds.
    let found = state.dns.check(&name, &value).await;
    let now = state.clock.now();
    let txn = state.begin_write().await?;
    let Some(row) = domain::Entity::find_in(org_id).filter(domain::Column::Id.eq(domain_id)).one(&*txn).await? else {
        return Err(AppError::NotFound);
    };
    let before = VerificationState::parse(&row.verification_state).unwrap_or_default();
    // One owner per verified domain: a domain another organization has
    // proven cannot be verified here; proving it first takes it over from
    // organizations that only claimed it (below).
    let others = domain::Entity::find()
        .filter(domain::Column::Domain.eq(row.domain.as_str()))
        .filter(domain::Column::OrganizationId.ne(org_id))
        .all(&*txn)
        .await?;
    if found == Found::Record && others.iter().any(|o| o.verification_state == VerificationState::Verified.as_str()) {
        return Err(AppError::conflict(
            "domain_taken",
            format!("{} is verified by another organization, so it cannot be verified here.", row.domain),
        ));
    }
    let (after, reason) = match &found {
        Found::Record => (VerificationState::Verified, None),
        Found::Missing(why) => match before {
            VerificationState::Verified => {
                let seen = row.record_seen_at.or(row.verified_at).unwrap_or(now);
                let until = seen + chrono::Duration::hours(GRACE_HOURS);
                if until <= now {
                    (VerificationState::Unverified, Some(format!("{why}: add the record again, then check")))
                } else {
                    let left = until.format("%Y-%m-%d %H:%M UTC");
                    (VerificationState::Verified, Some(format!("{why}; the domain stays verified until {left}")))
                }
            }
            VerificationState::Pending if row.created_at + chrono::Duration::days(VERIFY_WITHIN_DAYS) <= now => {
                (VerificationState::Failed, Some(format!("{why}; add the record, then check again")))
            }
            other => (other, Some(why.clone())),
        },
    };
    let next = now + next_check(after, found == Found::Record, now - row.created_at);
    let mut update = domain::Entity::update_in(org_id)
        .col_expr(domain::Column::VerificationState, Expr::value(after.as_str()))
        .col_expr(domain::Column::VerificationReason, Expr::value(reason.clone()))
        .col_expr(domain::Column::CheckedAt, Expr::value(now))
        .col_expr(domain::Column::NextCheckAt, Expr::value(next))
        .filter(domain::Column::Id.eq(domain_id));
    if found == Found::Record {
        update = update.col_expr(domain::Column::RecordSeenAt, Expr::value(now));
        if before != VerificationState::Verified {
            update = update.col_expr(domain::Column::VerifiedAt, Expr::value(now));
        }
    }
    update.exec(&*txn).await.map_err(|e| {
        on_unique(e, || {
            AppError::conflict("domain_taken", format!("{} was just verified by another organization.", row.domain))
        })
    })?;
    if found == Found::Record {
        // Taken over: the other organizations' claims go, each told why in
        // its own audit log (without naming the new owner).
        for other in &others {
            domain::Entity::delete_in(&other.organization_id)
                .filter(domain::Column::Id.eq(other.id.as_str()))
                .exec(&*txn)
                .await?;
            domain_event(&*txn, "domain.removed", other, Source::System, now).await?;
            let event = Event {
                organization_id: other.organization_id.as_str(),
                actor: "system",
                action: "domain.transferred",
                target: &other.domain,
                details: serde_json::json!({ "reason": "another organization proved it owns the domain with its DNS record" }),
            };
            audit::record(&*txn, meta, now, event).await?;
        }
    }
    if after != before {
        let action = match after {
            VerificationState::Verified => "domain.verified",
            VerificationState::Failed => "domain.verification_failed",
            VerificationState::Unverified => "domain.unverified",
            VerificationState::Pending => "domain.pending",
        };
        let event = Event {
            organization_id: org_id,
            actor,
            action,
            target: &row.domain,
            details: serde_json::json!({ "from": before.as_str(), "reason": reason }),
        };
        audit::record(&*txn, meta, now, event).await?;
    }
    // Require SSO now covers this domain's members too.
    let ended = if after == VerificationState::Verified && before != VerificationState::Verified {
        crate::sso::enforcement::domain_verified(&*txn, org_id, now).await?
    } else {
        0
    };
    let updated = domain::Entity::find_in(org_id)
        .filter(domain::Column::Id.eq(domain_id))
        .one(&*txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let kind = match after {
        _ if after == before => None,
        VerificationState::Verified => Some("domain.verified"),
        VerificationState::Failed => Some("domain.verification_failed"),
        VerificationState::Unverified => Some("domain.unverified"),
        VerificationState::Pending => None,
    };
    if let Some(kind) = kind {
        domain_event(&*txn, kind, &updated, crate::events::source_of_id(actor), now).await?;
    }
    txn.commit().await?;
    if ended > 0 {
        state.sessions.forget_all();
    }
    view(updated)
}

/// Whether only a verified domain counts: it routes sign-ins to the
/// organization's identity provider, and lets SSO and the directory create
/// its members (`domain_verification = "required"`).
pub fn verification_required(state: &AppState) -> bool {
    state.settings.domain_verification == crate::config::DomainVerificationMode::Required
}

/// Whether a claim counts now (verified, or verification off).
pub fn counts(state: &AppState, claim: &domain::Model) -> bool {
    !verification_required(state) || claim.verification_state == VerificationState::Verified.as_str()
}

/// The claim that routes `domain`'s sign-ins: the verified one (or, with
/// verification off, the oldest claim). A pending domain never routes
/// anyone to an identity provider.
pub async fn routing_claim(state: &AppState, domain_name: &str) -> AppResult<Option<domain::Model>> {
    let claims = domain::Entity::find()
        .filter(domain::Column::Domain.eq(domain_name))
        .order_by_asc(domain::Column::CreatedAt)
        .all(&state.db)
        .await?;
    let verified = claims.iter().position(|c| c.verification_state == VerificationState::Verified.as_str());
    Ok(match verified {
        Some(i) => Some(claims[i].clone()),
        None if !verification_required(state) => claims.into_iter().next(),
        None => None,
    })
}

/// The organization that has verified `domain_name` (at most one: a
/// unique index over verified rows), whatever the verification setting.
pub async fn verified_owner(db: &impl ConnectionTrait, domain_name: &str) -> AppResult<Option<OrganizationId>> {
    Ok(domain::Entity::find()
        .filter(domain::Column::Domain.eq(domain_name))
        .filter(domain::Column::VerificationState.eq(VerificationState::Verified.as_str()))
        .one(db)
        .await?
        .map(|d| d.organization_id))
}

/// The organization's verified domains.
pub async fn verified_domains(db: &impl ConnectionTrait, org_id: &str) -> AppResult<Vec<String>> {
    Ok(domain::Entity::find_in(org_id)
        .filter(domain::Column::VerificationState.eq(VerificationState::Verified.as_str()))
        .order_by_asc(domain::Column::Domain)
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.domain)
        .collect())
}

/// Why `org_id` cannot provision `domain_name`'s people, in words (`None`:
/// it can): the domain is not one of its claims, or not verified yet.
pub async fn refusal(state: &AppState, org_id: &str, domain_name: &str) -> AppResult<Option<String>> {
    let claim = domain::Entity::find_in(org_id).filter(domain::Column::Domain.eq(domain_name)).one(&state.db).await?;
    Ok(match claim {
        None => Some(format!("{domain_name} is not one of the organization's domains")),
        Some(c) if !counts(state, &c) => Some(format!(
            "{domain_name} is not verified yet: an administrator proves it with its DNS record under Organization → \
             Single Sign-On / Provision"
        )),
        Some(_) => None,
    })
}

/// When a domain is checked again after a check: a pending domain soon
/// after it was claimed (every 5 minutes in its first hour, hourly in its
/// first day, then every 6 hours); a verified one daily, or hourly while
/// its record is missing (to see it come back within the grace period);
/// failed and unverified ones daily.
pub fn next_check(state: VerificationState, record_found: bool, age: chrono::Duration) -> chrono::Duration {
    use chrono::Duration;
    match state {
        VerificationState::Pending if age < Duration::hours(1) => Duration::minutes(5),
        VerificationState::Pending if age < Duration::days(1) => Duration::hours(1),
        VerificationState::Pending => Duration::hours(6),
        VerificationState::Verified if !record_found => Duration::hours(1),
        _ => Duration::days(1),
    }
}
