//! The append-only timeline. Rows are inserted, never updated or deleted.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;

use super::columns::Json;
use super::schema::{clocks, incident_events, incident_units, incidents, units};
use super::{DbConn, from_db_time, revision, to_db_time};
use crate::domain::access::Actor;
use crate::domain::clock::StoredState;
use crate::domain::ids::IncidentId;
use crate::domain::incident::{Event, EventKind, StreamEvent};
use crate::domain::timeline::Change;
use crate::error::AppError;

/// The PostgreSQL channel a committed timeline event is announced on.
pub const EVENTS_CHANNEL: &str = "yuqing_events";

/// Records what happened to an incident, as the next value of the change counter, and
/// refreshes what the incident row keeps for sorting (its nearest running deadline).
/// Callers hold the incident's row (they changed it first), so locks are always taken
/// in the order incident → counter.
pub fn append(
    conn: &mut DbConn,
    incident_id: &IncidentId,
    actor: &Actor,
    change: &Change,
    note: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let seq = revision::bump(conn)?;
    if let DbConn::Pg(c) = conn {
        // Other replicas' event streams hear of it when this transaction commits.
        diesel::sql_query(format!("NOTIFY {EVENTS_CHANNEL}")).execute(c)?;
    }
    diesel::insert_into(incident_events::table)
        .values((
            incident_events::seq.eq(seq),
            incident_events::incident_id.eq(incident_id),
            incident_events::at.eq(to_db_time(at)),
            incident_events::actor_id.eq(&actor.id),
            incident_events::actor_name.eq(&actor.name),
            incident_events::kind.eq(change.kind()),
            incident_events::changes.eq(Json::new(change.to_json())?),
            incident_events::note.eq(note),
        ))
        .execute(conn)?;
    let next_due = clocks::table
        .filter(clocks::incident_id.eq(incident_id))
        .filter(clocks::state.eq(StoredState::Running))
        .select(diesel::dsl::min(clocks::due_at))
        .single_value();
    diesel::update(incidents::table.find(incident_id))
        .set(incidents::next_due_at.eq(next_due))
        .execute(conn)?;
    Ok(())
}

#[derive(Queryable)]
struct EventRow {
    id: i64,
    at: chrono::NaiveDateTime,
    actor: String,
    kind: EventKind,
    changes: Json<Value>,
    note: Option<String>,
}

pub fn timeline(conn: &mut DbConn, incident_id: &IncidentId) -> Result<Vec<Event>, AppError> {
    let rows: Vec<EventRow> = incident_events::table
        .filter(incident_events::incident_id.eq(incident_id))
        .order(incident_events::id.asc())
        .select((
            incident_events::id,
            incident_events::at,
            incident_events::actor_name,
            incident_events::kind,
            incident_events::changes,
            incident_events::note,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| Event {
            id: r.id,
            at: from_db_time(r.at),
            actor: r.actor,
            kind: r.kind,
            changes: r.changes.into_inner(),
            note: r.note,
        })
        .collect())
}

#[derive(Queryable)]
struct StreamRow {
    seq: Option<i64>,
    incident_id: String,
    reference: String,
    event: EventRow,
}

/// Timeline events after `after` (the change counter) of incidents with a responsible
/// unit at or below `scope`, in commit order.
pub fn since(
    conn: &mut DbConn,
    after: i64,
    scope: Option<&str>,
    limit: i64,
) -> Result<Vec<StreamEvent>, AppError> {
    let mut query = incident_events::table
        .inner_join(incidents::table)
        .filter(incident_events::seq.gt(after))
        .into_boxed();
    // Unscoped (the process-wide feed) reads by the counter's index alone; scoped, each
    // event's incident is looked up by its key, never the whole unit table's incidents.
    if let Some(scope) = scope {
        query = query.filter(diesel::dsl::exists(
            incident_units::table
                .inner_join(units::table)
                .filter(incident_units::incident_id.eq(incident_events::incident_id))
                .filter(units::path.like(format!("{scope}%"))),
        ));
    }
    let rows: Vec<StreamRow> = query
        .order(incident_events::seq.asc())
        .limit(limit)
        .select((
            incident_events::seq,
            incident_events::incident_id,
            incidents::reference,
            (
                incident_events::id,
                incident_events::at,
                incident_events::actor_name,
                incident_events::kind,
                incident_events::changes,
                incident_events::note,
            ),
        ))
        .load(conn)?;
    let ids: Vec<&String> = rows.iter().map(|r| &r.incident_id).collect();
    let paths: Vec<(String, String)> = incident_units::table
        .inner_join(units::table)
        .filter(incident_units::incident_id.eq_any(&ids))
        .select((incident_units::incident_id, units::path))
        .load(conn)?;
    let mut paths_by: HashMap<String, Vec<String>> = HashMap::new();
    for (incident, path) in paths {
        paths_by.entry(incident).or_default().push(path);
    }
    Ok(rows
        .into_iter()
        .map(|r| StreamEvent {
            seq: r.seq.unwrap_or_default(),
            unit_paths: paths_by.get(&r.incident_id).cloned().unwrap_or_default(),
            incident_id: r.incident_id,
            reference: r.reference,
            at: from_db_time(r.event.at),
            actor: r.event.actor,
            kind: r.event.kind,
            changes: r.event.changes.into_inner(),
            note: r.event.note,
        })
        .collect())
}
