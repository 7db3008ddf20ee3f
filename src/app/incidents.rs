//! Logging and changing incidents. Every change is checked against who asks (role and
//! unit scope), guarded by the version the client saw, and leaves one timeline event
//! with what it changed; the clocks follow in the same transaction.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::json;

use super::clocks;
use super::{App, Once, Planning};
use crate::domain::access::Actor;
use crate::domain::clock::{MilestoneInput, StopReason};
use crate::domain::escalation::Notification;
use crate::domain::ids::ContactId;
use crate::domain::incident::{
    Category, Event, IdempotencyKey, Incident, IncidentContent, IncidentPatch, NOTE_MAX,
    Publication, ReferralAuthority, Status, format_reference, parse_since_discovery,
    reference_year,
};
use crate::domain::text;
use crate::domain::timeline::{Change, Field, FieldChanges, FieldValue, ReferralRecorded};
use crate::error::{AppError, ConflictCode};
use crate::rule::Rule;
use crate::store::incidents::{self as store, NewIncident, NewReferralRow, UnitLink};
use crate::store::{DbConn, escalations, events, units};

pub enum Created {
    New(Incident),
    /// The key was seen before with the same request: the first result, unchanged.
    Replayed(Incident),
}

/// One incident with everything recorded about it.
pub struct IncidentFile {
    pub incident: Incident,
    pub timeline: Vec<Event>,
    pub notifications: Vec<Notification>,
    /// Clocks the reader acknowledged.
    pub acknowledged: Vec<crate::domain::ids::ClockId>,
    pub units: Vec<crate::domain::unit::Unit>,
    /// Briefings to the parent unit, newest version first.
    pub briefings: Vec<crate::domain::briefing::Briefing>,
}

/// The version the client last saw; `precondition` says it came from If-Match.
#[derive(Debug, Clone, Copy)]
pub struct Expected {
    pub version: i64,
    pub precondition: bool,
}

impl App {
    /// Logs an incident. A retry with the same idempotency key returns the first result;
    /// two requests with one key that raced (PostgreSQL) leave the loser replaying the
    /// winner's result.
    pub async fn log_incident(
        &self,
        actor: &Actor,
        content: IncidentContent,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<Created, AppError> {
        let (now, zone) = (self.now(), self.zone);
        let attempt = || {
            let (actor, content, idempotency) =
                (actor.clone(), content.clone(), idempotency.clone());
            let planning = self.planning.clone();
            self.write_and_wake(move |conn| {
                log(conn, &actor, content, idempotency, &planning, now, zone)
            })
        };
        match attempt().await {
            Err(AppError::Conflict {
                code: ConflictCode::IdempotencyRace,
                ..
            }) => attempt().await,
            other => other,
        }
    }

    /// One incident, for a caller whose scope covers one of its units.
    pub async fn incident(&self, actor: &Actor, key: String) -> Result<Incident, AppError> {
        let now = self.now();
        let incident = self.read(move |conn| store::load(conn, &key, now)).await?;
        actor.require_any_in_scope(incident.unit_paths())?;
        Ok(incident)
    }

    /// What the console's incident page shows: the incident, its timeline, its
    /// reminders, the clocks `contact` (the reader's directory entry) acknowledged, and
    /// every unit (entries name units that may no longer be responsible or active).
    pub async fn incident_file(
        &self,
        actor: &Actor,
        key: String,
        contact: Option<ContactId>,
    ) -> Result<IncidentFile, AppError> {
        let (now, rules) = (self.now(), self.planning.rules.clone());
        let file = self
            .read(move |conn| {
                let incident = store::load(conn, &key, now)?;
                let timeline = events::timeline(conn, &incident.id)?;
                let briefings = crate::store::briefings::for_incident(conn, &incident.id, &rules)?;
                let notifications = escalations::for_incident(conn, &incident.id)?;
                let mut acknowledged = Vec::new();
                if let Some(contact) = &contact {
                    for clock in &incident.clocks {
                        if escalations::has_acknowledged(conn, &clock.id, contact)? {
                            acknowledged.push(clock.id.clone());
                        }
                    }
                }
                let units = units::list(conn, None)?;
                Ok(IncidentFile {
                    incident,
                    timeline,
                    notifications,
                    acknowledged,
                    units,
                    briefings,
                })
            })
            .await?;
        actor.require_any_in_scope(file.incident.unit_paths())?;
        Ok(file)
    }

    /// The incident's version alone (what a conditional read compares), in scope.
    pub async fn incident_version(&self, actor: &Actor, key: String) -> Result<i64, AppError> {
        let (version, paths) = self
            .read(move |conn| store::version_and_paths(conn, &key))
            .await?;
        actor.require_any_in_scope(paths.iter().map(String::as_str))?;
        Ok(version)
    }

    /// The incident with its timeline, oldest first.
    pub async fn timeline(
        &self,
        actor: &Actor,
        key: String,
    ) -> Result<(Incident, Vec<Event>), AppError> {
        self.incident_with(actor, key, events::timeline).await
    }

    /// The incident with every planned reminder of its clocks.
    pub async fn notifications(
        &self,
        actor: &Actor,
        key: String,
    ) -> Result<(Incident, Vec<Notification>), AppError> {
        self.incident_with(actor, key, escalations::for_incident)
            .await
    }

    async fn incident_with<T: Send + 'static>(
        &self,
        actor: &Actor,
        key: String,
        items: fn(&mut DbConn, &crate::domain::ids::IncidentId) -> Result<T, AppError>,
    ) -> Result<(Incident, T), AppError> {
        let now = self.now();
        let (incident, items) = self
            .read(move |conn| {
                let incident = store::load(conn, &key, now)?;
                let items = items(conn, &incident.id)?;
                Ok((incident, items))
            })
            .await?;
        actor.require_any_in_scope(incident.unit_paths())?;
        Ok((incident, items))
    }

