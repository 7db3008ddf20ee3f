//! The clocks of an incident, one per configured kind its severity calls for: started,
//! moved with its discovery time and responsible units, stopped by a milestone or
//! cancelled, always with the escalation rows that follow, in the caller's transaction.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::Planning;
use crate::domain::access::Actor;
use crate::domain::clock::{
    ClockKind, ClockPolicy, Milestone, PlannedStep, StopReason, StoredState, plan, repeat_after,
};
use crate::domain::escalation::{Addressing, Recipient, Step};
use crate::domain::ids::{ClockId, ContactId, IncidentId};
use crate::domain::incident::{Incident, Severity, Status};
use crate::domain::timeline::{
    Change, ClockRetimed, ClocksCancelled, ClocksStarted, MilestoneRecorded, Moved, StartedClock,
};
use crate::error::AppError;
use crate::store::clocks::{self, NewMilestone, Running};
use crate::store::{DbConn, escalations, events};

/// Starts each clock kind the incident's severity calls for that has no clock that runs
/// or was met (cancelled ones do not count: raised again, the clocks start again), plans
/// their ladders, and, when the incident had no live clock of an announced kind (a major
/// incident's) before, tells the leaders at once (with the announced clock of the nearest
/// deadline). Returns whether clocks started.
pub fn start_if_due(
    conn: &mut DbConn,
    actor: &Actor,
    incident_id: &IncidentId,
    severity: Severity,
    discovered_at: DateTime<Utc>,
    planning: &Planning,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let rules = &planning.rules;
    let live = clocks::live_kinds(conn, incident_id)?;
    let due: Vec<_> = rules
        .for_severity(severity)
        .into_iter()
        .filter(|(kind, _)| !live.contains(kind))
        .collect();
    if due.is_empty() {
        return Ok(false);
    }
    let announced = |kind: &ClockKind| rules.policy(kind).is_some_and(|p| p.announce);
    let mut untold = !live.iter().any(announced);
    let mut started = Vec::new();
    for (kind, policy) in due {
        let started_at = policy.started_at(discovered_at, now);
        let clock = start_clock(conn, incident_id, kind, policy, started_at, planning, now)?;
        if untold && policy.announce {
            untold = false;
            let notice = PlannedStep {
                step: Step::NewMajor,
                due_at: now,
                to: rules.new_major_to.clone(),
            };
            plan_for(conn, &clock.clock_id, incident_id, &notice, planning, now)?;
        }
        started.push(clock);
    }
    record_started(conn, actor, incident_id, started, now)?;
    Ok(true)
}

/// Inserts a running clock of `kind` started at `started_at` and plans its ladder.
fn start_clock(
    conn: &mut DbConn,
    incident_id: &IncidentId,
    kind: &ClockKind,
    policy: &ClockPolicy,
    started_at: DateTime<Utc>,
    planning: &Planning,
    now: DateTime<Utc>,
) -> Result<StartedClock, AppError> {
    let id = clocks::insert(conn, incident_id, kind, policy, started_at, now)?;
    let due_at = policy.due_at(started_at);
    for step in plan(policy, due_at) {
        plan_for(conn, &id, incident_id, &step, planning, now)?;
    }
    Ok(StartedClock {
        clock_id: id,
        kind: kind.clone(),
        started_at,
        due_at,
    })
}

/// The timeline entry for clocks that started (none: no entry).
fn record_started(
    conn: &mut DbConn,
    actor: &Actor,
    incident_id: &IncidentId,
    clocks: Vec<StartedClock>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if clocks.is_empty() {
        return Ok(());
    }
    events::append(
        conn,
        incident_id,
        actor,
        &Change::ClocksStarted(ClocksStarted { clocks }),
        None,
        now,
    )
}

/// Plans one step for whoever holds its roles in the incident's units now.
fn plan_for(
    conn: &mut DbConn,
    clock_id: &ClockId,
    incident_id: &IncidentId,
    step: &PlannedStep,
    planning: &Planning,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let to = escalations::recipients(conn, incident_id, &step.to)?;
    if to.is_empty() {
        tracing::warn!(clock.id = %clock_id, step = %step.step, "no active contact holds the roles this step goes to");
    }
    escalations::plan_step(
        conn,
        clock_id,
        incident_id,
        step,
        &to,
        &planning.addressing,
        now,
    )
}

/// Cancels every running clock of the incident, with the reason, and its pending mail.
pub fn cancel_running(
    conn: &mut DbConn,
    actor: &Actor,
    incident_id: &IncidentId,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let running = clocks::running(conn, incident_id)?;
    cancel(conn, actor, incident_id, &running, reason, now)
}

