//! Sign-in throttle rows, one per subject (`domain::throttle`). Reserving and settling
//! happen inside the caller's write transaction with the rows locked (PostgreSQL
//! `FOR UPDATE`; SQLite's `BEGIN IMMEDIATE` already holds the one write lock), so
//! concurrent sign-ins count one after the other and none reads a count another is
//! about to change.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::sign_in_throttle as t;
use super::{DbConn, execute_native, from_db_time, to_db_time};
use crate::domain::throttle::{self, Count, Outcome, Reservation, Subject};
use crate::error::AppError;

type Row = (
    i32,
    NaiveDateTime,
    Option<NaiveDateTime>,
    i32,
    Option<NaiveDateTime>,
);

/// Reads a subject's row, locked for the rest of the transaction.
fn locked(conn: &mut DbConn, key: &str, now: DateTime<Utc>) -> Result<Count, AppError> {
    // The row must exist to be locked; a new one counts nothing yet.
    let insert = diesel::insert_into(t::table)
        .values((
            t::subject.eq(key),
            t::failures.eq(0),
            t::window_started_at.eq(to_db_time(now)),
        ))
        .on_conflict_do_nothing();
    execute_native(conn, insert)?;
    let query = t::table.find(key).select((
        t::failures,
        t::window_started_at,
        t::locked_until,
        t::in_flight,
        t::in_flight_at,
    ));
    let row: Row = match conn {
        DbConn::Pg(c) => query.for_update().first(c)?,
        DbConn::Sqlite(c) => query.first(c)?,
    };
    Ok(Count {
        failures: row.0,
        window_started_at: from_db_time(row.1),
        locked_until: row.2.map(from_db_time),
        in_flight: row.3,
        in_flight_at: row.4.map(from_db_time),
    })
}

fn write(conn: &mut DbConn, key: &str, count: &Count) -> Result<(), AppError> {
    diesel::update(t::table.find(key))
        .set((
            t::failures.eq(count.failures),
            t::window_started_at.eq(to_db_time(count.window_started_at)),
            t::locked_until.eq(count.locked_until.map(to_db_time)),
            t::in_flight.eq(count.in_flight),
            t::in_flight_at.eq(count.in_flight_at.map(to_db_time)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Reserves one check against each (subject, limit), all or none: `Allowed` only when
/// every subject allows it; otherwise the first subject's refusal (`Locked` before
/// `Busy`, with its index) and nothing written.
pub fn reserve(
    conn: &mut DbConn,
    subjects: &[(&Subject, i32)],
    window: Duration,
    now: DateTime<Utc>,
) -> Result<(usize, Reservation), AppError> {
    let mut reserved = Vec::with_capacity(subjects.len());
    let mut busy = None;
    for (i, (subject, limit)) in subjects.iter().enumerate() {
        let key = subject.key();
        match throttle::reserve(locked(conn, &key, now)?, *limit, window, now) {
            (_, locked @ Reservation::Locked { .. }) => return Ok((i, locked)),
            (_, Reservation::Busy) => busy = busy.or(Some(i)),
            (count, Reservation::Allowed) => reserved.push((key, count)),
        }
    }
    if let Some(i) = busy {
        return Ok((i, Reservation::Busy));
    }
    for (key, count) in reserved {
        write(conn, &key, &count)?;
    }
    Ok((0, Reservation::Allowed))
}

/// Settles a reserved check for each (subject, limit); for each, the end of the lock it
/// set (`throttle::settle`).
pub fn settle(
    conn: &mut DbConn,
    subjects: &[(&Subject, i32)],
    outcome: Outcome,
    window: Duration,
    now: DateTime<Utc>,
) -> Result<Vec<Option<DateTime<Utc>>>, AppError> {
    let mut locks = Vec::with_capacity(subjects.len());
    for (subject, limit) in subjects {
        let key = subject.key();
        let current = locked(conn, &key, now)?;
        let (count, lock) = throttle::settle(subject, current, outcome, *limit, window, now);
        write(conn, &key, &count)?;
        locks.push(lock);
    }
    Ok(locks)
}

/// Forgets a subject's count and lock (a login whose password an admin reset).
pub fn clear(conn: &mut DbConn, subject: &Subject) -> Result<(), AppError> {
    diesel::delete(t::table.find(subject.key())).execute(conn)?;
    Ok(())
}

/// Forgets counts whose window started before `before`, that lock nothing any more and
/// have no check in flight.
pub fn purge(conn: &mut DbConn, before: DateTime<Utc>) -> Result<usize, AppError> {
    let before = to_db_time(before);
    Ok(diesel::delete(
        t::table
            .filter(t::window_started_at.lt(before))
            .filter(t::locked_until.is_null().or(t::locked_until.lt(before)))
            .filter(t::in_flight_at.is_null().or(t::in_flight_at.lt(before))),
    )
    .execute(conn)?)
}
