//! The stored facts a timeliness report is computed from.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::{clocks, incident_units, units};
use super::{DbConn, from_db_time, to_db_time};
use crate::domain::clock::{ClockKind, StoredState};
use crate::domain::timeliness::ClockFact;
use crate::error::AppError;

type Row = (
    String,
    ClockKind,
    StoredState,
    NaiveDateTime,
    NaiveDateTime,
    Option<NaiveDateTime>,
    String,
    String,
);

/// Clocks (not cancelled) due in [from, to), once per responsible unit of their incident
/// at or below each given path.
pub fn clock_facts(
    conn: &mut DbConn,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    paths: &[&str],
) -> Result<Vec<ClockFact>, AppError> {
    let mut query = clocks::table
        .inner_join(incident_units::table.on(incident_units::incident_id.eq(clocks::incident_id)))
        .inner_join(units::table.on(units::id.eq(incident_units::unit_id)))
        .filter(clocks::due_at.ge(to_db_time(from)))
        .filter(clocks::due_at.lt(to_db_time(to)))
        .filter(clocks::state.ne(StoredState::Cancelled))
        .select((
            clocks::id,
            clocks::kind,
            clocks::state,
            clocks::started_at,
            clocks::due_at,
            clocks::stopped_at,
            units::code,
            units::name,
        ))
        .into_boxed();
    for path in paths {
        query = query.filter(units::path.like(format!("{path}%")));
    }
    let rows: Vec<Row> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(clock_id, kind, state, started_at, due_at, stopped_at, unit_code, unit_name)| {
                ClockFact {
                    clock_id,
                    kind,
                    state,
                    started_at: from_db_time(started_at),
                    due_at: from_db_time(due_at),
                    stopped_at: stopped_at.map(from_db_time),
                    unit_code,
                    unit_name,
                }
            },
        )
        .collect())
}
