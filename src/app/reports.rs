//! Planning the daily digest and the weekly timeliness summary: one escalation row per
//! recipient and period (no clock), carrying what the mail reports as planned. A second
//! replica planning the same period inserts nothing.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::domain::clock::{ClockRules, ClockState};
use crate::domain::contact::ContactRole;
use crate::domain::escalation::Recipient;
use crate::domain::escalation::Step;
use crate::domain::escalation::{Addressing, NotifyRules};
use crate::domain::ids::UnitId;
use crate::domain::incident::Incident;
use crate::domain::report::{Digest, DigestClock, DigestIncident, ReportKind, Summary, Tally};
use crate::domain::time::local_time;
use crate::domain::unit::Unit;
use crate::error::AppError;
use crate::store::escalations::{self, Planned};
use crate::store::reports::{self, Leader};
use crate::store::{DbConn, incidents, units};

/// Plans one report for one leader; a second plan of the same period inserts nothing.
fn plan_for(
    conn: &mut DbConn,
    step: &Step,
    to: &Leader,
    unit_code: &str,
    context: &impl serde::Serialize,
    addressing: &Addressing,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    // Reports are long reads: they go by e-mail only.
    let recipient = Recipient {
        contact_id: to.contact_id.clone(),
        email: to.email.clone(),
        wecom_userid: None,
        mobile: None,
        rules: Some(NotifyRules::mail_at_once()),
        acknowledged: false,
        name: to.name.clone(),
        role: to.role.to_string(),
        reached_as: to.role,
        unit_code: unit_code.to_owned(),
    };
    let context = serde_json::to_string(context).map_err(AppError::internal)?;
    let planned = Planned {
        step,
        due_at: now,
        clock: None,
        context: Some(&context),
    };
    escalations::insert(conn, &planned, &[recipient], addressing, now)
}

fn units_by_id(conn: &mut DbConn) -> Result<HashMap<UnitId, Unit>, AppError> {
    Ok(units::list(conn, None)?
        .into_iter()
        .map(|u| (u.id.clone(), u))
        .collect())
}

/// The 08:30 digest: to the principal and deputy leaders of every unit responsible for
/// an open incident of a clocked severity, listing that unit's incidents and clocks.
pub fn plan_daily_digest(
    conn: &mut DbConn,
    rules: &ClockRules,
    zone: Tz,
    addressing: &Addressing,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let ids = reports::open_incident_ids(conn, &rules.announced_severities())?;
    if ids.is_empty() {
        return Ok(0);
    }
    let open = incidents::load_many(conn, &ids, now)?;
    let units = units_by_id(conn)?;
    let step = ReportKind::DailyDigest.step(now, zone);
    let mut planned = 0;
    let roles = [ContactRole::PrincipalLeader, ContactRole::DeputyLeader];
    for leader in reports::leaders(conn, &roles)? {
        let Some(unit) = units.get(&leader.unit_id) else {
            continue;
        };
        let theirs: Vec<DigestIncident> = open
            .iter()
            .filter(|i| {
                i.responsible_units
                    .iter()
                    .any(|u| unit.code == u.code.as_str())
            })
            .map(|i| digest_incident(i, zone))
            .collect();
        if theirs.is_empty() {
            continue;
        }
        let digest = Digest {
            date: now.with_timezone(&zone).format("%Y年%m月%d日").to_string(),
            as_of: local_time(now, zone),
            unit: unit.name.to_string(),
            breached: theirs
                .iter()
                .filter(|i| i.clocks.iter().any(|c| c.breached))
                .count(),
            incidents: theirs,
        };
        planned += plan_for(conn, &step, &leader, &unit.code, &digest, addressing, now)?;
    }
    Ok(planned)
}

fn digest_incident(i: &Incident, zone: Tz) -> DigestIncident {
    DigestIncident {
        reference: i.reference.clone(),
        title: i.title.clone(),
        severity: i.severity.label_zh().to_owned(),
        status: i.status.label_zh().to_owned(),
        clocks: i
            .clocks
            .iter()
            .filter(|c| c.state != ClockState::Cancelled)
            .map(|c| DigestClock {
                milestone: c.label.clone(),
                state: c.state.label_zh().to_owned(),
                deadline: local_time(c.due_at, zone),
                breached: c.state == ClockState::Breached,
            })
            .collect(),
    }
}

/// The Monday summary: clocks due in the seven days before `now`, per responsible unit,
/// to the principal leaders of each such unit and of the units above it.
pub fn plan_weekly_summary(
    conn: &mut DbConn,
    zone: Tz,
    addressing: &Addressing,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let from = now - Duration::days(7);
    let due = reports::clocks_due(conn, from, now)?;
    if due.is_empty() {
        return Ok(0);
    }
    let mut by_unit: HashMap<UnitId, Tally> = HashMap::new();
    for (unit_id, state) in due {
        by_unit.entry(unit_id).or_default().count(state);
    }
    let units = units_by_id(conn)?;
    let step = ReportKind::WeeklySummary.step(now, zone);
    let mut planned = 0;
    for leader in reports::leaders(conn, &[ContactRole::PrincipalLeader])? {
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
        for (_, t) in rows.values() {
            total.add(*t);
        }
        let summary = Summary {
            period: ReportKind::WeeklySummary.period(now, zone),
            from: local_time(from, zone),
            to: local_time(now, zone),
            unit: unit.name.to_string(),
            rows: rows.values().map(|(u, t)| t.row(&u.name)).collect(),
            total: total.row("合计"),
        };
        planned += plan_for(conn, &step, &leader, &unit.code, &summary, addressing, now)?;
    }
    Ok(planned)
}
