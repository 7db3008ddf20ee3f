//! One counter that moves whenever something a dashboard shows may have changed: an
//! incident or its clocks (each timeline event takes the next value as its `seq`), a
//! clock entering a new phase, a round of mail delivered, a unit renamed. A poll whose
//! ETag carries the current value is answered 304 after reading this one row.
//!
//! The row is locked until the writing transaction commits, so values become visible in
//! order: a reader that saw value n has seen every event up to n.

use diesel::prelude::*;

use super::DbConn;
use super::schema::change_counter;
use crate::error::AppError;

const ROW: i32 = 1;

/// Takes the next value (inside the caller's transaction, if any).
pub fn bump(conn: &mut DbConn) -> Result<i64, AppError> {
    diesel::update(change_counter::table.find(ROW))
        .set(change_counter::value.eq(change_counter::value + 1))
        .execute(conn)?;
    current(conn)
}

pub fn current(conn: &mut DbConn) -> Result<i64, AppError> {
    Ok(change_counter::table
        .find(ROW)
        .select(change_counter::value)
        .first(conn)?)
}