/// After the incident's status changed to `status`: the kinds that change starts, from
/// now — on closing the 终报, on another change (an office's 续报 on each change) — unless
/// one of the kind runs.
pub fn follow_status(
    conn: &mut DbConn,
    actor: &Actor,
    incident: &Incident,
    status: Status,
    planning: &Planning,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let running: Vec<ClockKind> = clocks::running(conn, &incident.id)?
        .into_iter()
        .map(|c| c.kind)
        .collect();
    let mut started = Vec::new();
    for (kind, policy) in planning.rules.on_status(incident.severity, status) {
        if running.contains(kind) {
            continue;
        }
        started.push(start_clock(
            conn,
            &incident.id,
            kind,
            policy,
            now,
            planning,
            now,
        )?);
    }
    record_started(conn, actor, &incident.id, started, now)
}

/// After a change of severity from `before`: running clocks whose kind no longer applies
/// are cancelled (lowered: they no longer apply; raised: superseded by the new severity's
/// clocks), and the kinds that now apply start.
pub fn follow_severity(
    conn: &mut DbConn,
    actor: &Actor,
    incident: &Incident,
    before: Severity,
    planning: &Planning,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let severity = incident.severity;
    let ending: Vec<Running> = clocks::running(conn, &incident.id)?
        .into_iter()
        .filter(|c| !c.policy.applies_to(severity))
        .collect();
    // Severities are ordered from the gravest.
    let reason = if severity < before {
        StopReason::SeverityRaised(severity)
    } else {
        StopReason::SeverityLowered(severity)
    }
    .key();
    cancel(conn, actor, &incident.id, &ending, &reason, now)?;
    let discovered_at = incident.discovered_at;
    start_if_due(
        conn,
        actor,
        &incident.id,
        severity,
        discovered_at,
        planning,
        now,
    )?;
    Ok(())
}

fn cancel(
    conn: &mut DbConn,
    actor: &Actor,
    incident_id: &IncidentId,
    running: &[Running],
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if running.is_empty() {
        return Ok(());
    }
    let ids: Vec<ClockId> = running.iter().map(|c| c.id.clone()).collect();
    clocks::stop(conn, &ids, StoredState::Cancelled, now, reason)?;
    escalations::cancel_pending(conn, &ids, false, reason, now)?;
    let kinds = running.iter().map(|c| c.kind.clone()).collect();
    let reason = reason.to_owned();
    events::append(
        conn,
        incident_id,
        actor,
        &Change::ClocksCancelled(ClocksCancelled { kinds, reason }),
        None,
        now,
    )?;
    Ok(())
}

/// Records a milestone; the first of its kind stops the running clock as met or met
/// late and cancels the clock's pending reminders. Later ones are recorded too.
pub fn record_milestone(
    conn: &mut DbConn,
    actor: &Actor,
    incident: &Incident,
    milestone: &Milestone,
    planning: &Planning,
    now: DateTime<Utc>,
) -> Result<Option<StoredState>, AppError> {
    let incident_id = &incident.id;
    let running = clocks::running(conn, incident_id)?
        .into_iter()
        .find(|c| c.kind == milestone.kind);
    let mut outcome = None;
    if let Some(clock) = &running {
        let state = StoredState::on_milestone(milestone.occurred_at, clock.due_at);
        let reason = StopReason::MilestoneRecorded(milestone.kind.clone()).key();
        let ids = std::slice::from_ref(&clock.id);
        clocks::stop(conn, ids, state, milestone.occurred_at, &reason)?;
        escalations::cancel_pending(conn, ids, true, &StopReason::MilestoneMet.key(), now)?;
        outcome = Some(state);
    }
    let id = clocks::insert_milestone(
        conn,
        &NewMilestone {
            incident_id,
            kind: milestone.kind.clone(),
            occurred_at: milestone.occurred_at,
            evidence: &milestone.evidence,
            note: milestone.note.as_deref(),
            clock_id: running.as_ref().map(|c| &c.id),
            recorded_by: &actor.name,
        },
        now,
    )?;
    events::append(
        conn,
        incident_id,
        actor,
        &Change::MilestoneRecorded(MilestoneRecorded {
            milestone_id: id,
            kind: milestone.kind.clone(),
            occurred_at: milestone.occurred_at,
            evidence: milestone.evidence.clone(),
            clock_state: outcome,
            is_final: milestone.is_final,
        }),
        milestone.note.as_deref(),
        now,
    )?;
    start_after(
        conn,
        actor,
        incident,
        milestone,
        running.is_some(),
        planning,
        now,
    )?;
    Ok(outcome)
}

