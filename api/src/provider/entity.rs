//! sea-orm entities of what the OpenID Provider hands out (m0025).

pub mod grant {
    use chrono::{DateTime, Utc};
    use sea_orm::entity::prelude::*;

    /// A member's sign-in into an application.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "oauth_grants")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub client_id: String,
        pub user_id: String,
        pub organization_id: String,
        /// The Gatehouse session it came from (the ID token's `sid`).
        pub session_id: String,
        pub scope: String,
        pub nonce: Option<String>,
        pub auth_time: DateTime<Utc>,
        pub sso_connection_id: Option<String>,
        pub created_at: DateTime<Utc>,
        pub revoked_at: Option<DateTime<Utc>>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod code {
    use chrono::{DateTime, Utc};
    use sea_orm::entity::prelude::*;

    /// A one-time authorization code (its SHA-256).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "oauth_codes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code_hash: String,
        pub grant_id: String,
        pub redirect_uri: String,
        /// PKCE S256 challenge.
        pub code_challenge: Option<String>,
        pub expires_at: DateTime<Utc>,
        pub used_at: Option<DateTime<Utc>>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod refresh {
    use chrono::{DateTime, Utc};
    use sea_orm::entity::prelude::*;

    /// A refresh token (its SHA-256); used once, then replaced.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "oauth_refresh_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        pub grant_id: String,
        pub expires_at: DateTime<Utc>,
        pub used_at: Option<DateTime<Utc>>,
        pub created_at: DateTime<Utc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod logout_delivery {
    use chrono::{DateTime, Utc};
    use sea_orm::entity::prelude::*;

    /// A back-channel logout an application is still to receive (m0027).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "oauth_logout_deliveries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub client_id: String,
        /// The logout token's `sub`.
        pub user_id: String,
        /// The logout token's `sid` (the Gatehouse session).
        pub session_id: String,
        /// The organization the application's sign-in was into (the logout
        /// token's `gatehouse_org_id`).
        pub organization_id: String,
        pub attempts: i32,
        /// `None`: given up.
        pub next_attempt_at: Option<DateTime<Utc>>,
        /// Why the last attempt failed, in our words (never the receiver's text).
        pub last_error: Option<String>,
        pub given_up_at: Option<DateTime<Utc>>,
        pub created_at: DateTime<Utc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
