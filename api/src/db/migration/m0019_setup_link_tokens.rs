//! Setup links become short opaque tokens stored hashed (`token_hash`),
//! instead of ~600-character signed JWTs, and remember when the IT admin
//! opened them and finished (`opened_at`, `completed_at`) and why one stopped
//! working (`revoked_reason`: `replaced`, `revoked`, `feature_off`). Links
//! issued before have no hash: they stop working (they lasted 24 hours).

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0019_setup_link_tokens"
    }
}

#[derive(DeriveIden)]
enum SetupLinks {
    Table,
    TokenHash,
    OpenedAt,
    CompletedAt,
    RevokedReason,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            string_null(SetupLinks::TokenHash),
            timestamp_with_time_zone_null(SetupLinks::OpenedAt),
            timestamp_with_time_zone_null(SetupLinks::CompletedAt),
            string_null(SetupLinks::RevokedReason),
        ] {
            m.alter_table(Table::alter().table(SetupLinks::Table).add_column(col).to_owned()).await?;
        }
        m.create_index(
            Index::create()
                .name("ux_setup_links_token_hash")
                .table(SetupLinks::Table)
                .col(SetupLinks::TokenHash)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ux_setup_links_token_hash").table(SetupLinks::Table).to_owned()).await?;
        for col in [SetupLinks::TokenHash, SetupLinks::OpenedAt, SetupLinks::CompletedAt, SetupLinks::RevokedReason] {
            m.alter_table(Table::alter().table(SetupLinks::Table).drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
