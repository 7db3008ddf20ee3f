//! The board's queries: counts by clock state and severity, the nearest and the passed
//! deadlines, and failed mail, all within a scope.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::schema::{clocks, escalations, incident_units, incidents, units};
use super::{DbConn, from_db_time, to_db_time};
use crate::domain::board::{
    BREACHED_SHOWN, Board, BySeverity, ClockCounts, Deadline, FAILED_SHOWN, FailedMail,
    MailFailures, NEXT_SHOWN, by_severity,
};
use crate::domain::clock::{ClockKind, ClockState, StoredState};
use crate::domain::escalation::EscalationStatus;
use crate::domain::escalation::Step;
use crate::domain::incident::{Severity, Status};
use crate::error::AppError;

/// The board for incidents with a responsible unit at or below `scope` (all when None).
pub fn board(
    conn: &mut DbConn,
    scope: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Board, AppError> {
    let at = to_db_time(now);
    let pattern = scope.map(|s| format!("{s}%"));
    // Boxes the query and keeps rows whose incident (`$id`) has a unit in scope; without
    // a scope there is nothing to check (and no subquery over every incident to run).
    macro_rules! scoped {
        ($query:expr, $id:expr) => {{
            let mut query = $query.into_boxed();
            if let Some(pattern) = &pattern {
                query = query.filter(
                    $id.eq_any(
                        incident_units::table
                            .inner_join(units::table)
                            .filter(units::path.like(pattern.clone()))
                            .select(incident_units::incident_id),
                    ),
                );
            }
            query
        }};
    }
    let open: Vec<Status> = Status::ALL
        .iter()
        .copied()
        .filter(|s| s.is_open())
        .collect();
    let open_incidents = severities(
        scoped!(
            incidents::table
                .filter(incidents::status.eq_any(open))
                .group_by(incidents::severity)
                .select((incidents::severity, count_star())),
            incidents::id
        )
        .load(conn)?,
    );
    let running = StoredState::Running;
    let running_clocks = || {
        clocks::table
            .inner_join(incidents::table)
            .filter(clocks::state.eq(running))
    };
    let counts = ClockCounts {
        running: severities(
            scoped!(
                running_clocks()
                    .filter(clocks::at_risk_at.gt(at))
                    .group_by(incidents::severity)
                    .select((incidents::severity, count_star())),
                clocks::incident_id
            )
            .load(conn)?,
        ),
        at_risk: severities(
            scoped!(
                running_clocks()
                    .filter(clocks::at_risk_at.le(at))
                    .filter(clocks::due_at.ge(at))
                    .group_by(incidents::severity)
                    .select((incidents::severity, count_star())),
                clocks::incident_id
            )
            .load(conn)?,
        ),
        breached: severities(
            scoped!(
                running_clocks()
                    .filter(clocks::due_at.lt(at))
                    .group_by(incidents::severity)
                    .select((incidents::severity, count_star())),
                clocks::incident_id
            )
            .load(conn)?,
        ),
    };
    let next: Vec<DeadlineRow> = scoped!(
        running_clocks()
            .filter(clocks::due_at.ge(at))
            .order((clocks::due_at.asc(), clocks::id.asc()))
            .limit(NEXT_SHOWN)
            .select(DeadlineRow::as_select()),
        clocks::incident_id
    )
    .load(conn)?;
    let breached: Vec<DeadlineRow> = scoped!(
        running_clocks()
            .filter(clocks::due_at.lt(at))
            .order((clocks::due_at.asc(), clocks::id.asc()))
            .limit(BREACHED_SHOWN)
            .select(DeadlineRow::as_select()),
        clocks::incident_id
    )
    .load(conn)?;
    let failed = EscalationStatus::Failed;
    let failed_count: i64 = scoped!(
        escalations::table
            .filter(escalations::status.eq(failed))
            .count(),
        escalations::incident_id.assume_not_null()
    )
    .get_result(conn)?;
    let recent: Vec<FailedRow> = scoped!(
        escalations::table
            .left_join(incidents::table)
            .filter(escalations::status.eq(failed))
            .order((escalations::updated_at.desc(), escalations::id.desc()))
            .limit(FAILED_SHOWN)
            .select(FailedRow::as_select()),
        escalations::incident_id.assume_not_null()
    )
    .load(conn)?;
    let names = unit_names(conn, next.iter().chain(&breached).map(|r| &r.incident_id))?;
    let deadlines = |rows: Vec<DeadlineRow>| -> Result<Vec<Deadline>, AppError> {
        rows.into_iter()
            .map(|r| {
                let units = names.get(&r.incident_id).cloned().unwrap_or_default();
                r.into_deadline(units, now)
            })
            .collect()
    };
    let next_deadlines = deadlines(next)?;
    let breached = deadlines(breached)?;
    Ok(Board {
        as_of: now,
        open_incidents,
        clocks: counts,
        next_deadlines,
        breached,
        mails_failed: MailFailures {
            count: failed_count,
            recent: recent
                .into_iter()
                .map(FailedRow::into_failed)
                .collect::<Result<_, _>>()?,
        },
    })
}

fn severities(rows: Vec<(Severity, i64)>) -> BySeverity {
    by_severity(rows)
}

/// Responsible unit names per incident, the first responsible first.
fn unit_names<'a>(
    conn: &mut DbConn,
    ids: impl Iterator<Item = &'a String>,
) -> Result<HashMap<String, Vec<String>>, AppError> {
    let ids: Vec<&String> = ids.collect();
    let rows: Vec<(String, String)> = incident_units::table
        .inner_join(units::table)
        .filter(incident_units::incident_id.eq_any(&ids))
        .order((incident_units::first_responsible.desc(), units::code.asc()))
        .select((incident_units::incident_id, units::name))
        .load(conn)?;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (id, name) in rows {
        out.entry(id).or_default().push(name);
    }
    Ok(out)
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = clocks)]
struct DeadlineRow {
    incident_id: String,
    kind: ClockKind,
    due_at: NaiveDateTime,
    at_risk_at: NaiveDateTime,
    #[diesel(embed)]
    incident: IncidentHead,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = incidents)]
struct IncidentHead {
    reference: String,
    title: String,
    severity: Severity,
}

impl DeadlineRow {
    fn into_deadline(self, units: Vec<String>, now: DateTime<Utc>) -> Result<Deadline, AppError> {
        let due_at = from_db_time(self.due_at);
        let deadline = Deadline {
            incident_id: self.incident_id,
            reference: self.incident.reference,
            title: self.incident.title,
            severity: self.incident.severity,
            units,
            clock: self.kind,
            state: ClockState::Running,
            due_at,
            remaining_seconds: 0,
            at_risk_at: from_db_time(self.at_risk_at),
        };
        Ok(deadline.at(now))
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = escalations)]
struct FailedRow {
    id: String,
    incident_id: Option<String>,
    #[diesel(select_expression = incidents::reference.nullable())]
    reference: Option<String>,
    step: String,
    rank: i32,
    recipient_name: String,
    recipient_unit: String,
    last_error: Option<String>,
    updated_at: NaiveDateTime,
}

impl FailedRow {
    fn into_failed(self) -> Result<FailedMail, AppError> {
        Ok(FailedMail {
            step: Step::from_stored(&self.step, self.rank).map_err(AppError::internal)?,
            escalation_id: self.id,
            incident_id: self.incident_id,
            reference: self.reference,
            recipient_name: self.recipient_name,
            recipient_unit: self.recipient_unit,
            last_error: self.last_error,
            failed_at: from_db_time(self.updated_at),
        })
    }
}
