use sea_orm::{ActiveModelTrait, ConnectionTrait, DbBackend, IntoActiveModel, Set, Statement};
use shared::domains::Domain;
use shared::provisioning::{Features, Integration, IntegrationStatus, InviteSettings, ProvisioningResponse};
use shared::{DomainId, OrganizationId};

use crate::accounts::entity::organization;
use crate::audit::{self, Actor, Event};
use crate::billing::service as billing;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The tab's state in one database round trip: the organization, its
/// features and its domains, as one `UNION ALL` (rows told apart by `k`).
pub async fn state(state: &AppState, org_id: &OrganizationId) -> AppResult<ProvisioningResponse> {
    let backend = state.db.get_database_backend();
    let p = |n: usize| if backend == DbBackend::Postgres { format!("${n}") } else { "?".to_owned() };
    let sql = format!(
        "SELECT 0 AS k, default_plan_id AS a, NULL AS b, NULL AS c, NULL AS d, disable_passwords_on_invites AS f \
         FROM organizations WHERE id = {} \
         UNION ALL SELECT 1, feature, status, activated_at, last_activity_at, NULL \
         FROM organization_features WHERE organization_id = {} \
         UNION ALL SELECT 2, id, domain, NULL, NULL, NULL FROM domains WHERE organization_id = {} \
         ORDER BY 1, 3",
        p(1),
        p(2),
        p(3)
    );
    let id = org_id.as_str();
    let rows =
        state.db.query_all_raw(Statement::from_sql_and_values(backend, sql, [id.into(), id.into(), id.into()])).await?;
    let mut org = None;
    let (mut sso, mut directory_sync, mut domains) = (None, None, Vec::new());
    for row in rows {
        let a: Option<String> = row.try_get("", "a")?;
        let b: Option<String> = row.try_get("", "b")?;
        match row.try_get::<i32>("", "k")? {
            0 => org = Some((a, row.try_get::<Option<bool>>("", "f")?.unwrap_or(false))),
            1 => {
                let integration = Integration {
                    status: status_of(b.as_deref().unwrap_or_default()),
                    reason: None,
                    activated_at: row.try_get("", "c")?,
                    last_activity_at: row.try_get("", "d")?,
                };
                match a.as_deref() {
                    Some(billing::FEATURE_SSO) => sso = Some(integration),
                    Some(billing::FEATURE_DIRECTORY_SYNC) => directory_sync = Some(integration),
                    _ => {}
                }
            }
            _ => {
                let id: DomainId = crate::accounts::service::parse_id(a.as_deref().unwrap_or_default())?;
                domains.push(Domain { id, domain: b.unwrap_or_default() });
            }
        }
    }
    let (default_plan_id, disable_passwords_on_invites) = org.ok_or(AppError::NotFound)?;
    Ok(ProvisioningResponse {
        domains,
        default_plan_id,
        disable_passwords_on_invites,
        features: Features { sso: sso.is_some(), directory_sync: directory_sync.is_some() },
        sso: sso.unwrap_or_else(Integration::not_purchased),
        directory_sync: directory_sync.unwrap_or_else(Integration::not_purchased),
    })
}

/// A stored feature status as the API names it (an unreadable one is an error state).
pub fn status_of(stored: &str) -> IntegrationStatus {
    IntegrationStatus::parse(stored).unwrap_or(IntegrationStatus::Error)
}

pub async fn set_default_plan(
    state: &AppState,
    actor: &Actor<'_>,
    org_id: &OrganizationId,
    plan_id: &str,
) -> AppResult<String> {
    if !state.settings.plans.iter().any(|p| p.id == plan_id) {
        return Err(AppError::field(
            "plan_id",
            "unknown_plan",
            "Choose one of the plans in the catalog (GET /api/v1/plans).",
        ));
    }
    let txn = state.begin_write().await?;
    let org = organization::get(&txn, org_id.as_str()).await?;
    let previous = org.default_plan_id.clone();
    let mut active = org.into_active_model();
    active.default_plan_id = Set(Some(plan_id.to_owned()));
    active.update(&txn).await?;
    let event = Event {
        organization_id: org_id.as_str(),
        actor: actor.user.as_str(),
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
        actor: actor.user.as_str(),
        action: "invite_settings.changed",
        target: org_id.as_str(),
        details: serde_json::json!({ "disable_passwords_on_invites": settings.disable_passwords_on_invites }),
    };
    audit::record(&txn, actor.meta, state.clock.now(), event).await?;
    txn.commit().await?;
    Ok(settings)
}
