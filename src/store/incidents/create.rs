//! Logging a new incident: readable reference, responsible units, duplicate flag,
//! idempotent retries and the first timeline event, all in the caller's transaction.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};

use super::{IncidentRow, hydrate, load};
use crate::domain::access::Actor;
use crate::domain::incident::{
    EventKind, Incident, IncidentContent, Status, format_reference, reference_year, snapshot,
};
use crate::error::AppError;
use crate::store::clocks::{self, ClockContext};
use crate::store::schema::{idempotency_keys, incident_units, incidents};
use crate::store::{DbConn, events, to_db_time, units as unit_store};

/// A client-chosen key and a hash of the request it came with.
#[derive(Clone)]
pub struct IdempotencyKey {
    pub key: String,
    pub request_hash: String,
}

pub enum Created {
    New(Incident),
    /// The key was seen before with the same request: the first result, unchanged.
    Replayed(Incident),
}

/// Code of the error returned when a concurrent request with the same key won the race;
/// retrying the whole transaction then replays its result.
pub const IDEMPOTENCY_RACE: &str = "idempotency_race";

pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    content: IncidentContent,
    idempotency: Option<IdempotencyKey>,
    ctx: &ClockContext,
    now: DateTime<Utc>,
    zone: Tz,
) -> Result<Created, AppError> {
    if let Some(idem) = &idempotency
        && let Some(earlier) = replay(conn, actor, idem, now)?
    {
        return Ok(Created::Replayed(earlier));
    }
    let mut unit_ids = Vec::new();
    for (i, r) in content.units.iter().enumerate() {
        let unit = unit_store::find_active(conn, &format!("responsible_units[{i}].code"), &r.code)?;
        unit_ids.push((unit.id, unit.path, r.first_responsible));
    }
    actor.require_any_in_scope(unit_ids.iter().map(|(_, path, _)| path.as_str()))?;

    let possible_duplicate_of = match &content.source_url {
        Some(url) => open_incident_with_url(conn, url)?,
        None => None,
    };
    let year = reference_year(now, zone);
    let reference = format_reference(year, next_sequence(conn, year)?);
    let id = uuid::Uuid::new_v4().to_string();
    let at = to_db_time(now);
    let row = IncidentRow {
        id: id.clone(),
        reference,
        title: content.title.clone(),
        summary: content.summary.clone(),
        source_channel: content.source_channel.as_str().into(),
        source_url: content.source_url.clone(),
        discovered_at: to_db_time(content.discovered_at),
        reported_by_token: actor.token_id.clone(),
        reported_by_name: actor.name.clone(),
        severity: content.severity.as_str().into(),
        category: content.category.as_str().into(),
        special_topic: content.special_topic.map(|t| t.as_str().into()),
        status: Status::Reported.as_str().into(),
        dismissal_reason: None,
        publication: None,
        possible_duplicate_of,
        version: 1,
        created_at: at,
        updated_at: at,
    };
    diesel::insert_into(incidents::table)
        .values(&row)
        .execute(conn)?;
    insert_units(conn, &id, &unit_ids)?;
    if let Some(idem) = idempotency {
        remember_key(conn, actor, idem, &id, at)?;
    }
    events::append(
        conn,
        &id,
        actor,
        EventKind::Created,
        serde_json::Value::Object(snapshot(&content)),
        None,
        now,
    )?;
    clocks::start_if_due(
        conn,
        actor,
        &id,
        content.severity,
        content.discovered_at,
        ctx,
        now,
    )?;
    let incident = hydrate(conn, vec![row], now)?
        .pop()
        .ok_or_else(|| AppError::internal("created incident vanished"))?;
    Ok(Created::New(incident))
}

pub(super) fn insert_units(
    conn: &mut DbConn,
    incident_id: &str,
    units: &[(String, String, bool)],
) -> Result<(), AppError> {
    // One statement per unit: batch inserts do not compile for the two-backend connection.
    for (unit_id, _, first) in units {
        diesel::insert_into(incident_units::table)
            .values((
                incident_units::incident_id.eq(incident_id),
                incident_units::unit_id.eq(unit_id),
                incident_units::first_responsible.eq(*first),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn replay(
    conn: &mut DbConn,
    actor: &Actor,
    idem: &IdempotencyKey,
    now: DateTime<Utc>,
) -> Result<Option<Incident>, AppError> {
    let earlier: Option<(String, String)> = idempotency_keys::table
        .find((&actor.token_id, &idem.key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::incident_id,
        ))
        .first(conn)
        .optional()?;
    match earlier {
        None => Ok(None),
        Some((hash, _)) if hash != idem.request_hash => Err(AppError::conflict(
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different request",
        )),
        Some((_, incident_id)) => load(conn, &incident_id, now).map(Some),
    }
}

fn remember_key(
    conn: &mut DbConn,
    actor: &Actor,
    idem: IdempotencyKey,
    incident_id: &str,
    at: chrono::NaiveDateTime,
) -> Result<(), AppError> {
    let inserted = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::token_id.eq(&actor.token_id),
            idempotency_keys::key.eq(&idem.key),
            idempotency_keys::request_hash.eq(&idem.request_hash),
            idempotency_keys::incident_id.eq(incident_id),
            idempotency_keys::created_at.eq(at),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(()),
        // PostgreSQL: a concurrent request with the same key committed first.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Err(AppError::conflict(
            IDEMPOTENCY_RACE,
            "a request with this Idempotency-Key is being processed; retry",
        )),
        Err(e) => Err(e.into()),
    }
}

fn open_incident_with_url(conn: &mut DbConn, url: &str) -> Result<Option<String>, AppError> {
    let closed = [Status::Closed.as_str(), Status::Dismissed.as_str()];
    Ok(incidents::table
        .filter(incidents::source_url.eq(url))
        .filter(incidents::status.ne_all(closed))
        .order(incidents::created_at.asc())
        .select(incidents::reference)
        .first(conn)
        .optional()?)
}

#[derive(QueryableByName)]
struct Sequence {
    #[diesel(sql_type = BigInt)]
    last_value: i64,
}

/// The next number of the year's sequence. One statement on both backends; the row
/// lock it takes orders concurrent creators.
fn next_sequence(conn: &mut DbConn, year: i32) -> Result<i64, AppError> {
    const SQL: &str = "INSERT INTO reference_counters (year, last_value) VALUES ($1, 1) \
         ON CONFLICT (year) DO UPDATE SET last_value = reference_counters.last_value + 1 \
         RETURNING last_value";
    let query = diesel::sql_query(SQL).bind::<Integer, _>(year);
    let seq: Sequence = match conn {
        DbConn::Pg(c) => query.get_result(c)?,
        DbConn::Sqlite(c) => query.get_result(c)?,
    };
    Ok(seq.last_value)
}
