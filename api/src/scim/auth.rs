//! Who is calling: the directory's bearer token (cached briefly, with the
//! organization and Directory Sync status), the per-organization rate limit,
//! a replaced token turning Directory Sync `error`, and activity.

#[allow(clippy::wildcard_imports)]
use super::*;

/// How long a token's organization and Directory Sync status are trusted
/// without reading them again. This process forgets them at once when they
/// change (a new token, a toggle); other replicas catch up within this.
pub const AUTH_CACHE_SECS: i64 = 5;

#[derive(Clone)]
pub(crate) struct Authorized {
    org_id: OrganizationId,
    status: Option<IntegrationStatus>,
    at: DateTime<Utc>,
}

/// Process-wide SCIM state: the rate limiter, recently checked tokens, and
/// when each organization's `last_activity_at` was last written.
pub struct Runtime {
    pub limiter: RateLimiter,
    activity: Mutex<HashMap<String, DateTime<Utc>>>,
    tokens: Mutex<HashMap<String, Authorized>>,
    /// Counts `forget` calls, so a status read before one is not remembered after it.
    generation: std::sync::atomic::AtomicU64,
}

impl Runtime {
    pub fn new(requests_per_second: u32) -> Self {
        Self {
            limiter: RateLimiter::per_second(requests_per_second),
            activity: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            generation: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Drops what is cached about an organization's token and status.
    pub fn forget(&self, org_id: &str) {
        let mut map = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        map.retain(|_, a| a.org_id != org_id);
    }

    /// Taken before reading what `remember` will keep.
    fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn cached(&self, hash: &str, now: DateTime<Utc>) -> Option<Authorized> {
        let map = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        map.get(hash).filter(|a| now - a.at < Duration::seconds(AUTH_CACHE_SECS) && a.at <= now).cloned()
    }

    /// Keeps `a`, read since `generation`, unless something was forgotten
    /// in between (it may be stale: the next request reads it again).
    fn remember(&self, hash: String, a: Authorized, generation: u64) {
        let mut map = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        if self.generation() != generation {
            return;
        }
        if map.len() > 10_000 {
            let now = a.at;
            map.retain(|_, x| now - x.at < Duration::seconds(AUTH_CACHE_SECS));
        }
        map.insert(hash, a);
    }

    fn due(&self, org: &str, now: DateTime<Utc>) -> bool {
        let map = self.activity.lock().unwrap_or_else(|p| p.into_inner());
        map.get(org).is_none_or(|t| now - *t >= Duration::seconds(ACTIVITY_WRITE_INTERVAL_SECS))
    }

    fn written(&self, org: &str, now: DateTime<Utc>) {
        self.activity.lock().unwrap_or_else(|p| p.into_inner()).insert(org.to_owned(), now);
    }
}

/// An authenticated directory: the organization its token belongs to.
pub struct Directory {
    pub org_id: OrganizationId,
    /// `{public_url}/scim/v2`
    pub base: String,
    pub meta: RequestMeta,
    pub now: DateTime<Utc>,
}

impl Directory {
    pub fn location(&self, kind: Kind, id: &str) -> String {
        format!("{}/{}/{id}", self.base, kind.endpoint())
    }

    /// Writes an audit event with the directory as actor.
    pub async fn record(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        action: &str,
        target: &str,
        details: Value,
    ) -> ScimResult<()> {
        let event = audit::Event { organization_id: &self.org_id, actor: DIRECTORY_ACTOR, action, target, details };
        audit::record(db, &self.meta, self.now, event).await?;
        Ok(())
    }
}

pub(crate) async fn authenticate(req: HttpRequest) -> ScimResult<Directory> {
    let state = req.app_data::<web::Data<AppState>>().ok_or_else(ScimError::internal)?;
    let token = crate::auth::extract::bearer(&req).ok_or_else(|| {
        ScimError::new(StatusCode::UNAUTHORIZED, None, "Send the Directory Sync token as 'Authorization: Bearer …'.")
    })?;
    let now = state.clock.now();
    let hash = token_hash(token);
    let authorized = match state.scim.cached(&hash, now) {
        Some(a) => a,
        None => {
            let generation = state.scim.generation();
            let row = entity::token::Entity::find()
                .filter(entity::token::Column::TokenHash.eq(hash.as_str()))
                .one(&state.db)
                .await?;
            let Some(row) = row else {
                return Err(refused_token(state, &req, &hash, now).await?);
            };
            let feature = crate::features::find(&state.db, &row.organization_id, Feature::DirectorySync).await?;
            let a = Authorized { org_id: row.organization_id, status: feature.map(|f| f.status), at: now };
            state.scim.remember(hash.clone(), a.clone(), generation);
            a
        }
    };
    let org_id = authorized.org_id;
    let status = authorized.status.ok_or_else(|| {
        ScimError::new(StatusCode::FORBIDDEN, None, "Directory Sync is not purchased for this organization.")
    })?;
    if status == IntegrationStatus::Inactive {
        return Err(ScimError::new(
            StatusCode::FORBIDDEN,
            None,
            "Directory Sync is turned off for this organization. An administrator can turn it back on.",
        ));
    }
    if let Err(retry_after_secs) = state.scim.limiter.check(&org_id, now) {
        return Err(ScimError {
            retry_after_secs: Some(retry_after_secs),
            ..ScimError::new(
                StatusCode::TOO_MANY_REQUESTS,
                None,
                "Too many requests for this organization; retry later.",
            )
        });
    }
    let meta = RequestMeta::from_request(&req, &mut Payload::None).await.unwrap_or_default();
    record_activity(state, &org_id, status, now, &meta).await?;
    Ok(Directory { org_id, base: format!("{}/scim/v2", state.public_url), meta, now })
}

/// The 401 for a token that is not the organization's current one. A token
/// the organization replaced means its directory was not updated: Directory
/// Sync turns `error`, with the reason, until the new token is used.
pub(crate) async fn refused_token(
    state: &AppState,
    req: &HttpRequest,
    hash: &str,
    now: DateTime<Utc>,
) -> ScimResult<ScimError> {
    let remembered = entity::replaced_token::Entity::find_by_id(hash)
        .filter(entity::replaced_token::Column::ReplacedAt.gte(now - credentials::REMEMBER_REPLACED))
        .one(&state.db)
        .await?;
    let Some(old) = remembered else {
        return Ok(ScimError::new(
            StatusCode::UNAUTHORIZED,
            None,
            "This token is not valid: it was mistyped or replaced. Generate a new one from the setup link.",
        ));
    };
    let replaced = old.replaced_at.format("%Y-%m-%d %H:%M UTC");
    let reason = format!(
        "The directory sent a token that was replaced on {replaced}: enter the current token in the identity provider's \
         provisioning settings (or generate a new one with a setup link)."
    );
    // The status and its audit event land together or not at all.
    let txn = state.begin_write().await?;
    let meta = RequestMeta::from_request(req, &mut Payload::None).await.unwrap_or_default();
    let event = audit::Event {
        organization_id: &old.organization_id,
        actor: DIRECTORY_ACTOR,
        action: "directory_sync.error",
        target: Feature::DirectorySync.as_str(),
        details: json!({ "reason": "replaced token", "replaced_at": old.replaced_at }),
    };
    let t = crate::features::Transition {
        org_id: &old.organization_id,
        feature: Feature::DirectorySync,
        from: &[IntegrationStatus::Active, IntegrationStatus::Awaiting],
        to: IntegrationStatus::Error,
        reason: Some(&reason),
    };
    let marked = crate::features::transition(&*txn, t, now, &meta, Some(event)).await?;
    txn.commit().await?;
    if marked {
        state.scim.forget(&old.organization_id);
    }
    Ok(ScimError::new(
        StatusCode::UNAUTHORIZED,
        None,
        format!("This token was replaced on {replaced}. Use the organization's current Directory Sync token."),
    ))
}

/// The first authenticated request turns the status `active`; afterwards
/// `last_activity_at` is refreshed at most once a minute per process.
pub(crate) async fn record_activity(
    state: &AppState,
    org_id: &str,
    status: IntegrationStatus,
    now: DateTime<Utc>,
    meta: &RequestMeta,
) -> ScimResult<()> {
    if status != IntegrationStatus::Active {
        // From `awaiting` (first request) or `error` (the current token
        // again); the status and its audit event land together.
        let txn = state.begin_write().await?;
        let event = audit::Event {
            organization_id: org_id,
            actor: DIRECTORY_ACTOR,
            action: "directory_sync.activated",
            target: Feature::DirectorySync.as_str(),
            details: json!({ "reason": if status == IntegrationStatus::Error {
                "authenticated SCIM request after an error"
            } else {
                "first authenticated SCIM request"
            } }),
        };
        let t = crate::features::Transition {
            org_id,
            feature: Feature::DirectorySync,
            from: &[IntegrationStatus::Awaiting, IntegrationStatus::Error],
            to: IntegrationStatus::Active,
            reason: None,
        };
        crate::features::transition(&*txn, t, now, meta, Some(event)).await?;
        txn.commit().await?;
        state.scim.written(org_id, now);
        state.scim.forget(org_id);
    } else if state.scim.due(org_id, now) {
        crate::features::touch(&state.db, org_id, Feature::DirectorySync, now).await?;
        state.scim.written(org_id, now);
    }
    Ok(())
}

impl FromRequest for Directory {
    type Error = ScimError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(authenticate(req.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A status read before Directory Sync is turned off is not remembered
    /// after it (it would keep the token working for up to AUTH_CACHE_SECS).
    #[test]
    fn a_status_read_before_a_forget_is_not_remembered() {
        let runtime = Runtime::new(0);
        let now = Utc::now();
        let org = OrganizationId::generate();
        let authorized = || Authorized { org_id: org.clone(), status: Some(IntegrationStatus::Active), at: now };
        let read_at = runtime.generation();
        runtime.forget(&org);
        runtime.remember("h".into(), authorized(), read_at);
        assert!(runtime.cached("h", now).is_none());
        runtime.remember("h".into(), authorized(), runtime.generation());
        assert!(runtime.cached("h", now).is_some());
    }
}
