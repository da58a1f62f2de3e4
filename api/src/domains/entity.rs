use sea_orm::entity::prelude::*;
use shared::OrganizationId;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "domains")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub organization_id: OrganizationId,
    /// Normalized: lowercase punycode, no `www.`. Several organizations may
    /// claim it while none has proven it; a verified domain has one owner
    /// (a unique index over verified rows, m0022).
    pub domain: String,
    pub created_at: DateTimeUtc,
    /// The random part of the TXT record's value (not a secret: it only
    /// names this claim).
    pub verification_token: Option<String>,
    /// `shared::domains::VerificationState` as text.
    pub verification_state: String,
    pub verification_reason: Option<String>,
    pub checked_at: Option<DateTimeUtc>,
    pub verified_at: Option<DateTimeUtc>,
    /// When the record was last found (the grace period counts from here).
    pub record_seen_at: Option<DateTimeUtc>,
    /// When the background job checks it next (`None`: as soon as it runs).
    pub next_check_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
