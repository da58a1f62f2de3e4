//! The SCIM bearer token, generated through a setup link: shown once,
//! stored as SHA-256 (it is 256 random bits, so a fast hash is enough);
//! generating another replaces it, so the old one stops working at once.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use shared::provisioning::{Feature, IntegrationStatus};
use shared::setup::{ScimCredentials, SetupKind};

use super::entity::{replaced_token, token};
use super::token_hash;
use actix_web::{HttpResponse, web};
use shared::Problem;

use crate::audit::{self, Event, RequestMeta};
use crate::db::OrganizationScoped;
use crate::error::{AppError, AppResult};
use crate::setup::service::resolve;
use crate::state::AppState;

pub const TOKEN_PREFIX: &str = "gh_scim_";

/// How long a replaced token is remembered, so a directory still sending it
/// turns the status `error` with the reason (`scim::authenticate`).
pub const REMEMBER_REPLACED: chrono::Duration = chrono::Duration::days(90);

pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

pub async fn issue(state: &AppState, meta: &RequestMeta, setup_token: &str) -> AppResult<ScimCredentials> {
    let (link, _) = resolve(state, setup_token, Some(SetupKind::Scim)).await?;
    let org_id = link.organization_id;
    let inactive = matches!(
        crate::features::status(&state.db, &org_id, Feature::DirectorySync).await?,
        IntegrationStatus::Inactive | IntegrationStatus::NotPurchased
    );
    if inactive {
        return Err(AppError::conflict(
            "feature_inactive",
            "Directory Sync is turned off for this organization; ask its administrator to turn it on.",
        ));
    }
    let now = state.clock.now();
    let bearer = generate_token();
    let txn = state.begin_write().await?;
    // Not revoked, replaced or expired since it was resolved above.
    crate::setup::service::still_live(&txn, &link.id, now, true).await?;
    // The token being replaced is remembered, so a directory still sending
    // it is reported on the Provision tab (`scim::authenticate`).
    let previous = token::Entity::find_by_id(org_id.clone()).one(&txn).await?;
    if let Some(old) = &previous {
        replaced_token::Entity::insert(replaced_token::ActiveModel {
            token_hash: Set(old.token_hash.clone()),
            organization_id: Set(org_id.clone()),
            replaced_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await?;
        token::Entity::delete_by_id(org_id.clone()).exec(&txn).await?;
    }
    // Tokens replaced long ago are forgotten: one sent now is just unknown.
    replaced_token::Entity::delete_in(&org_id)
        .filter(replaced_token::Column::ReplacedAt.lt(now - REMEMBER_REPLACED))
        .exec(&txn)
        .await?;
    token::ActiveModel {
        organization_id: Set(org_id.clone()),
        token_hash: Set(token_hash(&bearer)),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let event = Event {
        organization_id: &org_id,
        actor: "setup_link",
        action: "directory_sync.token_generated",
        target: Feature::DirectorySync.as_str(),
        details: serde_json::json!({ "link_id": link.id, "replaced_previous": previous.is_some() }),
    };
    audit::record(&txn, meta, now, event).await?;
    // The previous token stops working now; never the token itself.
    let data = serde_json::json!({
        "organization_id": org_id, "created_at": now, "replaced_previous": previous.is_some(),
        "scim_base_url": format!("{}/scim/v2", state.public_url),
    });
    let token_event =
        crate::events::NewEvent::new("scim_token.created", org_id.as_str(), format!("{org_id}/scim_token"), data)
            .by(shared::events::Source::SetupLink);
    crate::events::emit(&txn, token_event, now).await?;
    txn.commit().await?;
    state.scim.forget(&org_id);
    Ok(ScimCredentials {
        scim_base_url: format!("{}/scim/v2", state.public_url),
        bearer_token: bearer,
        created_at: now,
    })
}

/// When the organization's current token was generated.
pub async fn token_created_at(state: &AppState, org_id: &str) -> AppResult<Option<chrono::DateTime<chrono::Utc>>> {
    Ok(token::Entity::find_in(org_id).one(&state.db).await?.map(|t| t.created_at))
}

#[utoipa::path(
    post, path = "/api/v1/setup/{token}/scim-credentials", tag = "setup", operation_id = "createScimCredentials",
    summary = "Generate SCIM credentials",
    description = "The SCIM base URL and a bearer token for the identity provider (shown once; the previous token stops working).",
    params(("token" = String, Path, description = "The token from a Directory Sync (SCIM) setup link")),
    responses(
        (status = 201, description = "The SCIM base URL and a new bearer token, shown this once; the previous token stops working", body = ScimCredentials),
        (status = 401, description = "Not a SCIM setup link we issued", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Directory Sync is turned off (`feature_inactive`)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Expired (`setup_link_expired`) or replaced/revoked (`setup_link_revoked`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this client address; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn scim_credentials(
    state: web::Data<AppState>,
    meta: RequestMeta,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    state.limit_auth(&meta)?;
    let credentials = issue(&state, &meta, &token).await?;
    Ok(HttpResponse::Created().insert_header(("Cache-Control", "no-store")).json(credentials))
}
