//! Briefings to the parent unit (首报、续报、终报): submitted by a responsible unit, each
//! the incident's next version; one of a kind with a running clock meets it. The parent
//! unit's officers read them in their inbox and mark them read.

use chrono::{DateTime, Utc};

use super::clocks;
use super::{App, Once, Planning};
use crate::domain::access::Actor;
use crate::domain::briefing::{Briefing, BriefingInput, NewBriefing};
use crate::domain::clock::{Evidence, Milestone, MilestoneForm};
use crate::domain::ids::BriefingId;
use crate::domain::incident::{Incident, ResponsibleUnit, Status};
use crate::domain::timeline::{BriefingRead, Change};
use crate::error::{AppError, ConflictCode};
use crate::rule::Rule;
use crate::store::briefings::{self, NewBriefingRow};
use crate::store::incidents as store;
use crate::store::{DbConn, events, units};

impl App {
    /// Submits a briefing on the incident `key` to the reporting unit's parent.
    pub async fn submit_briefing(
        &self,
        actor: &Actor,
        key: String,
        input: BriefingInput,
        once: Once,
    ) -> Result<Briefing, AppError> {
        let (actor, now) = (actor.clone(), self.now());
        let planning = self.planning.clone();
        self.write_and_wake(move |conn| {
            if once.first(conn, &actor.id, now)? {
                submit(conn, &actor, &key, input, &planning, now)
            } else {
                // The same form again: what the first submission made.
                let incident = store::load(conn, &key, now)?;
                briefings::for_incident(conn, &incident.id, &planning.rules)?
                    .into_iter()
                    .next()
                    .ok_or_else(|| AppError::NotFound(format!("briefing of {key}")))
            }
        })
        .await
    }

    /// The incident with its briefings, newest version first.
    pub async fn incident_briefings(
        &self,
        actor: &Actor,
        key: String,
    ) -> Result<(Incident, Vec<Briefing>), AppError> {
        let (now, rules) = (self.now(), self.planning.rules.clone());
        let (incident, items) = self
            .read(move |conn| {
                let incident = store::load(conn, &key, now)?;
                let items = briefings::for_incident(conn, &incident.id, &rules)?;
                Ok((incident, items))
            })
            .await?;
        actor.require_any_in_scope(incident.unit_paths())?;
        Ok((incident, items))
    }

    /// Briefings sent to the caller's unit (to every unit for a caller without one),
    /// newest first.
    pub async fn briefing_inbox(
        &self,
        actor: &Actor,
        unread_only: bool,
    ) -> Result<Vec<Briefing>, AppError> {
        let rules = self.planning.rules.clone();
        let path = actor.scope.as_ref().map(|s| s.path.clone());
        self.read(move |conn| briefings::inbox(conn, path.as_deref(), unread_only, &rules))
            .await
    }

    /// One briefing, for a caller who may see its sender's incident (the receiving
    /// unit's scope covers the sender's).
    pub async fn briefing(&self, actor: &Actor, id: BriefingId) -> Result<Briefing, AppError> {
        let rules = self.planning.rules.clone();
        let (briefing, from_path) = self
            .read(move |conn| briefings::find(conn, &id, &rules))
            .await?;
        actor.require_covers(&from_path, "this briefing")?;
        Ok(briefing)
    }

    /// Marks a briefing read: only an officer of the unit it was sent to may, and the
    /// first reading counts.
    pub async fn mark_briefing_read(
        &self,
        actor: &Actor,
        id: BriefingId,
    ) -> Result<Briefing, AppError> {
        let (actor, now) = (actor.clone(), self.now());
        let rules = self.planning.rules.clone();
        self.write(move |conn| {
            let (mut briefing, _) = briefings::find(conn, &id, &rules)?;
            if actor.officer_of() != Some(briefing.to_unit.code.as_str()) {
                return Err(AppError::Forbidden(format!(
                    "only an officer of {} marks this briefing read",
                    briefing.to_unit.name
                )));
            }
            if briefing.read_at.is_some() {
                return Ok(briefing);
            }
            let read_at = briefings::mark_read(conn, &id, &actor.name, now)?;
            let read = Change::BriefingRead(BriefingRead {
                briefing_id: briefing.id.clone(),
                kind: briefing.kind.clone(),
                version: briefing.version,
                unit: briefing.to_unit.name.clone(),
            });
            events::append(conn, &briefing.incident_id, &actor, &read, None, now)?;
            briefing.read_at = Some(read_at);
            briefing.read_by = Some(actor.name.clone());
            Ok(briefing)
        })
        .await
    }
}

fn submit(
    conn: &mut DbConn,
    actor: &Actor,
    key: &str,
    input: BriefingInput,
    planning: &Planning,
    now: DateTime<Utc>,
) -> Result<Briefing, AppError> {
    actor.require_incident_writer()?;
    let incident = store::load(conn, key, now)?;
    actor.require_any_in_scope(incident.unit_paths())?;
    if incident.status == Status::Dismissed {
        return Err(AppError::conflict(
            ConflictCode::IncidentClosed,
            format!(
                "incident {} was dismissed; nothing is reported up for it",
                incident.reference
            ),
        ));
    }
    let is_briefing = planning
        .rules
        .policy(&input.kind)
        .is_some_and(|p| p.milestone == MilestoneForm::Briefing);
    if !is_briefing {
        return Err(AppError::invalid("kind", Rule::NotBriefingKind));
    }
    let briefing: NewBriefing = input.parse(now)?;
    let from = reporting_unit(actor, &incident, &briefing)?;
    actor.require_covers(&from.path, &format!("unit {}", from.code))?;
    let unit = units::find(conn, &from.code)?;
    let parent_code = unit
        .parent_code
        .ok_or_else(|| AppError::invalid("from_unit", Rule::NoParentUnit(from.code.clone())))?;
    let parent = units::find(conn, parent_code.as_str())?;
    store::bump(conn, &incident, false, now)?;
    let (id, version) = briefings::insert(
        conn,
        &NewBriefingRow {
            incident_id: &incident.id,
            kind: &briefing.kind,
            from_unit: &unit.id,
            to_unit: &parent.id,
            facts: &briefing.facts,
            submitted_by: &actor.id,
            submitted_by_name: &actor.name,
        },
        now,
    )?;
    let milestone = Milestone {
        kind: briefing.kind,
        occurred_at: now,
        evidence: Evidence::Briefing {
            briefing_id: id.clone(),
            version,
            to_unit: parent.name.to_string(),
        },
        note: None,
        is_final: false,
    };
    clocks::record_milestone(conn, actor, &incident, &milestone, planning, now)?;
    Ok(briefings::find(conn, &id, &planning.rules)?.0)
}

/// The responsible unit that reports: the one named, else the caller's own unit when it
/// is responsible, else the first responsible unit.
fn reporting_unit<'a>(
    actor: &Actor,
    incident: &'a Incident,
    briefing: &NewBriefing,
) -> Result<&'a ResponsibleUnit, AppError> {
    let units = &incident.responsible_units;
    if let Some(code) = &briefing.from_unit {
        return units
            .iter()
            .find(|u| u.code == code.as_str())
            .ok_or_else(|| {
                AppError::invalid("from_unit", Rule::NotResponsibleUnit(code.to_string()))
            });
    }
    let own = actor
        .scope
        .as_ref()
        .and_then(|s| units.iter().find(|u| u.code == s.unit_code));
    own.or_else(|| units.iter().find(|u| u.first_responsible))
        .or_else(|| units.first())
        .ok_or_else(|| AppError::invalid("from_unit", Rule::NoResponsibleUnit))
}
