//! Clocks start, stop and are cancelled here, always with the escalation rows that
//! follow from them, in the caller's transaction.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use serde_json::json;

use super::escalations::{self, plan_step, recipients};
use super::schema::{acknowledgements, clocks, escalations as esc, milestones};
use super::{DbConn, events, from_db_time, to_db_time};
use crate::domain::access::Actor;
use crate::domain::clock::{
    ClockKind, ClockPhase, ClockPolicy, ClockRules, ClockStart, ClockState, ClockView, Evidence,
    NextEscalation, PlannedStep, StoredState, plan, remaining_seconds, repeat_after,
};
use crate::domain::escalation::{EscalationStatus, Step};
use crate::domain::incident::{EventKind, Incident, Severity};
use crate::error::AppError;

/// What clock planning needs beyond the incident: the rules and how to name mail.
pub struct ClockContext<'a> {
    pub rules: &'a ClockRules,
    pub message_domain: &'a str,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = clocks)]
struct ClockRow {
    id: String,
    incident_id: String,
    kind: String,
    state: String,
    started_at: chrono::NaiveDateTime,
    due_at: chrono::NaiveDateTime,
    policy: String,
    stopped_at: Option<chrono::NaiveDateTime>,
    stop_reason: Option<String>,
}

fn running_ids(conn: &mut DbConn, incident_id: &str) -> Result<Vec<(String, String)>, AppError> {
    Ok(clocks::table
        .filter(clocks::incident_id.eq(incident_id))
        .filter(clocks::state.eq(StoredState::Running.as_str()))
        .select((clocks::id, clocks::kind))
        .load(conn)?)
}

/// Starts both clocks when the incident's severity calls for them and it has none that
/// runs or was met (cancelled ones do not count: raised again, the clocks start again),
/// plans their ladders, and tells the leaders at once. Returns whether clocks started.
pub fn start_if_due(
    conn: &mut DbConn,
    actor: &Actor,
    incident_id: &str,
    severity: Severity,
    discovered_at: DateTime<Utc>,
    ctx: &ClockContext,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let live: i64 = clocks::table
        .filter(clocks::incident_id.eq(incident_id))
        .filter(clocks::state.ne(StoredState::Cancelled.as_str()))
        .count()
        .get_result(conn)?;
    if !ctx.rules.applies_to(severity) || live > 0 {
        return Ok(false);
    }
    let started_at = match ctx.rules.start_from {
        ClockStart::DiscoveredAt => discovered_at,
        ClockStart::ClassifiedAt => now,
    };
    let mut started = Vec::new();
    for kind in ClockKind::ALL {
        let policy = ctx.rules.policy(*kind);
        let due_at = started_at + Duration::minutes(policy.due_after_minutes);
        let id = uuid::Uuid::new_v4().to_string();
        diesel::insert_into(clocks::table)
            .values((
                clocks::id.eq(&id),
                clocks::incident_id.eq(incident_id),
                clocks::kind.eq(kind.as_str()),
                clocks::state.eq(StoredState::Running.as_str()),
                clocks::started_at.eq(to_db_time(started_at)),
                clocks::due_at.eq(to_db_time(due_at)),
                clocks::at_risk_at.eq(to_db_time(due_at - policy.at_risk())),
                clocks::policy.eq(serde_json::to_string(policy).map_err(AppError::internal)?),
                clocks::created_at.eq(to_db_time(now)),
            ))
            .execute(conn)?;
        for step in plan(policy, due_at) {
            plan_for(conn, &id, incident_id, &step, ctx.message_domain, now)?;
        }
        if *kind == ClockKind::AuthoritativeStatement {
            let notice = PlannedStep {
                step: Step::NewMajor,
                due_at: now,
                to: ctx.rules.new_major_to.clone(),
            };
            plan_for(conn, &id, incident_id, &notice, ctx.message_domain, now)?;
        }
        started.push(
            json!({ "clock_id": id, "kind": kind, "started_at": started_at, "due_at": due_at }),
        );
    }
    events::append(
        conn,
        incident_id,
        actor,
        EventKind::ClocksStarted,
        json!({ "clocks": started }),
        None,
        now,
    )?;
    Ok(true)
}

