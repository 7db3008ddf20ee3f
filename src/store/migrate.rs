//! Embedded migrations, one folder per backend with the same versions.

use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::DbConn;
use crate::error::AppError;

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Arbitrary constant naming this service's migration lock.
const PG_MIGRATION_LOCK: i64 = 0x5951_7472_6163_6b00;

pub fn run_pending(conn: &mut DbConn) -> Result<(), AppError> {
    match conn {
        DbConn::Pg(c) => {
            // Replicas starting together take turns; the second finds nothing to do.
            c.batch_execute(&format!("SELECT pg_advisory_lock({PG_MIGRATION_LOCK})"))?;
            let outcome = c.run_pending_migrations(PG_MIGRATIONS).map(|_| ());
            c.batch_execute(&format!("SELECT pg_advisory_unlock({PG_MIGRATION_LOCK})"))?;
            outcome.map_err(AppError::Internal)
        }
        DbConn::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|_| ())
            .map_err(AppError::Internal),
    }
}

/// Applies pending migrations up to and including `version` (its folder name's date and
/// number, e.g. `2026-11-22-000005`), so a test can fill an old schema with rows before
/// migrating them.
pub fn run_up_to(conn: &mut DbConn, version: &str) -> Result<(), AppError> {
    let last: String = version.chars().filter(char::is_ascii_digit).collect();
    fn step<H, B>(conn: &mut H, source: EmbeddedMigrations, last: &str) -> Result<(), AppError>
    where
        H: MigrationHarness<B>,
        B: diesel::backend::Backend,
    {
        let pending = conn
            .pending_migrations(source)
            .map_err(AppError::Internal)?;
        for next in pending
            .iter()
            .take_while(|m| m.name().version().to_string().as_str() <= last)
        {
            conn.run_migration(next.as_ref())
                .map_err(AppError::Internal)?;
        }
        Ok(())
    }
    match conn {
        DbConn::Pg(c) => step(c, PG_MIGRATIONS, &last),
        DbConn::Sqlite(c) => step(c, SQLITE_MIGRATIONS, &last),
    }
}

pub fn check_applied(conn: &mut DbConn) -> Result<(), AppError> {
    let pending = match conn {
        DbConn::Pg(c) => c.has_pending_migration(PG_MIGRATIONS),
        DbConn::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
    }
    .map_err(AppError::database_unavailable)?;
    if pending {
        return Err(AppError::Unavailable {
            message: "migrations pending: run `yuqing-tracker migrate` or restart a replica",
            cause: None,
        });
    }
    Ok(())
}
