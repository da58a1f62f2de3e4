//! OpenID Connect Back-Channel Logout 1.0: when a member's Gatehouse
//! sessions end (logout, Require SSO, SSO turned off) or their membership
//! does (suspension, removal, SCIM `active:false` or delete), the
//! applications' grants from them end in the same transaction — refresh
//! tokens and userinfo stop at once — and each application that registered
//! a `backchannel_logout_uri` is sent a signed logout token for the `sid`
//! and `sub`, through the guarded client, retried with backoff.
//!
//! Deliveries are an outbox (`oauth_logout_deliveries`, written with the
//! change that caused them). Every server process looks for due ones each
//! second and claims them by moving their `next_attempt_at` (a lease) with a
//! conditional update — on PostgreSQL after `FOR UPDATE SKIP LOCKED`, so
//! processes take different rows — and each is sent once. Sends run side by
//! side (at most [`IN_FLIGHT`] per process, [`PER_CLIENT`] per application):
//! a slow application never holds up another's logouts.

use std::collections::{BTreeSet, HashSet};
use std::time::Duration as StdDuration;

use actix_web::web;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;

use crate::db::OrganizationScoped;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde::Serialize;

use super::clients;
use super::entity::{grant, logout_delivery as delivery};
use crate::auth::tokens::random_token;
use crate::state::AppState;

/// The `typ` of logout tokens (Back-Channel Logout §2.4, explicit typing).
pub const LOGOUT_TYP: &str = "logout+jwt";
/// The event a logout token carries.
pub const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// A logout token is valid this long after it is signed (each attempt signs anew).
pub const TOKEN_TTL_SECS: i64 = 120;
/// Sends in flight per process at most.
pub const IN_FLIGHT: usize = 32;
/// Sends in flight per application per process at most.
pub const PER_CLIENT: usize = 4;
/// How long a claim holds a delivery: a process that dies while sending
/// leaves it to the others after this (a send gives up after 10 s).
pub const LEASE_SECS: i64 = 60;
/// The wait after each failed attempt; after the last, it is given up
/// (about 45 hours in all).
pub const BACKOFF_SECS: [i64; 8] = [10, 60, 300, 1_800, 7_200, 21_600, 43_200, 86_400];

/// The sessions `session_ids` just ended: the grants from them end, and
/// each listening application is told.
pub async fn sessions_ended(
    db: &impl ConnectionTrait,
    session_ids: &[String],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for chunk in session_ids.chunks(500) {
        let which =
            grant::Entity::update_many().filter(grant::Column::SessionId.is_in(chunk.iter().map(String::as_str)));
        grants_ended(db, which, now).await?;
    }
    Ok(())
}

/// The member `user_id` of `org_id` was suspended or removed: their grants
/// into the organization end (whatever the session), and each listening
/// application is told.
pub async fn membership_ended(
    db: &impl ConnectionTrait,
    org_id: &str,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    grants_ended(db, grant::Entity::update_in(org_id).filter(grant::Column::UserId.eq(user_id)), now).await
}

async fn grants_ended(
    db: &impl ConnectionTrait,
    which: sea_orm::UpdateMany<grant::Entity>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let ended = which
        .col_expr(grant::Column::RevokedAt, Expr::value(now))
        .filter(grant::Column::RevokedAt.is_null())
        .exec_with_returning(db)
        .await?;
    if ended.is_empty() {
        return Ok(());
    }
    let client_ids: BTreeSet<&str> = ended.iter().map(|g| g.client_id.as_str()).collect();
    let listening: HashSet<String> = clients::Entity::find()
        .filter(clients::Column::Id.is_in(client_ids))
        .filter(clients::Column::BackchannelLogoutUri.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    // One logout per application and session, however many grants.
    let mut seen = BTreeSet::new();
    let rows: Vec<delivery::ActiveModel> = ended
        .iter()
        .filter(|g| listening.contains(&g.client_id))
        .filter(|g| {
            seen.insert((g.client_id.as_str(), g.session_id.as_str(), g.user_id.as_str(), g.organization_id.as_str()))
        })
        .map(|g| delivery::ActiveModel {
            id: Set(format!("bcl_{}", &crate::auth::tokens::digest(&random_token())[..32])),
            client_id: Set(g.client_id.clone()),
            user_id: Set(g.user_id.clone()),
            session_id: Set(g.session_id.clone()),
            organization_id: Set(g.organization_id.clone()),
            attempts: Set(0),
            next_attempt_at: Set(Some(now)),
            last_error: Set(None),
            given_up_at: Set(None),
            created_at: Set(now),
        })
        .collect();
    for chunk in rows.chunks(200) {
        delivery::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    Ok(())
}

/// A logout token (Back-Channel Logout §2.4): no `nonce`, both `sub` and
/// `sid`, and the organization whose sign-in ended (a password session can
/// serve several: a suspension in one ends the application's sign-ins into
/// that one).
#[derive(Debug, Serialize)]
struct LogoutToken<'a> {
    iss: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    jti: String,
    sub: &'a str,
    sid: &'a str,
    gatehouse_org_id: &'a str,
    events: serde_json::Value,
}

/// What one attempt came to.
enum Outcome {
    Delivered,
    /// The application is gone or no longer listens: nothing to send.
    Unwanted,
    /// Why, in our words.
    Failed(String),
}

async fn attempt(state: &AppState, d: &delivery::Model) -> Outcome {
    let client = match clients::find(&state.db, &d.client_id).await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "back-channel logout: reading the client failed");
            return Outcome::Failed("could not read the application".to_owned());
        }
    };
    let Some((client, uri)) = client.and_then(|c| c.backchannel_logout_uri.clone().map(|u| (c, u))) else {
        return Outcome::Unwanted;
    };
    let now = state.clock.now().timestamp();
    let claims = LogoutToken {
        iss: state.issuer(),
        aud: &client.id,
        iat: now,
        exp: now + TOKEN_TTL_SECS,
        jti: random_token(),
        sub: &d.user_id,
        sid: &d.session_id,
        gatehouse_org_id: &d.organization_id,
        events: serde_json::json!({ EVENT: {} }),
    };
    let token = match state.provider_keys.sign(LOGOUT_TYP, &claims) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "back-channel logout: signing failed");
            return Outcome::Failed("could not sign the logout token".to_owned());
        }
    };
    let what = "back-channel logout URI";
    let request = match state.outbound.post(&uri, what) {
        Ok(r) => r.form(&[("logout_token", token.as_str())]).header("cache-control", "no-store"),
        Err(e) => return Outcome::Failed(e.0),
    };
    match state.outbound.send(request, what).await {
        // The body is never read: only the status counts (§2.8).
        Ok(res) if res.status().is_success() => Outcome::Delivered,
        Ok(res) => Outcome::Failed(format!("the {what} answered HTTP {}", res.status().as_u16())),
        Err(e) => Outcome::Failed(e.0),
    }
}

