//! Planning the daily digest and the weekly timeliness summary: one escalation row per
//! recipient and period (no clock), carrying a snapshot of what the mail reports. A
//! second replica planning the same period inserts nothing.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use serde_json::{Value, json};

use super::escalations::{self, Planned, Recipient};
use super::schema::{clocks, contacts, incident_units, incidents};
use super::{DbConn, incidents as incident_store, to_db_time, units as unit_store};
use crate::domain::clock::ClockRules;
use crate::domain::clock::{ClockState, StoredState};
use crate::domain::contact::ContactRole;
use crate::domain::escalation::Step;
use crate::domain::incident::Status;
use crate::domain::report::ReportKind;
use crate::domain::unit::Unit;
use crate::error::AppError;
use crate::mail::compose::local_time;

struct Leader {
    name: String,
    email: String,
    role: ContactRole,
    unit_id: String,
}

/// Active contacts holding one of `roles`.
fn leaders(conn: &mut DbConn, roles: &[ContactRole]) -> Result<Vec<Leader>, AppError> {
    let rows: Vec<(String, String, String, String)> = contacts::table
        .filter(contacts::active.eq(true))
        .order(contacts::name.asc())
        .select((
            contacts::name,
            contacts::email,
            contacts::roles,
            contacts::unit_id,
        ))
        .load(conn)?;
    let mut out = Vec::new();
    for (name, email, held, unit_id) in rows {
        let held: Vec<ContactRole> = serde_json::from_str(&held).map_err(AppError::internal)?;
        if let Some(role) = roles.iter().find(|r| held.contains(r)) {
            out.push(Leader {
                name,
                email,
                role: *role,
                unit_id,
            });
        }
    }
    Ok(out)
}

/// Plans one report for one leader; a second plan of the same period inserts nothing.
fn plan_for(
    conn: &mut DbConn,
    step: &Step,
    to: &Leader,
    unit_code: &str,
    context: &Value,
    message_domain: &str,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let recipient = Recipient {
        email: to.email.clone(),
        name: to.name.clone(),
        role: to.role.to_string(),
        unit_code: unit_code.to_owned(),
    };
    let planned = Planned {
        step,
        due_at: now,
        clock: None,
        context: Some(&context.to_string()),
    };
    escalations::insert(conn, &planned, &[recipient], message_domain, now)
}

/// The 08:30 digest: to the principal and deputy leaders of every unit responsible for
/// an open incident of a clocked severity, listing that unit's incidents and clocks.
pub fn plan_daily_digest(
    conn: &mut DbConn,
    rules: &ClockRules,
    zone: Tz,
    message_domain: &str,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let severities: Vec<&str> = rules.severities.iter().map(|s| s.as_str()).collect();
    let closed = [Status::Closed.as_str(), Status::Dismissed.as_str()];
    let ids: Vec<String> = incidents::table
        .filter(incidents::status.ne_all(closed))
        .filter(incidents::severity.eq_any(&severities))
        .order(incidents::discovered_at.asc())
        .select(incidents::id)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    let open = incident_store::load_many(conn, &ids, now)?;
    let units: HashMap<String, Unit> = unit_store::list(conn, None)?
        .into_iter()
        .map(|u| (u.id.clone(), u))
        .collect();
    let step = ReportKind::DailyDigest.step(now, zone);
    let mut planned = 0;
    for leader in leaders(
        conn,
        &[ContactRole::PrincipalLeader, ContactRole::DeputyLeader],
    )? {
        let Some(unit) = units.get(&leader.unit_id) else {
            continue;
        };
        let theirs: Vec<Value> = open
            .iter()
            .filter(|i| i.responsible_units.iter().any(|u| u.code == unit.code))
            .map(|i| {
                let clocks: Vec<Value> = i
                    .clocks
                    .iter()
                    .filter(|c| c.state != ClockState::Cancelled)
                    .map(|c| {
                        json!({
                            "milestone": c.kind.label_zh(),
                            "state": c.state.label_zh(),
                            "deadline": local_time(c.due_at, zone),
                            "breached": c.state == ClockState::Breached,
                        })
                    })
                    .collect();
                json!({
                    "reference": i.reference, "title": i.title,
                    "severity": i.severity.label_zh(), "status": i.status.label_zh(),
                    "clocks": clocks,
                })
            })
            .collect();
        if theirs.is_empty() {
            continue;
        }
        let breached = theirs
            .iter()
            .filter(|i| {
                i["clocks"]
                    .as_array()
                    .is_some_and(|c| c.iter().any(|c| c["breached"] == true))
            })
            .count();
        let context = json!({
            "date": now.with_timezone(&zone).format("%Y年%m月%d日").to_string(),
            "as_of": local_time(now, zone),
            "unit": unit.name,
            "incidents": theirs,
            "breached": breached,
        });
        planned += plan_for(
            conn,
            &step,
            &leader,
            &unit.code,
            &context,
            message_domain,
            now,
        )?;
    }
    Ok(planned)
}