fn plan_for(
    conn: &mut DbConn,
    clock_id: &str,
    incident_id: &str,
    step: &PlannedStep,
    message_domain: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let to = recipients(conn, incident_id, &step.to)?;
    if to.is_empty() {
        tracing::warn!(clock.id = clock_id, step = %step.step, "no active contact holds the roles this step goes to");
    }
    plan_step(conn, clock_id, incident_id, step, &to, message_domain, now)?;
    Ok(())
}

/// Cancels every running clock of the incident, with the reason, and its pending mail.
pub fn cancel_running(
    conn: &mut DbConn,
    actor: &Actor,
    incident_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let running = running_ids(conn, incident_id)?;
    if running.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = running.iter().map(|(id, _)| id.clone()).collect();
    diesel::update(clocks::table.filter(clocks::id.eq_any(&ids)))
        .set((
            clocks::state.eq(StoredState::Cancelled.as_str()),
            clocks::stopped_at.eq(to_db_time(now)),
            clocks::stop_reason.eq(reason),
        ))
        .execute(conn)?;
    escalations::cancel_pending(conn, &ids, false, reason, now)?;
    let kinds: Vec<&str> = running.iter().map(|(_, k)| k.as_str()).collect();
    events::append(
        conn,
        incident_id,
        actor,
        EventKind::ClocksCancelled,
        json!({ "kinds": kinds, "reason": reason }),
        None,
        now,
    )?;
    Ok(())
}

