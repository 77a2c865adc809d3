//! Schema migrations: the files of `metadata/migrations/`, applied in order at open.
//!
//! Owns the `schema_migrations` table (version, name, applied_at) and the rule: every migration
//! not yet recorded is applied, in version order, in one transaction that first takes a
//! transaction-scoped advisory lock, so gateways opening one database together apply each
//! migration once and a failed migration leaves nothing half applied. A database whose schema is
//! newer than this build knows is refused. It must not hold any SQL of the operations.

use deadpool_postgres::GenericClient;

use super::{get, pg, rows};
use crate::{Error, Result};

/// The migrations, in order: (version, name, SQL).
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../../migrations/0001_init.sql")),
    (2, "intents", include_str!("../../migrations/0002_intents.sql")),
    (3, "versions", include_str!("../../migrations/0003_versions.sql")),
];

/// Advisory lock key of the migrations ("gs3mig" in ASCII).
const LOCK_KEY: i64 = 0x0000_6773_336d_6967;

/// Applies the missing migrations (see the module doc).
pub(super) async fn run(client: &mut deadpool_postgres::Object) -> Result<()> {
    let tx = client.transaction().await.map_err(pg)?;
    // "relation ... already exists, skipping" at every open is not news.
    tx.batch_execute("SET LOCAL client_min_messages = warning")
        .await
        .map_err(pg)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(pg)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    bigint PRIMARY KEY,
             name       text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )
    .await
    .map_err(pg)?;
    let applied: Vec<i64> = rows(&tx, "SELECT version FROM schema_migrations ORDER BY version", &[])
        .await?
        .iter()
        .map(|r| get(r, 0))
        .collect::<Result<_>>()?;
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    if let Some(newer) = applied.iter().find(|v| **v > known) {
        return Err(Error::Corrupt(format!(
            "registry schema version {newer} is newer than this build knows ({known})"
        )));
    }
    for (version, name, sql) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        tx.batch_execute(sql).await.map_err(pg)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            &[version, name],
        )
        .await
        .map_err(pg)?;
    }
    tx.commit().await.map_err(pg)
}
