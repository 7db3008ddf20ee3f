//! Changing a stored incident. Every change is guarded by the version the client saw
//! and leaves one timeline event with what it changed.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};

use super::create::insert_units;
use super::{content_of, load};
use crate::domain::access::Actor;
use crate::domain::clock::MilestoneInput;
use crate::domain::incident::{
    Category, EventKind, Incident, IncidentPatch, Publication, ReferralAuthority, Status,
    parse_since_discovery,
};
use crate::domain::text;
use crate::error::AppError;
use crate::store::clocks::{self, ClockContext};
use crate::store::schema::{incident_referrals, incident_units, incidents};
use crate::store::{DbConn, events, to_db_time, units as unit_store};

/// The version the client last saw; `precondition` says it came from If-Match.
#[derive(Debug, Clone, Copy)]
pub struct Expected {
    pub version: i64,
    pub precondition: bool,
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
    let incident = load(conn, key, now)?;
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
            "incident_closed",
            format!(
                "incident {} is {}; record a new incident instead",
                incident.reference, incident.status
            ),
        ));
    }
    Ok(incident)
}

/// Bumps the version, guarded by the one read, so a concurrent writer that got in
/// between (PostgreSQL, READ COMMITTED) makes this one fail instead of overwriting.
fn bump(
    conn: &mut DbConn,
    incident: &Incident,
    precondition: bool,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let updated = diesel::update(
        incidents::table
            .filter(incidents::id.eq(&incident.id))
            .filter(incidents::version.eq(incident.version)),
    )
    .set((
        incidents::version.eq(incident.version + 1),
        incidents::updated_at.eq(to_db_time(now)),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(AppError::VersionMismatch {
            current: incident.version + 1,
            precondition,
        });
    }
    Ok(())
}

pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    key: &str,
    expected: Expected,
    patch: IncidentPatch,
    ctx: &ClockContext,
    now: DateTime<Utc>,
) -> Result<Incident, AppError> {
    let incident = load_for_change(conn, actor, key, Some(expected), now)?;
    let current = content_of(&incident)?;
    let (next, changes) = patch.apply(&current, now)?;
    if changes.is_empty() {
        return Ok(incident);
    }
    bump(conn, &incident, expected.precondition, now)?;
    let changes_severity = changes.contains_key("severity");
    let changes_units = changes.contains_key("responsible_units");
    let changes_discovery = changes.contains_key("discovered_at");
    if changes.contains_key("responsible_units") {
        let mut units = Vec::new();
        for (i, r) in next.units.iter().enumerate() {
            let field = format!("responsible_units[{i}].code");
            let unit = unit_store::find_active(conn, &field, &r.code)?;
            units.push((unit.id, unit.path, r.first_responsible));
        }
        // A scoped token may not hand an incident entirely to units outside its scope.
        actor.require_any_in_scope(units.iter().map(|(_, p, _)| p.as_str()))?;
        diesel::delete(incident_units::table.filter(incident_units::incident_id.eq(&incident.id)))
            .execute(conn)?;
        insert_units(conn, &incident.id, &units)?;
    }
    diesel::update(incidents::table.find(&incident.id))
        .set((
            incidents::title.eq(&next.title),
            incidents::summary.eq(&next.summary),
            incidents::source_channel.eq(next.source_channel.as_str()),
            incidents::source_url.eq(&next.source_url),
            incidents::discovered_at.eq(to_db_time(next.discovered_at)),
            incidents::severity.eq(next.severity.as_str()),
            incidents::category.eq(next.category.as_str()),
            incidents::special_topic.eq(next.special_topic.map(|t| t.as_str())),
        ))
        .execute(conn)?;
    events::append(
        conn,
        &incident.id,
        actor,
        EventKind::Updated,
        Value::Object(changes),
        None,
        now,
    )?;
    let updated = load(conn, &incident.id, now)?;
    if !(changes_units || changes_discovery || changes_severity) {
        return Ok(updated);
    }
    // Clocks read what the incident says now: its units, its discovery, its severity.
    if changes_units || changes_discovery {
        clocks::realign(conn, actor, &updated, ctx, changes_discovery, now)?;
    }
    if changes_severity {
        if ctx.rules.applies_to(updated.severity) {
            clocks::start_if_due(
                conn,
                actor,
                &updated.id,
                updated.severity,
                updated.discovered_at,
                ctx,
                now,
            )?;
        } else {
            let reason = format!("severity lowered to {}", updated.severity);
            clocks::cancel_running(conn, actor, &incident.id, &reason, now)?;
        }
    }
    load(conn, &incident.id, now)
}