/// Records a milestone; the first of its kind stops the running clock as met or
/// met late and cancels the clock's pending reminders. Later ones are recorded too.
#[allow(clippy::too_many_arguments)]
pub fn record_milestone(
    conn: &mut DbConn,
    actor: &Actor,
    incident_id: &str,
    kind: ClockKind,
    occurred_at: DateTime<Utc>,
    evidence: &Evidence,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<StoredState>, AppError> {
    let running: Option<(String, chrono::NaiveDateTime)> = clocks::table
        .filter(clocks::incident_id.eq(incident_id))
        .filter(clocks::kind.eq(kind.as_str()))
        .filter(clocks::state.eq(StoredState::Running.as_str()))
        .select((clocks::id, clocks::due_at))
        .first(conn)
        .optional()?;
    let mut outcome = None;
    if let Some((clock_id, due_at)) = &running {
        let state = if occurred_at <= from_db_time(*due_at) {
            StoredState::Met
        } else {
            StoredState::MetLate
        };
        diesel::update(clocks::table.find(clock_id))
            .set((
                clocks::state.eq(state.as_str()),
                clocks::stopped_at.eq(to_db_time(occurred_at)),
                clocks::stop_reason.eq(format!("{} recorded", kind.label_zh())),
            ))
            .execute(conn)?;
        escalations::cancel_pending(
            conn,
            std::slice::from_ref(clock_id),
            true,
            "milestone met",
            now,
        )?;
        outcome = Some(state);
    }
    let id = uuid::Uuid::new_v4().to_string();
    let evidence_json = serde_json::to_value(evidence).map_err(AppError::internal)?;
    diesel::insert_into(milestones::table)
        .values((
            milestones::id.eq(&id),
            milestones::incident_id.eq(incident_id),
            milestones::kind.eq(kind.as_str()),
            milestones::occurred_at.eq(to_db_time(occurred_at)),
            milestones::evidence.eq(evidence_json.to_string()),
            milestones::note.eq(note),
            milestones::clock_id.eq(running.as_ref().map(|(id, _)| id)),
            milestones::recorded_by.eq(&actor.name),
            milestones::created_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    events::append(
        conn,
        incident_id,
        actor,
        EventKind::MilestoneRecorded,
        json!({
            "milestone_id": id,
            "kind": kind,
            "occurred_at": occurred_at,
            "evidence": evidence_json,
            "clock_state": outcome,
        }),
        note,
        now,
    )?;
    Ok(outcome)
}

/// The clocks of these incidents as shown at `now`, newest first per kind.
pub fn views(
    conn: &mut DbConn,
    incident_ids: &[&String],
    now: DateTime<Utc>,
) -> Result<HashMap<String, Vec<ClockView>>, AppError> {
    let rows: Vec<ClockRow> = clocks::table
        .filter(clocks::incident_id.eq_any(incident_ids))
        .order((clocks::kind.asc(), clocks::created_at.desc()))
        .select(ClockRow::as_select())
        .load(conn)?;
    let running: Vec<&String> = rows
        .iter()
        .filter(|r| r.state == StoredState::Running.as_str())
        .map(|r| &r.id)
        .collect();
    // No ORDER BY: it would tempt the planner onto the (status, next_attempt_at) index
    // and a scan of every pending row; the earliest per clock is picked here instead.
    let pending: Vec<(String, String, i32, chrono::NaiveDateTime)> = esc::table
        .filter(esc::clock_id.eq_any(&running))
        .filter(esc::status.eq(EscalationStatus::Pending.as_str()))
        .select((
            esc::clock_id.assume_not_null(),
            esc::step,
            esc::rank,
            esc::next_attempt_at,
        ))
        .load(conn)?;
    let mut next: HashMap<&str, (&str, i32, DateTime<Utc>)> = HashMap::new();
    for (clock_id, step, rank, at) in &pending {
        let at = from_db_time(*at);
        let entry = next
            .entry(clock_id.as_str())
            .or_insert((step.as_str(), *rank, at));
        if at < entry.2 {
            *entry = (step.as_str(), *rank, at);
        }
    }
    let mut next: HashMap<&str, NextEscalation> = next
        .into_iter()
        .map(|(clock_id, (step, rank, at))| {
            let step = Step::from_stored(step, rank).map_err(AppError::internal)?;
            Ok((clock_id, NextEscalation { step, at }))
        })
        .collect::<Result<_, AppError>>()?;
    let mut out: HashMap<String, Vec<ClockView>> = HashMap::new();
    for row in &rows {
        let policy: ClockPolicy = serde_json::from_str(&row.policy).map_err(AppError::internal)?;
        let stored: StoredState = row.state.parse().map_err(AppError::internal)?;
        let due_at = from_db_time(row.due_at);
        let stopped_at = row.stopped_at.map(from_db_time);
        out.entry(row.incident_id.clone())
            .or_default()
            .push(ClockView {
                id: row.id.clone(),
                kind: row.kind.parse().map_err(AppError::internal)?,
                state: ClockState::at(stored, due_at, due_at - policy.at_risk(), now),
                started_at: from_db_time(row.started_at),
                due_at,
                remaining_seconds: remaining_seconds(due_at, stopped_at, now),
                stopped_at,
                stop_reason: row.stop_reason.clone(),
                next_escalation: next.remove(row.id.as_str()),
                at_risk_at: due_at - policy.at_risk(),
            });
    }
    Ok(out)
}

/// After an incident's responsible units or discovery time changed: running clocks that
/// count from discovery move with it (their pending reminders too), and the future
/// reminders follow the responsible units' contacts now — new offices' people are
/// added, people of offices no longer responsible are dropped. What was sent stays.
pub fn realign(
    conn: &mut DbConn,
    actor: &Actor,
    incident: &Incident,
    ctx: &ClockContext,
    retime: bool,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let running: Vec<ClockRow> = clocks::table
        .filter(clocks::incident_id.eq(&incident.id))
        .filter(clocks::state.eq(StoredState::Running.as_str()))
        .select(ClockRow::as_select())
        .load(conn)?;
    for clock in running {
        let policy: ClockPolicy =
            serde_json::from_str(&clock.policy).map_err(AppError::internal)?;
        let mut due_at = from_db_time(clock.due_at);
        if retime && ctx.rules.start_from == ClockStart::DiscoveredAt {
            let new_due = incident.discovered_at + Duration::minutes(policy.due_after_minutes);
            if new_due != due_at {
                shift(
                    conn,
                    &clock.id,
                    incident.discovered_at,
                    due_at,
                    new_due - due_at,
                    policy.at_risk(),
                )?;
                events::append(
                    conn,
                    &incident.id,
                    actor,
                    EventKind::ClocksRetimed,
                    json!({ "clock_id": clock.id, "kind": clock.kind,
                            "due_at": { "before": due_at, "after": new_due } }),
                    None,
                    now,
                )?;
                due_at = new_due;
            }
        }
        follow_responsible_units(conn, &clock.id, &incident.id, &policy, due_at, ctx, now)?;
    }
    Ok(())
}

/// Moves a clock and its pending reminders by `delta`.
fn shift(
    conn: &mut DbConn,
    clock_id: &str,
    started_at: DateTime<Utc>,
    due: DateTime<Utc>,
    delta: Duration,
    at_risk: Duration,
) -> Result<(), AppError> {
    // A moved deadline starts its phases afresh; the sweep records them again.
    diesel::update(clocks::table.find(clock_id))
        .set((
            clocks::started_at.eq(to_db_time(started_at)),
            clocks::due_at.eq(to_db_time(due + delta)),
            clocks::at_risk_at.eq(to_db_time(due + delta - at_risk)),
            clocks::phase.eq(ClockPhase::OnTime.as_str()),
        ))
        .execute(conn)?;
    let pending: Vec<(String, chrono::NaiveDateTime)> = esc::table
        .filter(esc::clock_id.eq(clock_id))
        .filter(esc::status.eq(EscalationStatus::Pending.as_str()))
        .filter(esc::rank.ge(Step::FIRST_REMINDER_RANK))
        .select((esc::id, esc::due_at))
        .load(conn)?;
    for (id, due) in pending {
        let moved = to_db_time(from_db_time(due) + delta);
        diesel::update(esc::table.find(id))
            .set((esc::due_at.eq(moved), esc::next_attempt_at.eq(moved)))
            .execute(conn)?;
    }
    Ok(())
}

fn follow_responsible_units(
    conn: &mut DbConn,
    clock_id: &str,
    incident_id: &str,
    policy: &ClockPolicy,
    due_at: DateTime<Utc>,
    ctx: &ClockContext,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut steps: Vec<PlannedStep> = plan(policy, due_at)
        .into_iter()
        .filter(|s| s.due_at > now)
        .collect();
    if let Some(repeat) = repeat_after(policy, due_at, now)
        && !steps.iter().any(|s| s.step == repeat.step)
    {
        steps.push(repeat);
    }
    let acknowledged: HashSet<String> = acknowledgements::table
        .filter(acknowledgements::clock_id.eq(clock_id))
        .select(acknowledgements::recipient_email)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let mut keep: HashSet<(Step, String)> = HashSet::new();
    for step in &steps {
        let to: Vec<_> = recipients(conn, incident_id, &step.to)?
            .into_iter()
            .filter(|r| !(step.step.is_repeat() && acknowledged.contains(&r.email)))
            .collect();
        plan_step(
            conn,
            clock_id,
            incident_id,
            step,
            &to,
            ctx.message_domain,
            now,
        )?;
        keep.extend(to.into_iter().map(|r| (step.step.clone(), r.email)));
    }
    let future: Vec<(String, String, i32, String)> = esc::table
        .filter(esc::clock_id.eq(clock_id))
        .filter(esc::status.eq(EscalationStatus::Pending.as_str()))
        .filter(esc::rank.ge(Step::FIRST_REMINDER_RANK))
        .filter(esc::due_at.gt(to_db_time(now)))
        .select((esc::id, esc::step, esc::rank, esc::recipient_email))
        .load(conn)?;
    let mut dropped: Vec<String> = Vec::new();
    for (id, step, rank, email) in future {
        let step = Step::from_stored(&step, rank).map_err(AppError::internal)?;
        if !keep.contains(&(step, email)) {
            dropped.push(id);
        }
    }
    if !dropped.is_empty() {
        diesel::update(esc::table.filter(esc::id.eq_any(&dropped)))
            .set((
                esc::status.eq(EscalationStatus::Cancelled.as_str()),
                esc::last_error.eq("no longer responsible"),
                esc::updated_at.eq(to_db_time(now)),
            ))
            .execute(conn)?;
    }
    Ok(())
}
