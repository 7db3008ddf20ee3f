//! Secrets the service generates once and every replica shares.

use diesel::prelude::*;

use super::schema::service_secrets;
use super::{DbConn, execute_native, to_db_time};
use crate::error::AppError;

/// The secret called `name`, created with `generate` by whichever replica comes first.
pub fn get_or_create(
    conn: &mut DbConn,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
    generate: impl FnOnce() -> String,
) -> Result<String, AppError> {
    let insert = diesel::insert_into(service_secrets::table)
        .values((
            service_secrets::name.eq(name),
            service_secrets::value.eq(generate()),
            service_secrets::created_at.eq(to_db_time(now)),
        ))
        .on_conflict_do_nothing();
    execute_native(conn, insert)?;
    Ok(service_secrets::table
        .find(name)
        .select(service_secrets::value)
        .first(conn)?)
}