/// A requested status change with what the target status needs.
pub struct StatusChange {
    pub to: Status,
    pub reason: Option<String>,
    pub publication: Option<Publication>,
    pub note: Option<String>,
}

pub fn change_status(
    conn: &mut DbConn,
    actor: &Actor,
    key: &str,
    expected: Expected,
    change: StatusChange,
    now: DateTime<Utc>,
) -> Result<Incident, AppError> {
    let incident = load_for_change(conn, actor, key, Some(expected), now)?;
    let from = incident.status;
    if !from.can_become(change.to) {
        let allowed: Vec<&str> = from.next().iter().map(|s| s.as_str()).collect();
        return Err(AppError::Conflict {
            code: "invalid_transition",
            message: format!("an incident that is {from} cannot become {}", change.to),
            details: json!({ "from": from, "to": change.to, "allowed": allowed }),
        });
    }
    let note = text::optional(
        "note",
        change.note.as_deref(),
        crate::domain::incident::NOTE_MAX,
    )?;
    let reason = match change.to {
        Status::Dismissed => Some(
            text::optional(
                "reason",
                change.reason.as_deref(),
                crate::domain::incident::NOTE_MAX,
            )?
            .ok_or_else(|| AppError::invalid("reason", "a dismissal needs a reason"))?,
        ),
        _ => None,
    };
    let publication = match (change.to, change.publication) {
        (Status::Closed, Some(p)) => Some(p.parse(incident.discovered_at, now)?),
        (Status::Closed, None) => {
            return Err(AppError::invalid(
                "publication",
                "closing needs what was published and where",
            ));
        }
        _ => None,
    };
    if change.to == Status::Closed
        && incident.category == Category::FalseInformation
        && incident.referrals.is_empty()
    {
        return Err(AppError::conflict(
            "referral_required",
            "false information must be referred to the police or the cyberspace authority before closing",
        ));
    }
    bump(conn, &incident, expected.precondition, now)?;
    let publication_json = publication
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(AppError::internal)?;
    diesel::update(incidents::table.find(&incident.id))
        .set((
            incidents::status.eq(change.to.as_str()),
            incidents::dismissal_reason.eq(&reason),
            incidents::publication.eq(&publication_json),
        ))
        .execute(conn)?;
    let mut changes = json!({ "status": { "before": from, "after": change.to } });
    if let Some(reason) = &reason {
        changes["dismissal_reason"] = json!({ "before": null, "after": reason });
    }
    if let Some(p) = &publication {
        changes["publication"] = json!({ "before": null, "after": p });
    }
    events::append(
        conn,
        &incident.id,
        actor,
        EventKind::StatusChanged,
        changes,
        note.as_deref(),
        now,
    )?;
    if !change.to.is_open() {
        let reason = format!("incident {}", change.to);
        clocks::cancel_running(conn, actor, &incident.id, &reason, now)?;
    }
    load(conn, &incident.id, now)
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
pub fn add_referral(
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
    let note = text::optional(
        "note",
        referral.note.as_deref(),
        crate::domain::incident::NOTE_MAX,
    )?;
    bump(conn, &incident, false, now)?;
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(incident_referrals::table)
        .values((
            incident_referrals::id.eq(&id),
            incident_referrals::incident_id.eq(&incident.id),
            incident_referrals::authority.eq(referral.authority.as_str()),
            incident_referrals::referred_at.eq(to_db_time(referred_at)),
            incident_referrals::their_reference.eq(&their_reference),
            incident_referrals::note.eq(&note),
            incident_referrals::recorded_by.eq(&actor.name),
            incident_referrals::created_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    let payload = json!({
        "referral_id": id,
        "authority": referral.authority,
        "referred_at": referred_at,
        "their_reference": their_reference,
    });
    events::append(
        conn,
        &incident.id,
        actor,
        EventKind::ReferralRecorded,
        payload,
        note.as_deref(),
        now,
    )?;
    load(conn, &incident.id, now)
}

/// Records a milestone (authoritative statement or press conference) with its evidence.
pub fn record_milestone(
    conn: &mut DbConn,
    actor: &Actor,
    key: &str,
    input: MilestoneInput,
    now: DateTime<Utc>,
) -> Result<Incident, AppError> {
    let incident = load_for_change(conn, actor, key, None, now)?;
    let (kind, occurred_at, evidence, note) = input.parse(incident.discovered_at, now)?;
    bump(conn, &incident, false, now)?;
    clocks::record_milestone(
        conn,
        actor,
        &incident.id,
        kind,
        occurred_at,
        &evidence,
        note.as_deref(),
        now,
    )?;
    load(conn, &incident.id, now)
}
