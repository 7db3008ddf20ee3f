//! Secrets the service generates once and every replica shares.

use diesel::prelude::*;

use super::schema::service_secrets;
use super::{DbConn, to_db_time};
use crate::error::AppError;

/// The secret called `name`, created with `generate` by whichever replica comes first.
pub fn get_or_create(
    conn: &mut DbConn,
    name: &str,
    generate: impl FnOnce() -> String,
) -> Result<String, AppError> {
    let insert = diesel::insert_into(service_secrets::table)
        .values((
            service_secrets::name.eq(name),
            service_secrets::value.eq(generate()),
            service_secrets::created_at.eq(to_db_time(chrono::Utc::now())),
        ))
        .on_conflict_do_nothing();
    match conn {
        DbConn::Pg(c) => insert.execute(c)?,
        DbConn::Sqlite(c) => insert.execute(c)?,
    };
    Ok(service_secrets::table
        .find(name)
        .select(service_secrets::value)
        .first(conn)?)
}
