//! Clock rows: inserting, stopping and moving them, and the clocks of incidents as
//! shown. What a change does to clocks is decided in `app::clocks`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use super::columns::Json;
use super::escalations::hold::Whose;
use super::schema::{acknowledgements, clocks, escalations as esc, milestones};
use super::{DbConn, from_db_time, to_db_time};
use crate::domain::clock::{
    ClockKind, ClockPhase, ClockPolicy, ClockState, ClockView, Evidence, NextEscalation,
    StoredState, remaining_seconds,
};
use crate::domain::escalation::{EscalationStatus, Step};
use crate::domain::ids::{ClockId, ContactId, IncidentId};
use crate::error::AppError;

#[derive(Queryable, Selectable)]
#[diesel(table_name = clocks)]
struct ClockRow {
    id: ClockId,
    incident_id: IncidentId,
    kind: ClockKind,
    state: StoredState,
    started_at: chrono::NaiveDateTime,
    due_at: chrono::NaiveDateTime,
    policy: Json<ClockPolicy>,
    stopped_at: Option<chrono::NaiveDateTime>,
    stop_reason: Option<String>,
}

/// A running clock, as the rules that change it need it.
pub struct Running {
    pub id: ClockId,
    pub kind: ClockKind,
    pub due_at: DateTime<Utc>,
    pub policy: ClockPolicy,
}

impl ClockRow {
    fn into_running(self) -> Running {
        Running {
            policy: self.policy.into_inner(),
            kind: self.kind,
            due_at: from_db_time(self.due_at),
            id: self.id,
        }
    }
}

/// The kinds of the incident's clocks that run or were met (cancelled ones do not count).
pub fn live_kinds(conn: &mut DbConn, incident_id: &IncidentId) -> Result<Vec<ClockKind>, AppError> {
    Ok(clocks::table
        .filter(clocks::incident_id.eq(incident_id))
        .filter(clocks::state.ne(StoredState::Cancelled))
        .select(clocks::kind)
        .load(conn)?)
}

