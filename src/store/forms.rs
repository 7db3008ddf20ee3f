//! Console form submissions seen: a form's one-time token, recorded in the transaction of
//! what the form does (see `console::form::Once`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::form_submissions as f;
use super::{DbConn, execute_native, to_db_time};
use crate::error::AppError;

/// Records a submission; false when this actor already submitted this form.
pub fn first_use(
    conn: &mut DbConn,
    actor_id: &str,
    form_key: &str,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let insert = diesel::insert_into(f::table)
        .values((
            f::actor_id.eq(actor_id),
            f::form_key.eq(form_key),
            f::created_at.eq(to_db_time(now)),
        ))
        .on_conflict_do_nothing();
    Ok(execute_native(conn, insert)? == 1)
}

/// Forgets submissions older than `before` (no page stays open that long).
pub fn purge(conn: &mut DbConn, before: DateTime<Utc>) -> Result<usize, AppError> {
    Ok(diesel::delete(f::table.filter(f::created_at.lt(to_db_time(before)))).execute(conn)?)
}