#[derive(Default, Clone, Copy)]
struct Tally {
    due: u32,
    met: u32,
    met_late: u32,
    breached: u32,
    cancelled: u32,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.due += other.due;
        self.met += other.met;
        self.met_late += other.met_late;
        self.breached += other.breached;
        self.cancelled += other.cancelled;
    }

    fn json(&self, unit: &str) -> Value {
        let judged = self.met + self.met_late + self.breached;
        let rate = if judged == 0 {
            "—".to_owned()
        } else {
            format!("{:.0}%", f64::from(self.met) * 100.0 / f64::from(judged))
        };
        json!({
            "unit": unit, "due": self.due, "met": self.met, "met_late": self.met_late,
            "breached": self.breached, "cancelled": self.cancelled, "on_time_rate": rate,
        })
    }
}

/// The Monday summary: clocks due in the seven days before `now`, per responsible unit,
/// to the principal leaders of each such unit and of the units above it.
pub fn plan_weekly_summary(
    conn: &mut DbConn,
    zone: Tz,
    message_domain: &str,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let from = now - Duration::days(7);
    let due: Vec<(String, String)> = clocks::table
        .inner_join(incident_units::table.on(incident_units::incident_id.eq(clocks::incident_id)))
        .filter(clocks::due_at.ge(to_db_time(from)))
        .filter(clocks::due_at.lt(to_db_time(now)))
        .select((incident_units::unit_id, clocks::state))
        .load(conn)?;
    if due.is_empty() {
        return Ok(0);
    }
    let mut by_unit: HashMap<String, Tally> = HashMap::new();
    for (unit_id, state) in &due {
        let t = by_unit.entry(unit_id.clone()).or_default();
        t.due += 1;
        match state.parse::<StoredState>().map_err(AppError::internal)? {
            StoredState::Met => t.met += 1,
            StoredState::MetLate => t.met_late += 1,
            StoredState::Running => t.breached += 1,
            StoredState::Cancelled => t.cancelled += 1,
        }
    }
    let units: HashMap<String, Unit> = unit_store::list(conn, None)?
        .into_iter()
        .map(|u| (u.id.clone(), u))
        .collect();
    let step = ReportKind::WeeklySummary.step(now, zone);
    let mut planned = 0;
    for leader in leaders(conn, &[ContactRole::PrincipalLeader])? {
        let Some(unit) = units.get(&leader.unit_id) else {
            continue;
        };
        // Units at or below the leader's, ordered by their place in the hierarchy.
        let mut rows: BTreeMap<&str, (&Unit, Tally)> = BTreeMap::new();
        for (unit_id, tally) in &by_unit {
            if let Some(u) = units
                .get(unit_id)
                .filter(|u| u.path.starts_with(&unit.path))
            {
                rows.insert(u.path.as_str(), (u, *tally));
            }
        }
        if rows.is_empty() {
            continue;
        }
        let mut total = Tally::default();
        let lines: Vec<Value> = rows
            .values()
            .map(|(u, t)| {
                total.add(*t);
                t.json(&u.name)
            })
            .collect();
        let context = json!({
            "period": ReportKind::WeeklySummary.period(now, zone),
            "from": local_time(from, zone),
            "to": local_time(now, zone),
            "unit": unit.name,
            "rows": lines,
            "total": total.json("合计"),
        });
        planned += plan_for(
            conn,
            &step,
            &leader,
            &unit.code,
            &context,
            message_domain,
            now,
        )?;
    }
    Ok(planned)
}