    /// Edits an incident's content; the clocks follow.
    pub async fn update_incident(
        &self,
        actor: &Actor,
        key: String,
        expected: Expected,
        patch: IncidentPatch,
        once: Once,
    ) -> Result<Incident, AppError> {
        let planning = self.planning.clone();
        self.change(actor, key, once, move |conn, actor, key, now| {
            update(conn, actor, key, expected, patch, &planning, now)
        })
        .await
    }

    pub async fn change_status(
        &self,
        actor: &Actor,
        key: String,
        expected: Expected,
        change: StatusChange,
        once: Once,
    ) -> Result<Incident, AppError> {
        let planning = self.planning.clone();
        self.change(actor, key, once, move |conn, actor, key, now| {
            change_status(conn, actor, key, expected, change, &planning, now)
        })
        .await
    }

    pub async fn add_referral(
        &self,
        actor: &Actor,
        key: String,
        referral: NewReferral,
        once: Once,
    ) -> Result<Incident, AppError> {
        self.change(actor, key, once, move |conn, actor, key, now| {
            add_referral(conn, actor, key, referral, now)
        })
        .await
    }

    pub async fn record_milestone(
        &self,
        actor: &Actor,
        key: String,
        input: MilestoneInput,
        once: Once,
    ) -> Result<Incident, AppError> {
        let planning = self.planning.clone();
        self.change(actor, key, once, move |conn, actor, key, now| {
            record_milestone(conn, actor, key, input, &planning, now)
        })
        .await
    }

    /// One change to an incident, done once per submitted form: a second submit of the
    /// same form records nothing and returns the incident as it is. A change may plan
    /// or withdraw reminders: the engine looks at once.
    async fn change<F>(
        &self,
        actor: &Actor,
        key: String,
        once: Once,
        change: F,
    ) -> Result<Incident, AppError>
    where
        F: FnOnce(&mut DbConn, &Actor, &str, DateTime<Utc>) -> Result<Incident, AppError>
            + Send
            + 'static,
    {
        let (actor, now) = (actor.clone(), self.now());
        let work = move |conn: &mut DbConn| {
            if once.first(conn, &actor.id, now)? {
                change(conn, &actor, &key, now)
            } else {
                store::load(conn, &key, now)
            }
        };
        self.write_and_wake(work).await
    }
}

/// Resolves responsible units by code: each must exist and be active.
fn unit_links(conn: &mut DbConn, content: &IncidentContent) -> Result<Vec<UnitLink>, AppError> {
    content
        .units
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let unit = units::find_active(conn, &format!("responsible_units[{i}].code"), &r.code)?;
            Ok(UnitLink {
                unit_id: unit.id,
                path: unit.path,
                first_responsible: r.first_responsible,
            })
        })
        .collect()
}

