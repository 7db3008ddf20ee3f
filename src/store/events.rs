//! The append-only timeline. Rows are inserted, never updated or deleted.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;

use super::schema::incident_events;
use super::{DbConn, from_db_time, to_db_time};
use crate::domain::access::Actor;
use crate::domain::incident::{Event, EventKind};
use crate::error::AppError;

pub fn append(
    conn: &mut DbConn,
    incident_id: &str,
    actor: &Actor,
    kind: EventKind,
    changes: Value,
    note: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    diesel::insert_into(incident_events::table)
        .values((
            incident_events::incident_id.eq(incident_id),
            incident_events::at.eq(to_db_time(at)),
            incident_events::actor_token.eq(&actor.token_id),
            incident_events::actor_name.eq(&actor.name),
            incident_events::kind.eq(kind.as_str()),
            incident_events::changes.eq(changes.to_string()),
            incident_events::note.eq(note),
        ))
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
