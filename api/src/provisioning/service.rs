use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbBackend, IntoActiveModel, Set, Statement};
use shared::domains::Domain;
use shared::provisioning::{Feature, Features, Integration, IntegrationStatus, InviteSettings, ProvisioningResponse};
use shared::{DomainId, OrganizationId};

use crate::accounts::entity::organization;
use crate::audit::{self, Actor, Event};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The tab's state in one database round trip: the organization, its
/// features, its domains and its SAML certificate's expiry, as one
/// `UNION ALL` (rows told apart by `k`).
pub async fn state(state: &AppState, org_id: &OrganizationId) -> AppResult<ProvisioningResponse> {
    let backend = state.db.get_database_backend();
    let p = |n: usize| if backend == DbBackend::Postgres { format!("${n}") } else { "?".to_owned() };
    let sql = format!(
        "SELECT 0 AS k, default_plan_id AS a, NULL AS b, NULL AS c, NULL AS d, NULL AS e, disable_passwords_on_invites AS f, \
         NULL AS g, NULL AS h \
         FROM organizations WHERE id = {} \
         UNION ALL SELECT 1, feature, status, activated_at, last_activity_at, status_reason, NULL, NULL, NULL \
         FROM organization_features WHERE organization_id = {} \
         UNION ALL SELECT 2, id, domain, checked_at, NULL, verification_reason, NULL, verification_state, verification_token \
         FROM domains WHERE organization_id = {} \
         UNION ALL SELECT 3, protocol, NULL, saml_certificate_expires_at, NULL, NULL, NULL, NULL, NULL \
         FROM sso_connections WHERE organization_id = {} \
         ORDER BY 1, 3",
        p(1),
        p(2),
        p(3),
        p(4)
    );
    let id = org_id.as_str();
    let values = [id.into(), id.into(), id.into(), id.into()];
    let rows = state.db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    let mut org = None;
    let (mut sso, mut directory_sync, mut domains, mut certificate_expiry) = (None, None, Vec::new(), None);
    for row in rows {
        let a: Option<String> = row.try_get("", "a")?;
        let b: Option<String> = row.try_get("", "b")?;
        match row.try_get::<i32>("", "k")? {
            0 => org = Some((a, row.try_get::<Option<bool>>("", "f")?.unwrap_or(false))),
            1 => {
                let integration = Integration {
                    status: status_of(b.as_deref().unwrap_or_default())?,
                    reason: row.try_get("", "e")?,
                    activated_at: row.try_get("", "c")?,
                    last_activity_at: row.try_get("", "d")?,
                };
                match a.as_deref().and_then(Feature::parse) {
                    Some(Feature::Sso) => sso = Some(integration),
                    Some(Feature::DirectorySync) => directory_sync = Some(integration),
                    None => {}
                }
            }
            2 => {
                let id: DomainId = crate::accounts::service::parse_id(a.as_deref().unwrap_or_default())?;
                let domain = b.unwrap_or_default();
                let verification = crate::domains::service::verification(
                    &domain,
                    row.try_get::<Option<String>>("", "h")?.as_deref(),
                    &row.try_get::<Option<String>>("", "g")?.unwrap_or_default(),
                    row.try_get("", "e")?,
                    row.try_get("", "c")?,
                );
                domains.push(Domain { id, domain, verification });
            }
            _ if a.as_deref() == Some("saml") => certificate_expiry = row.try_get("", "c")?,
            _ => {}
        }
    }
    if let (Some(sso), Some(expired)) = (sso.as_mut(), certificate_expiry) {
        mark_expired_certificate(sso, expired, state.clock.now());
    }
    let (default_plan_id, disable_passwords_on_invites) = org.ok_or(AppError::NotFound)?;
    Ok(ProvisioningResponse {
        domain_verification_required: crate::domains::service::verification_required(state),
        domains,
        default_plan_id,
        disable_passwords_on_invites,
        features: Features { sso: sso.is_some(), directory_sync: directory_sync.is_some() },
        sso: sso.unwrap_or_else(Integration::not_purchased),
        directory_sync: directory_sync.unwrap_or_else(Integration::not_purchased),
    })
}