/// Logs an incident: a readable reference, its responsible units, a possible-duplicate
/// flag, the first timeline event and, when its severity calls for them, the clocks.
/// With an idempotency key, a retry of the same request returns the first result.
fn log(
    conn: &mut DbConn,
    actor: &Actor,
    content: IncidentContent,
    idempotency: Option<IdempotencyKey>,
    planning: &Planning,
    now: DateTime<Utc>,
    zone: Tz,
) -> Result<Created, AppError> {
    actor.require_incident_writer()?;
    if let Some(idem) = &idempotency
        && let Some(earlier) = store::replay(conn, &actor.id, idem, now)?
    {
        // A replay shows the incident as it is now: only to a caller who may still see it.
        actor.require_any_in_scope(earlier.unit_paths())?;
        return Ok(Created::Replayed(earlier));
    }
    let links = unit_links(conn, &content)?;
    for (link, unit) in links.iter().zip(content.units.iter()) {
        actor.require_may_assign(&unit.code, &link.path)?;
    }
    let possible_duplicate_of = match &content.source_url {
        Some(url) => store::open_incident_with_url(conn, url)?,
        None => None,
    };
    let year = reference_year(now, zone);
    let reference = format_reference(year, store::next_sequence(conn, year)?);
    let row = store::insert(
        conn,
        &NewIncident {
            reference,
            content: &content,
            reported_by: actor,
            possible_duplicate_of,
        },
        now,
    )?;
    let id = row.id().to_owned();
    store::insert_units(conn, &id, &links)?;
    if let Some(idem) = idempotency {
        store::remember_key(conn, &actor.id, idem, &id, now)?;
    }
    events::append(
        conn,
        &id,
        actor,
        &Change::Logged(FieldChanges::between(None, &content)),
        None,
        now,
    )?;
    clocks::start_if_due(
        conn,
        actor,
        &id,
        content.severity,
        content.discovered_at,
        planning,
        now,
    )?;
    Ok(Created::New(store::hydrate_one(conn, row, now)?))
}

/// Loads the incident for a change: in scope, writable, open and at the expected version.
fn load_for_change(
    conn: &mut DbConn,
    actor: &Actor,
    key: &str,
    expected: Option<Expected>,
    now: DateTime<Utc>,
) -> Result<Incident, AppError> {
    actor.require_incident_writer()?;
    let incident = store::load(conn, key, now)?;
    actor.require_any_in_scope(incident.unit_paths())?;
    if let Some(e) = expected
        && e.version != incident.version
    {
        return Err(AppError::VersionMismatch {
            current: incident.version,
            precondition: e.precondition,
        });
    }
    if !incident.status.is_open() {
        return Err(AppError::conflict(
            ConflictCode::IncidentClosed,
            format!(
                "incident {} is {}; record a new incident instead",
                incident.reference, incident.status
            ),
        ));
    }
    Ok(incident)
}

/// Edits an incident's content; the clocks follow its units, discovery and severity.
fn update(
    conn: &mut DbConn,
    actor: &Actor,
    key: &str,
    expected: Expected,
    patch: IncidentPatch,
    planning: &Planning,
    now: DateTime<Utc>,
) -> Result<Incident, AppError> {
    let incident = load_for_change(conn, actor, key, Some(expected), now)?;
    let current = incident.content()?;
    let applied = patch.apply(&current, now)?;
    let changes = FieldChanges::between(Some(&current), &applied.next);
    if changes.is_empty() {
        return Ok(incident);
    }
    store::bump(conn, &incident, expected.precondition, now)?;
    if applied.units_changed {
        let links = unit_links(conn, &applied.next)?;
        for (link, unit) in links.iter().zip(applied.next.units.iter()) {
            let already = incident
                .responsible_units
                .iter()
                .any(|u| u.code == unit.code);
            if !already {
                actor.require_may_assign(&unit.code, &link.path)?;
            }
        }
        // Nor may it hand an incident entirely to units outside its scope.
        actor.require_any_in_scope(links.iter().map(|l| l.path.as_str()))?;
        store::replace_units(conn, &incident.id, &links)?;
    }
    store::update_content(conn, &incident.id, &applied.next)?;
    events::append(
        conn,
        &incident.id,
        actor,
        &Change::Updated(changes),
        None,
        now,
    )?;
    let updated = store::get(conn, &incident.id, now)?;
    if !(applied.units_changed || applied.discovery_changed || applied.severity_changed) {
        return Ok(updated);
    }
    // Clocks read what the incident says now: its units, its discovery, its severity.
    if applied.units_changed || applied.discovery_changed {
        clocks::realign(
            conn,
            actor,
            &updated,
            planning,
            applied.discovery_changed,
            now,
        )?;
    }
    if applied.severity_changed {
        clocks::follow_severity(conn, actor, &updated, incident.severity, planning, now)?;
    }
    store::get(conn, &incident.id, now)
}

/// A requested status change with what the target status needs.
pub struct StatusChange {
    pub to: Status,
    pub reason: Option<String>,
    pub publication: Option<Publication>,
    pub note: Option<String>,
}