/// The clocks a milestone starts, from its time, on an open incident: the kinds that
/// come after its kind (the first time only), and, when it met a running clock of a
/// recurring kind and is not marked final, that kind's next clock (持续发布).
fn start_after(
    conn: &mut DbConn,
    actor: &Actor,
    incident: &Incident,
    milestone: &Milestone,
    met_a_clock: bool,
    planning: &Planning,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if !incident.status.is_open() {
        return Ok(());
    }
    let live = clocks::live_kinds(conn, &incident.id)?;
    let mut started = Vec::new();
    for (kind, policy) in planning
        .rules
        .started_by(&milestone.kind, incident.severity)
    {
        let next = if *kind == milestone.kind {
            met_a_clock && !milestone.is_final
        } else {
            !live.contains(kind)
        };
        if next {
            started.push(start_clock(
                conn,
                &incident.id,
                kind,
                policy,
                milestone.occurred_at,
                planning,
                now,
            )?);
        }
    }
    record_started(conn, actor, &incident.id, started, now)
}

/// After an incident's responsible units or discovery time changed: running clocks that
/// count from discovery move with it (their pending reminders too), and the future
/// reminders follow the responsible units' contacts now — new offices' people are
/// added, people of offices no longer responsible are dropped. What was sent stays.
pub fn realign(
    conn: &mut DbConn,
    actor: &Actor,
    incident: &Incident,
    planning: &Planning,
    retime: bool,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    for mut clock in clocks::running(conn, &incident.id)? {
        if retime && clock.policy.follows_discovery() {
            let new_due = clock.policy.due_at(incident.discovered_at);
            if new_due != clock.due_at {
                let before = clock.due_at;
                clocks::shift(
                    conn,
                    &clock,
                    incident.discovered_at,
                    new_due - before,
                    planning.addressing.zone,
                )?;
                events::append(
                    conn,
                    &incident.id,
                    actor,
                    &Change::ClocksRetimed(ClockRetimed {
                        clock_id: clock.id.clone(),
                        kind: clock.kind.clone(),
                        due_at: Moved {
                            before,
                            after: new_due,
                        },
                    }),
                    None,
                    now,
                )?;
                clock.due_at = new_due;
            }
        }
        follow_responsible_units(conn, &clock, &incident.id, planning, now)?;
    }
    Ok(())
}

fn follow_responsible_units(
    conn: &mut DbConn,
    clock: &Running,
    incident_id: &IncidentId,
    planning: &Planning,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut steps: Vec<PlannedStep> = plan(&clock.policy, clock.due_at)
        .into_iter()
        .filter(|s| s.due_at > now)
        .collect();
    if let Some(repeat) = repeat_after(&clock.policy, clock.due_at, now)
        && !steps.iter().any(|s| s.step == repeat.step)
    {
        steps.push(repeat);
    }
    let acknowledged: HashSet<ContactId> =
        clocks::acknowledged(conn, &clock.id)?.into_iter().collect();
    // Kept: each step's people, and the robots of their units.
    let mut people: HashSet<(Step, ContactId)> = HashSet::new();
    let mut units: HashSet<(Step, String)> = HashSet::new();
    for step in &steps {
        let to: Vec<_> = escalations::recipients(conn, incident_id, &step.to)?
            .into_iter()
            .map(|r| Recipient {
                acknowledged: acknowledged.contains(&r.contact_id),
                ..r
            })
            .filter(|r| !(step.step.is_repeat() && r.acknowledged))
            .collect();
        escalations::plan_step(
            conn,
            &clock.id,
            incident_id,
            step,
            &to,
            &planning.addressing,
            now,
        )?;
        for r in to {
            units.insert((step.step.clone(), r.unit_code));
            people.insert((step.step.clone(), r.contact_id));
        }
    }
    let dropped: Vec<String> = escalations::future_reminders(conn, &clock.id, now)?
        .into_iter()
        .filter(|w| {
            let step = w.step.clone();
            if w.channel.is_personal() {
                !people.contains(&(step, w.to.clone()))
            } else {
                !units.contains(&(step, w.unit_code.clone()))
            }
        })
        .map(|w| w.id)
        .collect();
    escalations::cancel(conn, &dropped, &StopReason::NoLongerResponsible.key(), now)?;
    Ok(())
}

/// Plans the next repeat after `after` of a running clock for everyone who has not
/// acknowledged. Repeats after a breach are planned one at a time: claiming one plans
/// the next, in the same transaction, so a crash cannot end the series.
pub fn plan_next_repeat(
    conn: &mut DbConn,
    clock_id: &ClockId,
    addressing: &Addressing,
    (after, now): (DateTime<Utc>, DateTime<Utc>),
) -> Result<usize, AppError> {
    let Some((incident_id, clock)) = clocks::find_running(conn, clock_id)? else {
        return Ok(0);
    };
    let Some(step) = repeat_after(&clock.policy, clock.due_at, after) else {
        return Ok(0);
    };
    let acknowledged = clocks::acknowledged(conn, clock_id)?;
    let to: Vec<_> = escalations::recipients(conn, &incident_id, &step.to)?
        .into_iter()
        .filter(|r| !acknowledged.contains(&r.contact_id))
        .collect();
    escalations::plan_step(conn, clock_id, &incident_id, &step, &to, addressing, now)
}
