//! The append-only timeline. Rows are inserted, never updated or deleted.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;

use super::schema::{clocks, incident_events, incident_units, incidents, units};
use super::{DbConn, from_db_time, revision, to_db_time};
use crate::domain::access::Actor;
use crate::domain::clock::StoredState;
use crate::domain::incident::{Event, EventKind, StreamEvent};
use crate::error::AppError;

/// Records what happened to an incident, as the next value of the change counter, and
/// refreshes what the incident row keeps for sorting (its nearest running deadline).
/// Callers hold the incident's row (they changed it first), so locks are always taken
/// in the order incident → counter.
pub fn append(
    conn: &mut DbConn,
    incident_id: &str,
    actor: &Actor,
    kind: EventKind,
    changes: Value,
    note: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let seq = revision::bump(conn)?;
    diesel::insert_into(incident_events::table)
        .values((
            incident_events::seq.eq(seq),
            incident_events::incident_id.eq(incident_id),
            incident_events::at.eq(to_db_time(at)),
            incident_events::actor_token.eq(&actor.token_id),
            incident_events::actor_name.eq(&actor.name),
            incident_events::kind.eq(kind.as_str()),
            incident_events::changes.eq(changes.to_string()),
            incident_events::note.eq(note),
        ))
        .execute(conn)?;
    let next_due = clocks::table
        .filter(clocks::incident_id.eq(incident_id))
        .filter(clocks::state.eq(StoredState::Running.as_str()))
        .select(diesel::dsl::min(clocks::due_at))
        .single_value();
    diesel::update(incidents::table.find(incident_id))
        .set(incidents::next_due_at.eq(next_due))
        .execute(conn)?;
    Ok(())
}

pub fn timeline(conn: &mut DbConn, incident_id: &str) -> Result<Vec<Event>, AppError> {
    let rows: Vec<(
        i64,
        chrono::NaiveDateTime,
        String,
        String,
        String,
        Option<String>,
    )> = incident_events::table
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
    rows.into_iter()
        .map(|(id, at, actor, kind, changes, note)| {
            Ok(Event {
                id,
                at: from_db_time(at),
                actor,
                kind: kind.parse().map_err(AppError::internal)?,
                changes: serde_json::from_str(&changes).map_err(AppError::internal)?,
                note,
            })
        })
        .collect()
}

/// Timeline events after `after` (the change counter) of incidents with a responsible
/// unit at or below `scope`, in commit order.
pub fn since(
    conn: &mut DbConn,
    after: i64,
    scope: Option<&str>,
    limit: i64,
) -> Result<Vec<StreamEvent>, AppError> {
    let in_scope = incident_units::table
        .inner_join(units::table)
        .filter(units::path.like(format!("{}%", scope.unwrap_or(""))))
        .select(incident_units::incident_id);
    type Row = (
        Option<i64>,
        String,
        String,
        chrono::NaiveDateTime,
        String,
        String,
        String,
        Option<String>,
    );
    let rows: Vec<Row> = incident_events::table
        .inner_join(incidents::table)
        .filter(incident_events::seq.gt(after))
        .filter(incident_events::incident_id.eq_any(in_scope))
        .order(incident_events::seq.asc())
        .limit(limit)
        .select((
            incident_events::seq,
            incident_events::incident_id,
            incidents::reference,
            incident_events::at,
            incident_events::actor_name,
            incident_events::kind,
            incident_events::changes,
            incident_events::note,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |(seq, incident_id, reference, at, actor, kind, changes, note)| {
                Ok(StreamEvent {
                    seq: seq.unwrap_or_default(),
                    incident_id,
                    reference,
                    at: from_db_time(at),
                    actor,
                    kind: kind.parse().map_err(AppError::internal)?,
                    changes: serde_json::from_str(&changes).map_err(AppError::internal)?,
                    note,
                })
            },
        )
        .collect()
}
