//! The `events` and `event_versions` tables (m0029).

pub mod event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "events")]
    pub struct Model {
        /// `evt_…`, time-ordered.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// Commit order (see the migration).
        pub seq: i64,
        #[sea_orm(column_name = "type")]
        pub kind: String,
        pub occurred_at: DateTimeUtc,
        pub organization_id: Option<String>,
        pub object_id: String,
        pub version: i64,
        pub source: Option<String>,
        /// JSON text: the object's state after the change.
        pub data: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod version {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "event_versions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub object_id: String,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
