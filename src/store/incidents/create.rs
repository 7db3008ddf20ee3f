//! Rows of a new incident: the incident, its responsible units, the year's reference
//! sequence, the duplicate lookup and idempotency keys. `app::incidents::log` decides.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};

use super::{IncidentRow, load};
use crate::domain::access::Actor;
use crate::domain::ids::{IncidentId, UnitId};
use crate::domain::incident::{IdempotencyKey, Incident, IncidentContent, Status};
use crate::error::{AppError, ConflictCode};
use crate::store::schema::{idempotency_keys, incident_units, incidents};
use crate::store::{DbConn, to_db_time};

/// A responsible unit, resolved.
pub struct UnitLink {
    pub unit_id: UnitId,
    pub path: String,
    pub first_responsible: bool,
}

pub struct NewIncident<'a> {
    pub reference: String,
    pub content: &'a IncidentContent,
    pub reported_by: &'a Actor,
    pub possible_duplicate_of: Option<String>,
}

/// A row just inserted, to hydrate without reading it back.
pub struct Inserted(IncidentRow);

impl Inserted {
    pub fn id(&self) -> &IncidentId {
        &self.0.id
    }
}

pub fn insert(
    conn: &mut DbConn,
    new: &NewIncident,
    now: DateTime<Utc>,
) -> Result<Inserted, AppError> {
    let at = to_db_time(now);
    let content = new.content;
    let row = IncidentRow {
        id: IncidentId::generate(),
        reference: new.reference.clone(),
        title: content.title.clone(),
        summary: content.summary.clone(),
        source_channel: content.source_channel,
        source_url: content.source_url.clone(),
        discovered_at: to_db_time(content.discovered_at),
        reported_by: new.reported_by.id.clone(),
        reported_by_name: new.reported_by.name.clone(),
        severity: content.severity,
        category: content.category,
        special_topic: content.special_topic,
        status: Status::Reported,
        dismissal_reason: None,
        publication: None,
        possible_duplicate_of: new.possible_duplicate_of.clone(),
        version: 1,
        created_at: at,
        updated_at: at,
    };
    diesel::insert_into(incidents::table)
        .values((
            incidents::id.eq(&row.id),
            incidents::reference.eq(&row.reference),
            incidents::title.eq(&row.title),
            incidents::summary.eq(&row.summary),
            incidents::source_channel.eq(row.source_channel),
            incidents::source_url.eq(&row.source_url),
            incidents::discovered_at.eq(row.discovered_at),
            incidents::reported_by.eq(&row.reported_by),
            incidents::reported_by_name.eq(&row.reported_by_name),
            incidents::severity.eq(row.severity),
            incidents::category.eq(row.category),
            incidents::special_topic.eq(row.special_topic),
            incidents::status.eq(row.status),
            incidents::possible_duplicate_of.eq(&row.possible_duplicate_of),
            incidents::version.eq(row.version),
            incidents::created_at.eq(at),
            incidents::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(Inserted(row))
}

/// The incident just inserted, with its units and clocks.
pub fn hydrate_one(
    conn: &mut DbConn,
    inserted: Inserted,
    now: DateTime<Utc>,
) -> Result<Incident, AppError> {
    super::hydrate(conn, vec![inserted.0], now)?
        .pop()
        .ok_or_else(|| AppError::internal("created incident vanished"))
}

pub fn insert_units(
    conn: &mut DbConn,
    incident_id: &IncidentId,
    units: &[UnitLink],
) -> Result<(), AppError> {
    // One statement per unit: batch inserts do not compile for the two-backend connection.
    for u in units {
        diesel::insert_into(incident_units::table)
            .values((
                incident_units::incident_id.eq(incident_id),
                incident_units::unit_id.eq(&u.unit_id),
                incident_units::first_responsible.eq(u.first_responsible),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The incident an earlier request with this token's key created; an error when the key
/// came with a different request.
pub fn replay(
    conn: &mut DbConn,
    actor_id: &str,
    idem: &IdempotencyKey,
    now: DateTime<Utc>,
) -> Result<Option<Incident>, AppError> {
    let earlier: Option<(String, String)> = idempotency_keys::table
        .find((actor_id, &idem.key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::incident_id,
        ))
        .first(conn)
        .optional()?;
    match earlier {
        None => Ok(None),
        Some((hash, _)) if hash != idem.request_hash => Err(AppError::conflict(
            ConflictCode::IdempotencyKeyReused,
            "this Idempotency-Key was used for a different request",
        )),
        Some((_, incident_id)) => load(conn, &incident_id, now).map(Some),
    }
}

pub fn remember_key(
    conn: &mut DbConn,
    actor_id: &str,
    idem: IdempotencyKey,
    incident_id: &IncidentId,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let inserted = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::actor_id.eq(actor_id),
            idempotency_keys::key.eq(&idem.key),
            idempotency_keys::request_hash.eq(&idem.request_hash),
            idempotency_keys::incident_id.eq(incident_id),
            idempotency_keys::created_at.eq(to_db_time(now)),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(()),
        // PostgreSQL: a concurrent request with the same key committed first.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Err(AppError::conflict(
            ConflictCode::IdempotencyRace,
            "a request with this Idempotency-Key is being processed; retry",
        )),
        Err(e) => Err(e.into()),
    }
}

/// The reference of an open incident with this source URL, the oldest first.
pub fn open_incident_with_url(conn: &mut DbConn, url: &str) -> Result<Option<String>, AppError> {
    let closed = [Status::Closed, Status::Dismissed];
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
pub fn next_sequence(conn: &mut DbConn, year: i32) -> Result<i64, AppError> {
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
