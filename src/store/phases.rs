//! Recording each running clock's move into its at-risk window and past its deadline on
//! the timeline, so live screens and 304 polls learn of it like of any other change.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::clocks;
use super::{DbConn, events, from_db_time, incidents, to_db_time};
use crate::domain::access::{Actor, Role};
use crate::domain::clock::{ClockKind, ClockPhase, StoredState};
use crate::domain::ids::{ClockId, IncidentId};
use crate::domain::timeline::{Change, Moved, PhaseCrossed};
use crate::error::AppError;

/// Clocks looked at per query; the caller repeats while a batch comes back full.
pub const BATCH: i64 = 500;

/// A running clock whose recorded phase is behind the time.
pub struct Crossing {
    clock_id: ClockId,
    incident_id: IncidentId,
    kind: ClockKind,
    due_at: DateTime<Utc>,
    from: ClockPhase,
    to: ClockPhase,
}

type Row = (
    ClockId,
    IncidentId,
    ClockKind,
    chrono::NaiveDateTime,
    chrono::NaiveDateTime,
    ClockPhase,
);

/// Running clocks that entered their at-risk window or passed their deadline since their
/// phase was last recorded.
pub fn crossings(conn: &mut DbConn, now: DateTime<Utc>) -> Result<Vec<Crossing>, AppError> {
    let at = to_db_time(now);
    let select = (
        clocks::id,
        clocks::incident_id,
        clocks::kind,
        clocks::due_at,
        clocks::at_risk_at,
        clocks::phase,
    );
    let mut rows: Vec<Row> = clocks::table
        .filter(clocks::state.eq(StoredState::Running))
        .filter(clocks::at_risk_at.le(at))
        .filter(clocks::phase.eq(ClockPhase::OnTime))
        .select(select)
        .limit(BATCH)
        .load(conn)?;
    rows.extend(
        clocks::table
            .filter(clocks::state.eq(StoredState::Running))
            .filter(clocks::due_at.lt(at))
            .filter(clocks::phase.eq(ClockPhase::AtRisk))
            .select(select)
            .limit(BATCH)
            .load::<Row>(conn)?,
    );
    Ok(rows
        .into_iter()
        .map(|(clock_id, incident_id, kind, due_at, at_risk_at, from)| {
            let due_at = from_db_time(due_at);
            Crossing {
                to: ClockPhase::at(due_at, from_db_time(at_risk_at), now),
                from,
                clock_id,
                incident_id,
                kind,
                due_at,
            }
        })
        .filter(|c| c.from != c.to)
        .collect())
}

/// Records one crossing, in its own transaction (the caller's): the incident row first,
/// like every incident change, then the clock, guarded by the phase read, so of several
/// replicas exactly one records it. Returns whether this call did.
pub fn record(
    conn: &mut DbConn,
    crossing: &Crossing,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    incidents::lock(conn, &crossing.incident_id)?;
    let moved = diesel::update(
        clocks::table
            .find(&crossing.clock_id)
            .filter(clocks::state.eq(StoredState::Running))
            .filter(clocks::phase.eq(crossing.from)),
    )
    .set(clocks::phase.eq(crossing.to))
    .execute(conn)?;
    if moved == 0 {
        return Ok(false);
    }
    let crossed = PhaseCrossed {
        clock_id: crossing.clock_id.clone(),
        kind: crossing.kind.clone(),
        due_at: crossing.due_at,
        phase: Moved {
            before: crossing.from,
            after: crossing.to,
        },
    };
    let change = match crossing.to {
        ClockPhase::Breached => Change::ClockBreached(crossed),
        _ => Change::ClockAtRisk(crossed),
    };
    events::append(conn, &crossing.incident_id, &system(), &change, None, now)?;
    Ok(true)
}

/// The service itself, as the author of what time alone brings about.
fn system() -> Actor {
    Actor {
        id: "system".into(),
        name: "系统".into(),
        role: Role::Viewer,
        scope: None,
    }
}
