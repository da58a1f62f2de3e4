//! The background re-check of domains: pending ones with backoff, verified
//! ones daily (`service::next_check`). Each server process runs it every
//! `domain_recheck_secs`; a due domain is claimed by moving its
//! `next_check_at` forward with a conditional update, so with several
//! processes on one database each check runs once (the one whose update
//! changed the row does it).

use std::time::Duration;

use actix_web::web;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::entity as domain;
use super::service;
use crate::audit::RequestMeta;
use crate::error::AppResult;
use crate::state::AppState;

/// Domains checked per run at most (the rest wait for the next run).
pub const BATCH: u64 = 20;
/// How long a claim holds a domain: a process that dies mid-check leaves it
/// to the others after this.
pub const LEASE_MINUTES: i64 = 10;

/// Checks the domains that are due; how many this process checked.
pub async fn run_due(state: &AppState) -> AppResult<usize> {
    let now = state.clock.now();
    let due = domain::Entity::find()
        .filter(Condition::any().add(domain::Column::NextCheckAt.lte(now)).add(domain::Column::NextCheckAt.is_null()))
        .order_by_asc(domain::Column::NextCheckAt)
        .limit(BATCH)
        .all(&state.db)
        .await?;
    let mut checked = 0;
    for d in due {
        let seen = match d.next_check_at {
            Some(t) => domain::Column::NextCheckAt.eq(t),
            None => domain::Column::NextCheckAt.is_null(),
        };
        let txn = state.begin_write().await?;
        let claimed = domain::Entity::update_many()
            .col_expr(domain::Column::NextCheckAt, Expr::value(now + chrono::Duration::minutes(LEASE_MINUTES)))
            .filter(domain::Column::Id.eq(d.id.as_str()))
            .filter(seen)
            .exec(&*txn)
            .await?;
        txn.commit().await?;
        if claimed.rows_affected != 1 {
            continue; // another process has it
        }
        service::verify(state, "system", &RequestMeta::default(), d.organization_id.as_str(), &d.id).await?;
        checked += 1;
    }
    Ok(checked)
}

/// Runs [`run_due`] every `every` for as long as the server runs.
pub fn spawn(state: web::Data<AppState>, every: Duration) {
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = run_due(&state).await {
                tracing::warn!(error = %e, "domain re-check failed; trying again at the next run");
            }
        }
    });
}
