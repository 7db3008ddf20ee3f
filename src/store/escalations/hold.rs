//! Waiting reminders' moments decided again: when their clock's deadline moves, or when
//! the quiet hours of the office they go to change. Each is counted from when it was
//! first due, never from where quiet hours held it.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::domain::escalation::{EscalationStatus, Step};
use crate::domain::ids::ClockId;
use crate::error::AppError;
use crate::store::schema::escalations as esc;
use crate::store::{DbConn, from_db_time, to_db_time, units};

/// Whose pending reminders.
pub enum Whose<'a> {
    /// A clock's, its deadline moved by the delta.
    Clock(&'a ClockId),
    /// Those going to people of a unit (by code), its quiet hours changed.
    Unit(&'a str),
}

type Waiting = (
    String,
    String,
    i32,
    NaiveDateTime,
    Option<NaiveDateTime>,
    i32,
    String,
    EscalationStatus,
);

/// Moves the waiting reminders (`super::waiting`) by `delta` and decides each one's
/// quiet-hours hold again with its office's present quiet hours; returns how many changed.
pub fn redecide(
    conn: &mut DbConn,
    whose: Whose<'_>,
    delta: Duration,
    zone: chrono_tz::Tz,
) -> Result<usize, AppError> {
    let mut query = esc::table
        .filter(super::waiting(conn)?)
        .filter(esc::rank.ge(Step::FIRST_REMINDER_RANK))
        .into_boxed();
    query = match whose {
        Whose::Clock(id) => query.filter(esc::clock_id.eq(id)),
        Whose::Unit(code) => query.filter(esc::recipient_unit.eq(code)),
    };
    let pending: Vec<Waiting> = query
        .select((
            esc::id,
            esc::step,
            esc::rank,
            esc::due_at,
            esc::held_from,
            esc::after_minutes,
            esc::recipient_unit,
            esc::status,
        ))
        .load(conn)?;
    let codes: Vec<&str> = pending.iter().map(|p| p.6.as_str()).collect();
    let quiet = units::quiet_hours_of(conn, &codes)?;
    let mut changed = 0;
    for (id, step, rank, due, held_from, after, unit, status) in &pending {
        let first_due = from_db_time(held_from.unwrap_or(*due)) + delta;
        let step = Step::from_stored(step, *rank).map_err(AppError::internal)?;
        let step_due = first_due - Duration::minutes((*after).into());
        let (moved, held) = crate::domain::quiet::due_with_quiet_hours(
            &step,
            step_due,
            first_due,
            quiet.get(unit),
            zone,
        );
        let (moved, held) = (to_db_time(moved), held.map(to_db_time));
        if moved == *due && held == *held_from {
            continue;
        }
        // A row claimed ahead of its old moment is taken back, unsent, to wait for the
        // new one: pending again, its lease cleared and its attempt given back.
        let claimed_ahead = i32::from(*status == EscalationStatus::Sending);
        diesel::update(esc::table.find(id))
            .set((
                esc::due_at.eq(moved),
                esc::next_attempt_at.eq(moved),
                esc::held_from.eq(held),
                esc::status.eq(EscalationStatus::Pending),
                esc::lease_token.eq(None::<String>),
                esc::lease_until.eq(None::<NaiveDateTime>),
                esc::attempts.eq(esc::attempts - claimed_ahead),
            ))
            .execute(conn)?;
        changed += 1;
    }
    Ok(changed)
}