/// Inserts a running clock and returns its id.
pub fn insert(
    conn: &mut DbConn,
    incident_id: &IncidentId,
    kind: &ClockKind,
    policy: &ClockPolicy,
    started_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<ClockId, AppError> {
    let id = ClockId::generate();
    let due_at = policy.due_at(started_at);
    diesel::insert_into(clocks::table)
        .values((
            clocks::id.eq(&id),
            clocks::incident_id.eq(incident_id),
            clocks::kind.eq(kind),
            clocks::state.eq(StoredState::Running),
            clocks::started_at.eq(to_db_time(started_at)),
            clocks::due_at.eq(to_db_time(due_at)),
            clocks::at_risk_at.eq(to_db_time(due_at - policy.at_risk())),
            clocks::policy.eq(Json::new(policy)?),
            clocks::created_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    Ok(id)
}

/// The incident's running clocks.
pub fn running(conn: &mut DbConn, incident_id: &IncidentId) -> Result<Vec<Running>, AppError> {
    Ok(clocks::table
        .filter(clocks::incident_id.eq(incident_id))
        .filter(clocks::state.eq(StoredState::Running))
        // Nearest deadline first: the order they are shown and named in.
        .order((clocks::due_at.asc(), clocks::kind.asc()))
        .select(ClockRow::as_select())
        .load(conn)?
        .into_iter()
        .map(ClockRow::into_running)
        .collect())
}

/// One running clock by id (None once it stopped).
pub fn find_running(
    conn: &mut DbConn,
    clock_id: &ClockId,
) -> Result<Option<(IncidentId, Running)>, AppError> {
    Ok(clocks::table
        .find(clock_id)
        .filter(clocks::state.eq(StoredState::Running))
        .select(ClockRow::as_select())
        .first(conn)
        .optional()?
        .map(|row| (row.incident_id.clone(), row.into_running())))
}

/// Stops a running clock in `state` (met, met late, cancelled) at `at`.
pub fn stop(
    conn: &mut DbConn,
    clock_ids: &[ClockId],
    state: StoredState,
    at: DateTime<Utc>,
    reason: &str,
) -> Result<usize, AppError> {
    Ok(
        diesel::update(clocks::table.filter(clocks::id.eq_any(clock_ids)))
            .set((
                clocks::state.eq(state),
                clocks::stopped_at.eq(to_db_time(at)),
                clocks::stop_reason.eq(reason),
            ))
            .execute(conn)?,
    )
}

/// Moves a running clock to count from `started_at`, with its pending reminders by the
/// same amount. A moved deadline starts its phases afresh; the sweep records them again.
pub fn shift(
    conn: &mut DbConn,
    clock: &Running,
    started_at: DateTime<Utc>,
    delta: Duration,
    zone: chrono_tz::Tz,
) -> Result<(), AppError> {
    let due = clock.due_at + delta;
    diesel::update(clocks::table.find(&clock.id))
        .set((
            clocks::started_at.eq(to_db_time(started_at)),
            clocks::due_at.eq(to_db_time(due)),
            clocks::at_risk_at.eq(to_db_time(due - clock.policy.at_risk())),
            clocks::phase.eq(ClockPhase::OnTime),
        ))
        .execute(conn)?;
    super::escalations::hold::redecide(conn, Whose::Clock(&clock.id), delta, zone)?;
    Ok(())
}

/// A clock's kind.
pub fn kind_of(conn: &mut DbConn, clock_id: &ClockId) -> Result<ClockKind, AppError> {
    Ok(clocks::table
        .find(clock_id)
        .select(clocks::kind)
        .first(conn)?)
}

/// The people (contact ids) who acknowledged this clock's reminders.
pub fn acknowledged(conn: &mut DbConn, clock_id: &ClockId) -> Result<Vec<ContactId>, AppError> {
    Ok(acknowledgements::table
        .filter(acknowledgements::clock_id.eq(clock_id))
        .select(acknowledgements::contact_id)
        .load(conn)?)
}

/// A recorded milestone, with the clock it stopped (if any).
pub struct NewMilestone<'a> {
    pub incident_id: &'a IncidentId,
    pub kind: ClockKind,
    pub occurred_at: DateTime<Utc>,
    pub evidence: &'a Evidence,
    pub note: Option<&'a str>,
    pub clock_id: Option<&'a ClockId>,
    pub recorded_by: &'a str,
}

/// Inserts a milestone and returns its id.
pub fn insert_milestone(
    conn: &mut DbConn,
    m: &NewMilestone,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let id = uuid::Uuid::new_v4().to_string();
    let evidence = Json::new(m.evidence)?;
    diesel::insert_into(milestones::table)
        .values((
            milestones::id.eq(&id),
            milestones::incident_id.eq(m.incident_id),
            milestones::kind.eq(&m.kind),
            milestones::occurred_at.eq(to_db_time(m.occurred_at)),
            milestones::evidence.eq(evidence),
            milestones::note.eq(m.note),
            milestones::clock_id.eq(m.clock_id),
            milestones::recorded_by.eq(m.recorded_by),
            milestones::created_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    Ok(id)
}

/// The clocks of these incidents as shown at `now`, whatever their kind, nearest
/// deadline first.
pub fn views(
    conn: &mut DbConn,
    incident_ids: &[IncidentId],
    now: DateTime<Utc>,
) -> Result<HashMap<IncidentId, Vec<ClockView>>, AppError> {
    let rows: Vec<ClockRow> = clocks::table
        .filter(clocks::incident_id.eq_any(incident_ids))
        .order((
            clocks::due_at.asc(),
            clocks::kind.asc(),
            clocks::created_at.asc(),
        ))
        .select(ClockRow::as_select())
        .load(conn)?;
    let running: Vec<&ClockId> = rows
        .iter()
        .filter(|r| r.state == StoredState::Running)
        .map(|r| &r.id)
        .collect();
    // No ORDER BY: it would tempt the planner onto the (status, next_attempt_at) index
    // and a scan of every pending row; the earliest per clock is picked here instead.
    let pending: Vec<(ClockId, String, i32, chrono::NaiveDateTime)> = esc::table
        .filter(esc::clock_id.eq_any(running))
        // Sending too: a step claimed ahead of its moment, or on its way, is still next.
        .filter(esc::status.eq_any([EscalationStatus::Pending, EscalationStatus::Sending]))
        .select((
            esc::clock_id.assume_not_null(),
            esc::step,
            esc::rank,
            esc::next_attempt_at,
        ))
        .load(conn)?;
    let mut next: HashMap<&ClockId, (&str, i32, DateTime<Utc>)> = HashMap::new();
    for (clock_id, step, rank, at) in &pending {
        let at = from_db_time(*at);
        let entry = next.entry(clock_id).or_insert((step.as_str(), *rank, at));
        if at < entry.2 {
            *entry = (step.as_str(), *rank, at);
        }
    }
    let mut next: HashMap<&ClockId, NextEscalation> = next
        .into_iter()
        .map(|(clock_id, (step, rank, at))| {
            let step = Step::from_stored(step, rank).map_err(AppError::internal)?;
            Ok((clock_id, NextEscalation { step, at }))
        })
        .collect::<Result<_, AppError>>()?;
    let mut out: HashMap<IncidentId, Vec<ClockView>> = HashMap::new();
    for row in &rows {
        let policy = row.policy.get();
        let stored = row.state;
        let due_at = from_db_time(row.due_at);
        let stopped_at = row.stopped_at.map(from_db_time);
        out.entry(row.incident_id.clone())
            .or_default()
            .push(ClockView {
                id: row.id.clone(),
                kind: row.kind.clone(),
                label: policy.label.clone(),
                milestone: policy.milestone,
                state: ClockState::at(stored, due_at, due_at - policy.at_risk(), now),
                started_at: from_db_time(row.started_at),
                due_at,
                remaining_seconds: remaining_seconds(due_at, stopped_at, now),
                stopped_at,
                stop_reason: row.stop_reason.clone(),
                next_escalation: next.remove(&row.id),
                at_risk_at: due_at - policy.at_risk(),
            });
    }
    Ok(out)
}
