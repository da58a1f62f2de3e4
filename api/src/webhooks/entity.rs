//! The webhook tables (m0029).

pub mod endpoint {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_endpoints")]
    pub struct Model {
        /// `whe_…`
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub url: String,
        pub description: String,
        /// JSON list of event types; `[]` is every type.
        pub event_types: String,
        pub enabled: bool,
        /// `gone` (the receiver answered 410) or `failing` (5 days of failures).
        pub disabled_reason: Option<String>,
        /// The signing secret, sealed (`SigningKeys::seal`).
        pub secret: String,
        /// The secret before the last rotation, sealed; it signs too until
        /// `previous_secret_until`.
        pub previous_secret: Option<String>,
        pub previous_secret_until: Option<DateTimeUtc>,
        /// The last event handed to this endpoint (see `events::Cursor`).
        pub cursor_seq: i64,
        pub cursor_id: String,
        /// Since when every attempt has failed (`None`: the last one worked).
        pub failing_since: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl Model {
        pub fn types(&self) -> Vec<String> {
            serde_json::from_str(&self.event_types).unwrap_or_default()
        }
    }
}

pub mod delivery {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_deliveries")]
    pub struct Model {
        /// `whd_…`
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub endpoint_id: String,
        pub event_id: String,
        pub attempts: i32,
        /// When to try next (a lease while a process sends it); `None` once
        /// delivered, given up or cancelled.
        pub next_attempt_at: Option<DateTimeUtc>,
        /// `pending`, `delivered`, `failed` (given up) or `cancelled`.
        pub state: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod attempt {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_attempts")]
    pub struct Model {
        /// `wha_…`, time-ordered.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub endpoint_id: String,
        pub delivery_id: String,
        pub event_id: String,
        pub attempted_at: DateTimeUtc,
        pub status: Option<i32>,
        pub latency_ms: i64,
        pub error: Option<String>,
        pub response_excerpt: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