/// Claims up to `limit` due deliveries (at most [`PER_CLIENT`] in flight per
/// application, counting `busy`): each with its lease's time.
async fn claim(
    state: &AppState,
    limit: usize,
    busy: &std::collections::HashMap<String, usize>,
) -> Result<Vec<(delivery::Model, DateTime<Utc>)>, DbErr> {
    let cols = crate::outbox::Columns {
        id: delivery::Column::Id,
        next_attempt_at: delivery::Column::NextAttemptAt,
        key: delivery::Column::ClientId,
    };
    crate::outbox::claim::<delivery::Entity>(state, &cols, (limit, PER_CLIENT, LEASE_SECS), busy, |d| {
        (d.id.clone(), d.client_id.clone(), d.next_attempt_at)
    })
    .await
}

/// Writes what an attempt came to — only while this process still holds
/// the lease (a claim that outlived it belongs to whoever took it over).
async fn record(state: &AppState, d: &delivery::Model, lease: DateTime<Utc>, outcome: Outcome) -> Result<(), DbErr> {
    let now = state.clock.now();
    let mine = || {
        sea_orm::Condition::all()
            .add(delivery::Column::Id.eq(d.id.as_str()))
            .add(delivery::Column::NextAttemptAt.eq(lease))
    };
    let txn = state.begin_write().await?;
    match outcome {
        Outcome::Delivered | Outcome::Unwanted => {
            delivery::Entity::delete_many().filter(mine()).exec(&*txn).await?;
        }
        Outcome::Failed(why) => {
            let attempts = d.attempts.saturating_add(1);
            let wait = usize::try_from(attempts - 1).ok().and_then(|i| BACKOFF_SECS.get(i));
            let next = wait.map(|s| now + Duration::seconds(*s));
            if next.is_some() {
                tracing::warn!(client_id = %d.client_id, attempts, reason = %why, "back-channel logout failed; retrying");
            } else {
                tracing::error!(client_id = %d.client_id, attempts, reason = %why, "back-channel logout given up");
            }
            delivery::Entity::update_many()
                .col_expr(delivery::Column::Attempts, Expr::value(attempts))
                .col_expr(delivery::Column::NextAttemptAt, Expr::value(next))
                .col_expr(delivery::Column::LastError, Expr::value(Some(why)))
                .col_expr(delivery::Column::GivenUpAt, Expr::value(next.is_none().then_some(now)))
                .filter(mine())
                .exec(&*txn)
                .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// Given-up deliveries are kept a month for the operator, then go.
async fn purge(state: &AppState) -> Result<(), DbErr> {
    let txn = state.begin_write().await?;
    delivery::Entity::delete_many()
        .filter(delivery::Column::GivenUpAt.lt(state.clock.now() - Duration::days(30)))
        .exec(&*txn)
        .await?;
    txn.commit().await
}

/// The outbox of logout deliveries.
pub struct Logouts;

impl crate::outbox::Outbox for Logouts {
    type Item = (delivery::Model, DateTime<Utc>);
    const NAME: &'static str = "back-channel logout";
    const IN_FLIGHT: usize = IN_FLIGHT;
    const PER_KEY: usize = PER_CLIENT;

    fn key(item: &Self::Item) -> &str {
        &item.0.client_id
    }

    async fn housekeeping(state: &AppState) -> Result<(), DbErr> {
        purge(state).await
    }

    async fn claim(
        state: &AppState,
        limit: usize,
        busy: &std::collections::HashMap<String, usize>,
    ) -> Result<Vec<Self::Item>, DbErr> {
        claim(state, limit, busy).await
    }

    async fn send(state: web::Data<AppState>, (d, lease): Self::Item) {
        let outcome = attempt(&state, &d).await;
        if let Err(e) = record(&state, &d, lease, outcome).await {
            tracing::warn!(error = %e, "back-channel logout: recording an attempt failed");
        }
    }
}

/// Sends due deliveries every `every` for as long as the server runs.
pub fn spawn(state: web::Data<AppState>, every: StdDuration) {
    crate::outbox::spawn::<Logouts>(state, every);
}
