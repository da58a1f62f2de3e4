//! Domain rules that need the database: claimed elsewhere, the per-organization
//! limit, and all-or-nothing saving.

use std::collections::HashSet;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use shared::domains::{
    AddDomainsResponse, Domain, MAX_DOMAINS_PER_ORGANIZATION, NormalizedDomain, check_claimable, normalize_all,
};
use shared::{DomainId, FieldError, OrganizationId};

use super::entity as domain;
use crate::accounts::service::parse_id;
use crate::audit::{self, Actor, Event};
use crate::db::OrganizationScoped;
use crate::error::{AppError, AppResult, on_unique};
use crate::state::AppState;

fn taken(domain: &str) -> AppError {
    AppError::conflict(
        "domain_taken",
        format!("{domain} is already claimed by another organization. If it is yours, contact support."),
    )
}

pub async fn list(db: &impl ConnectionTrait, org_id: &OrganizationId) -> AppResult<Vec<Domain>> {
    domain::Entity::find_in(org_id.as_str())
        .order_by_asc(domain::Column::Domain)
        .all(db)
        .await?
        .into_iter()
        .map(|d| Ok(Domain { id: parse_id(&d.id)?, domain: d.domain }))
        .collect()
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
    if let Some(other) = existing.iter().find(|d| d.organization_id != org_id.as_str()) {
        return Err(taken(&other.domain));
    }
    let already: HashSet<&str> = existing.iter().map(|d| d.domain.as_str()).collect();
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
        domain::ActiveModel {
            id: Set(DomainId::generate().to_string()),
            organization_id: Set(org_id.clone()),
            domain: Set((*d).clone()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(|e| on_unique(e, || taken(d)))?;
    }
    if !new.is_empty() {
        let event = Event {
            organization_id: org_id.as_str(),
            actor: actor.user.as_str(),
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
    let event = Event {
        organization_id: org_id.as_str(),
        actor: actor.user.as_str(),
        action: "domain.removed",
        target: &row.domain,
        details: serde_json::json!({ "domain_id": row.id }),
    };
    audit::record(&txn, actor.meta, state.clock.now(), event).await?;
    txn.commit().await?;
    Ok(())
}