/// Moves an incident along its workflow; closing needs the published outcome (and, for
/// false information, a referral), and stops the clocks.
fn change_status(
    conn: &mut DbConn,
    actor: &Actor,
    key: &str,
    expected: Expected,
    change: StatusChange,
    planning: &Planning,
    now: DateTime<Utc>,
) -> Result<Incident, AppError> {
    let incident = load_for_change(conn, actor, key, Some(expected), now)?;
    let from = incident.status;
    if !from.can_become(change.to) {
        let allowed: Vec<&str> = from.next().iter().map(|s| s.as_str()).collect();
        return Err(AppError::Conflict {
            code: ConflictCode::InvalidTransition,
            message: format!("an incident that is {from} cannot become {}", change.to),
            details: json!({ "from": from, "to": change.to, "allowed": allowed }),
        });
    }
    let note = text::optional("note", change.note.as_deref(), NOTE_MAX)?;
    let reason = match change.to {
        Status::Dismissed => Some(
            text::optional("reason", change.reason.as_deref(), NOTE_MAX)?
                .ok_or_else(|| AppError::invalid("reason", Rule::DismissalNeedsReason))?,
        ),
        _ => None,
    };
    let publication = match (change.to, change.publication) {
        (Status::Closed, Some(p)) => Some(p.parse(incident.discovered_at, now)?),
        (Status::Closed, None) => {
            return Err(AppError::invalid(
                "publication",
                Rule::ClosingNeedsPublication,
            ));
        }
        _ => None,
    };
    if change.to == Status::Closed
        && incident.category == Category::FalseInformation
        && incident.referrals.is_empty()
    {
        return Err(AppError::conflict(
            ConflictCode::ReferralRequired,
            "false information must be referred to the police or the cyberspace authority before closing",
        ));
    }
    store::bump(conn, &incident, expected.precondition, now)?;
    store::set_status(
        conn,
        &incident.id,
        change.to,
        reason.as_deref(),
        publication.as_ref(),
    )?;
    let mut changes = FieldChanges::default();
    changes.set(
        Field::Status,
        FieldValue::Status(from),
        FieldValue::Status(change.to),
    );
    if let Some(reason) = &reason {
        let after = FieldValue::Text(reason.clone());
        changes.set(Field::DismissalReason, FieldValue::None, after);
    }
    if let Some(p) = &publication {
        let after = FieldValue::Publication(p.clone());
        changes.set(Field::Publication, FieldValue::None, after);
    }
    events::append(
        conn,
        &incident.id,
        actor,
        &Change::StatusChanged(changes),
        note.as_deref(),
        now,
    )?;
    if !change.to.is_open() {
        let reason = StopReason::IncidentEnded(change.to).key();
        clocks::cancel_running(conn, actor, &incident.id, &reason, now)?;
    }
    clocks::follow_status(conn, actor, &incident, change.to, planning, now)?;
    store::get(conn, &incident.id, now)
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReferral {
    pub authority: ReferralAuthority,
    pub referred_at: DateTime<Utc>,
    #[serde(default)]
    pub their_reference: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Records a referral to the police or the cyberspace authority. Appending needs no
/// version: it cannot overwrite anything.
fn add_referral(
    conn: &mut DbConn,
    actor: &Actor,
    key: &str,
    referral: NewReferral,
    now: DateTime<Utc>,
) -> Result<Incident, AppError> {
    let incident = load_for_change(conn, actor, key, None, now)?;
    let referred_at = parse_since_discovery(
        "referred_at",
        referral.referred_at,
        incident.discovered_at,
        now,
    )?;
    let their_reference =
        text::optional("their_reference", referral.their_reference.as_deref(), 100)?;
    let note = text::optional("note", referral.note.as_deref(), NOTE_MAX)?;
    store::bump(conn, &incident, false, now)?;
    let id = store::insert_referral(
        conn,
        &NewReferralRow {
            incident_id: &incident.id,
            authority: referral.authority,
            referred_at,
            their_reference: their_reference.as_deref(),
            note: note.as_deref(),
            recorded_by: &actor.name,
        },
        now,
    )?;
    let recorded = Change::ReferralRecorded(ReferralRecorded {
        referral_id: id,
        authority: referral.authority,
        referred_at,
        their_reference,
    });
    events::append(conn, &incident.id, actor, &recorded, note.as_deref(), now)?;
    store::get(conn, &incident.id, now)
}

/// Records a milestone (an authoritative statement, a press conference, …) with the
/// evidence its kind takes: the form of the incident's clock of that kind, or of the
/// configured kind when the incident has no such clock.
fn record_milestone(
    conn: &mut DbConn,
    actor: &Actor,
    key: &str,
    input: MilestoneInput,
    planning: &Planning,
    now: DateTime<Utc>,
) -> Result<Incident, AppError> {
    let rules = &planning.rules;
    let incident = load_for_change(conn, actor, key, None, now)?;
    let form = incident
        .clocks
        .iter()
        .find(|c| c.kind == input.kind)
        .map(|c| c.milestone)
        .or_else(|| rules.policy(&input.kind).map(|p| p.milestone))
        .ok_or_else(|| AppError::invalid("kind", Rule::UnknownClockKind))?;
    let milestone = input.parse(form, incident.discovered_at, now)?;
    store::bump(conn, &incident, false, now)?;
    clocks::record_milestone(conn, actor, &incident, &milestone, planning, now)?;
    store::get(conn, &incident.id, now)
}