/// Active SSO over SAML whose identity provider's signing certificate has
/// expired is shown as `error`: sign-ins will fail once the provider signs
/// with its next certificate, and the IT admin has to enter it.
fn mark_expired_certificate(sso: &mut Integration, expires_at: DateTime<Utc>, now: DateTime<Utc>) {
    if sso.status == IntegrationStatus::Active && expires_at <= now {
        sso.status = IntegrationStatus::Error;
        sso.reason = Some(format!(
            "The identity provider's SAML signing certificate expired on {}. Send the IT admin a new setup link \
             to enter its current certificate or metadata.",
            expires_at.format("%Y-%m-%d")
        ));
    }
}

/// A stored feature status, read as the typed column reads it (an unknown
/// one fails the request rather than pass for some status).
fn status_of(stored: &str) -> AppResult<IntegrationStatus> {
    stored
        .parse()
        .map_err(|e: shared::names::UnknownName| AppError::Internal(anyhow::anyhow!("stored feature status: {e}")))
}

pub async fn set_default_plan(
    state: &AppState,
    actor: &Actor<'_>,
    org_id: &OrganizationId,
    plan_id: &str,
) -> AppResult<String> {
    if !state.settings.plans.iter().any(|p| p.id == plan_id) {
        return Err(AppError::field("plan_id", "unknown_plan", "Choose one of the plans offered."));
    }
    let txn = state.begin_write().await?;
    let org = organization::get(&txn, org_id.as_str()).await?;
    let previous = org.default_plan_id.clone();
    let mut active = org.into_active_model();
    active.default_plan_id = Set(Some(plan_id.to_owned()));
    active.update(&txn).await?;
    let event = Event {
        organization_id: org_id.as_str(),
        actor: actor.id(),
        action: "default_plan.changed",
        target: plan_id,
        details: serde_json::json!({ "previous": previous }),
    };
    audit::record(&txn, actor.meta, state.clock.now(), event).await?;
    txn.commit().await?;
    Ok(plan_id.to_owned())
}

/// Not retroactive: invites store `password_required` when they are created.
pub async fn set_invite_settings(
    state: &AppState,
    actor: &Actor<'_>,
    org_id: &OrganizationId,
    settings: InviteSettings,
) -> AppResult<InviteSettings> {
    let txn = state.begin_write().await?;
    let org = organization::get(&txn, org_id.as_str()).await?;
    let mut active = org.into_active_model();
    active.disable_passwords_on_invites = Set(settings.disable_passwords_on_invites);
    active.update(&txn).await?;
    let event = Event {
        organization_id: org_id.as_str(),
        actor: actor.id(),
        action: "invite_settings.changed",
        target: org_id.as_str(),
        details: serde_json::json!({ "disable_passwords_on_invites": settings.disable_passwords_on_invites }),
    };
    audit::record(&txn, actor.meta, state.clock.now(), event).await?;
    txn.commit().await?;
    Ok(settings)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn only_active_sso_with_an_expired_certificate_is_an_error() {
        let now = "2026-11-29T08:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let with = |status| Integration { status, reason: None, activated_at: None, last_activity_at: None };
        let mut expired = with(IntegrationStatus::Active);
        mark_expired_certificate(&mut expired, now - chrono::Duration::seconds(1), now);
        assert_eq!(expired.status, IntegrationStatus::Error);
        assert!(expired.reason.unwrap().contains("expired on 2026-11-29"));

        let mut valid = with(IntegrationStatus::Active);
        mark_expired_certificate(&mut valid, now + chrono::Duration::days(1), now);
        assert_eq!(valid, with(IntegrationStatus::Active));
        // Turned off or never set up: nothing to report.
        for status in [IntegrationStatus::Inactive, IntegrationStatus::Awaiting] {
            let mut i = with(status);
            mark_expired_certificate(&mut i, now - chrono::Duration::days(1), now);
            assert_eq!(i, with(status));
        }
    }
}
