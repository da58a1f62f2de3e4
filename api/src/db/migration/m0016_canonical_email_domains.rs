//! Emails stored before their domain had one canonical form keep the domain
//! as typed (`anna@bücher.de`) while domain claims are punycode
//! (`xn--bcher-kva.de`), so they never matched. This rewrites each stored
//! email with a non-ASCII domain into the form `Email::parse` now gives. An
//! account whose canonical address is already taken by another (the bug let
//! both spellings sign up) is left as it is and logged for an operator.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0016_canonical_email_domains"
    }
}

/// (table, key column, email column, whether emails are unique there)
const COLUMNS: [(&str, &str, &str, bool); 4] = [
    ("users", "id", "email", true),
    ("invites", "id", "email", false),
    ("directory_users", "id", "email", false),
    ("signup_requests", "id", "email", false),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = db.get_database_backend();
        for (table, key, column, unique) in COLUMNS {
            // Only rows with a character outside printable ASCII are candidates.
            let non_ascii = match backend {
                DbBackend::Postgres => format!("{column} ~ '[^ -~]'"),
                _ => format!("{column} GLOB '*[^ -~]*'"),
            };
            let (p1, p2) = match backend {
                DbBackend::Postgres => ("$1", "$2"),
                _ => ("?", "?"),
            };
            let rows = db
                .query_all_raw(Statement::from_string(
                    backend,
                    format!("SELECT {key} AS k, {column} AS e FROM {table} WHERE {non_ascii}"),
                ))
                .await?;
            for row in rows {
                let (id, email): (String, String) = (row.try_get("", "k")?, row.try_get("", "e")?);
                let Ok(canonical) = shared::validation::Email::parse(&email) else { continue };
                let canonical = canonical.into_string();
                if canonical == email {
                    continue;
                }
                if unique {
                    let taken = db
                        .query_one_raw(Statement::from_sql_and_values(
                            backend,
                            format!("SELECT 1 AS t FROM {table} WHERE {column} = {p1}"),
                            [canonical.clone().into()],
                        ))
                        .await?;
                    if taken.is_some() {
                        tracing::warn!(table, id, "an account already uses this email's canonical form; left as it is");
                        continue;
                    }
                }
                db.execute_raw(Statement::from_sql_and_values(
                    backend,
                    format!("UPDATE {table} SET {column} = {p1} WHERE {key} = {p2}"),
                    [canonical.into(), id.into()],
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        // The canonical form is also a valid spelling: nothing to undo.
        Ok(())
    }
}
