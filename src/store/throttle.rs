//! Sign-in throttle rows, one per subject (`domain::throttle`). Counting happens inside
//! the caller's write transaction with the rows locked (PostgreSQL `FOR UPDATE`; SQLite's
//! `BEGIN IMMEDIATE` already holds the one write lock), so concurrent sign-ins count one
//! after the other and none reads a count another is about to change.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::sign_in_throttle as t;
use super::{DbConn, execute_native, from_db_time, to_db_time};
use crate::domain::throttle::{self, Count, Reservation, Subject};
use crate::error::AppError;

type Row = (i32, NaiveDateTime, Option<NaiveDateTime>);

/// Reads a subject's row, locked for the rest of the transaction.
fn locked(conn: &mut DbConn, key: &str, now: DateTime<Utc>) -> Result<Option<Count>, AppError> {
    // The row must exist to be locked; a new one counts nothing yet.
    let insert = diesel::insert_into(t::table)
        .values((
            t::subject.eq(key),
            t::attempts.eq(0),
            t::window_started_at.eq(to_db_time(now)),
        ))
        .on_conflict_do_nothing();
    execute_native(conn, insert)?;
    let query = t::table
        .find(key)
        .select((t::attempts, t::window_started_at, t::locked_until));
    let row: Row = match conn {
        DbConn::Pg(c) => query.for_update().first(c)?,
        DbConn::Sqlite(c) => query.first(c)?,
    };
    Ok(Some(Count {
        attempts: row.0,
        window_started_at: from_db_time(row.1),
        locked_until: row.2.map(from_db_time),
    })
    .filter(|c| c.attempts > 0 || c.locked_until.is_some()))
}

fn write(conn: &mut DbConn, key: &str, count: &Count) -> Result<(), AppError> {
    diesel::update(t::table.find(key))
        .set((
            t::attempts.eq(count.attempts),
            t::window_started_at.eq(to_db_time(count.window_started_at)),
            t::locked_until.eq(count.locked_until.map(to_db_time)),
        ))
        .execute(conn)?;
    Ok(())
}

/// For each subject, the lock this attempt set by reaching its limit.
pub type Counted = Vec<Option<DateTime<Utc>>>;
/// Which subject (its index) is locked, and until when.
pub type Refused = (usize, DateTime<Utc>);

/// Counts one attempt against each (subject, limit), all or none: when one subject is
/// locked nothing is counted and the first such lock is returned. Otherwise, for each
/// subject, the lock this attempt set by reaching its limit (see `Reservation`).
pub fn reserve(
    conn: &mut DbConn,
    subjects: &[(&Subject, i32)],
    window: Duration,
    now: DateTime<Utc>,
) -> Result<Result<Counted, Refused>, AppError> {
    let mut counted = Vec::with_capacity(subjects.len());
    for (i, (subject, limit)) in subjects.iter().enumerate() {
        let key = subject.key();
        let current = locked(conn, &key, now)?;
        match throttle::reserve(current, *limit, window, now) {
            (_, Reservation::Locked { until }) => return Ok(Err((i, until))),
            (count, Reservation::Allowed { locks }) => counted.push((key, count, locks)),
        }
    }
    let mut locks = Vec::with_capacity(counted.len());
    for (key, count, lock) in counted {
        if let Some(count) = count {
            write(conn, &key, &count)?;
        }
        locks.push(lock);
    }
    Ok(Ok(locks))
}

/// Gives back an attempt that succeeded (`throttle::release`).
pub fn release(
    conn: &mut DbConn,
    subject: &Subject,
    own_lock: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let key = subject.key();
    if let Some(current) = locked(conn, &key, now)? {
        write(conn, &key, &throttle::release(current, own_lock))?;
    }
    Ok(())
}

/// Forgets a subject's count and lock (a login after its password was proven or reset).
pub fn clear(conn: &mut DbConn, subject: &Subject) -> Result<(), AppError> {
    diesel::delete(t::table.find(subject.key())).execute(conn)?;
    Ok(())
}

/// The end of a subject's lock, if it is locked at `now`.
pub fn locked_until(
    conn: &mut DbConn,
    subject: &Subject,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, AppError> {
    let until: Option<NaiveDateTime> = t::table
        .find(subject.key())
        .select(t::locked_until)
        .first(conn)
        .optional()?
        .flatten();
    Ok(until.map(from_db_time).filter(|u| *u > now))
}

/// Forgets counts whose window started before `before` and that lock nothing any more.
pub fn purge(conn: &mut DbConn, before: DateTime<Utc>) -> Result<usize, AppError> {
    let before = to_db_time(before);
    Ok(diesel::delete(
        t::table
            .filter(t::window_started_at.lt(before))
            .filter(t::locked_until.is_null().or(t::locked_until.lt(before))),
    )
    .execute(conn)?)
}
