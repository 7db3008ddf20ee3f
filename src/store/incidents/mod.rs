//! Incidents: rows, loading with their units, referrals and clocks, and the writes in
//! `create` and `change`, each meant to run inside the caller's write transaction.

mod change;
mod create;
mod list;

pub use change::{
    NewReferralRow, bump, insert_referral, replace_units, set_status, update_content,
};
pub use create::{
    Inserted, NewIncident, UnitLink, hydrate_one, insert, insert_units, next_sequence,
    open_incident_with_url, remember_key, replay,
};
pub use list::{Page, list};

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::{incident_referrals, incident_units, incidents, units};
use super::{DbConn, clocks, from_db_time};
use crate::domain::clock::ClockView;
use crate::domain::ids::IncidentId;
use crate::domain::incident::{
    Category, Incident, Publication, Referral, ReferralAuthority, ReportedBy, ResponsibleUnit,
    Severity, SourceChannel, SpecialTopic, Status, looks_like_reference,
};
use crate::store::columns::Json;

use crate::error::AppError;

#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = incidents)]
struct IncidentRow {
    id: IncidentId,
    reference: String,
    title: String,
    summary: String,
    source_channel: SourceChannel,
    source_url: Option<String>,
    discovered_at: chrono::NaiveDateTime,
    reported_by: String,
    reported_by_name: String,
    severity: Severity,
    category: Category,
    special_topic: Option<SpecialTopic>,
    status: Status,
    dismissal_reason: Option<String>,
    publication: Option<Json<Publication>>,
    possible_duplicate_of: Option<String>,
    version: i64,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = incident_referrals)]
struct ReferralRow {
    id: String,
    incident_id: IncidentId,
    authority: ReferralAuthority,
    referred_at: chrono::NaiveDateTime,
    their_reference: Option<String>,
    note: Option<String>,
    recorded_by: String,
    created_at: chrono::NaiveDateTime,
}

impl IncidentRow {
    fn into_incident(
        self,
        units: Vec<ResponsibleUnit>,
        referrals: Vec<Referral>,
        clocks: Vec<ClockView>,
    ) -> Result<Incident, AppError> {
        Ok(Incident {
            source_channel: self.source_channel,
            severity: self.severity,
            category: self.category,
            special_topic: self.special_topic,
            status: self.status,
            publication: self.publication.map(Json::into_inner),
            id: self.id,
            reference: self.reference,
            title: self.title,
            summary: self.summary,
            source_url: self.source_url,
            discovered_at: from_db_time(self.discovered_at),
            reported_by: ReportedBy {
                id: self.reported_by,
                name: self.reported_by_name,
            },
            responsible_units: units,
            dismissal_reason: self.dismissal_reason,
            referrals,
            clocks,
            possible_duplicate_of: self.possible_duplicate_of,
            version: self.version,
            created_at: from_db_time(self.created_at),
            updated_at: from_db_time(self.updated_at),
        })
    }
}

impl ReferralRow {
    fn into_referral(self) -> Result<Referral, AppError> {
        Ok(Referral {
            authority: self.authority,
            id: self.id,
            referred_at: from_db_time(self.referred_at),
            their_reference: self.their_reference,
            note: self.note,
            recorded_by: self.recorded_by,
            created_at: from_db_time(self.created_at),
        })
    }
}

/// Loads the incidents with these rows' ids, keeping the rows' order.
fn hydrate(
    conn: &mut DbConn,
    rows: Vec<IncidentRow>,
    now: DateTime<Utc>,
) -> Result<Vec<Incident>, AppError> {
    let ids: Vec<IncidentId> = rows.iter().map(|r| r.id.clone()).collect();
    let mut clocks_by = clocks::views(conn, &ids, now)?;
    let unit_rows: Vec<(IncidentId, bool, String, String, String)> = incident_units::table
        .inner_join(units::table)
        .filter(incident_units::incident_id.eq_any(&ids))
        .order((incident_units::first_responsible.desc(), units::code.asc()))
        .select((
            incident_units::incident_id,
            incident_units::first_responsible,
            units::code,
            units::name,
            units::path,
        ))
        .load(conn)?;
    let referral_rows: Vec<ReferralRow> = incident_referrals::table
        .filter(incident_referrals::incident_id.eq_any(&ids))
        .order(incident_referrals::created_at.asc())
        .select(ReferralRow::as_select())
        .load(conn)?;
    let mut units_by: HashMap<IncidentId, Vec<ResponsibleUnit>> = HashMap::new();
    for (incident_id, first_responsible, code, name, path) in unit_rows {
        units_by
            .entry(incident_id)
            .or_default()
            .push(ResponsibleUnit {
                code,
                name,
                first_responsible,
                path,
            });
    }
    let mut referrals_by: HashMap<IncidentId, Vec<Referral>> = HashMap::new();
    for row in referral_rows {
        referrals_by
            .entry(row.incident_id.clone())
            .or_default()
            .push(row.into_referral()?);
    }
    rows.into_iter()
        .map(|row| {
            let units = units_by.remove(&row.id).unwrap_or_default();
            let referrals = referrals_by.remove(&row.id).unwrap_or_default();
            let clocks = clocks_by.remove(&row.id).unwrap_or_default();
            row.into_incident(units, referrals, clocks)
        })
        .collect()
}

/// Several incidents by id, in one set of queries (missing ids are left out).
pub fn load_many(
    conn: &mut DbConn,
    ids: &[IncidentId],
    now: DateTime<Utc>,
) -> Result<Vec<Incident>, AppError> {
    let rows: Vec<IncidentRow> = incidents::table
        .filter(incidents::id.eq_any(ids))
        .select(IncidentRow::as_select())
        .load(conn)?;
    hydrate(conn, rows, now)
}

/// Takes the incident's row lock for the rest of the transaction. Every transaction
/// that changes an incident takes it first, so locks come in one order and concurrent
/// changes queue instead of deadlocking.
pub fn lock(conn: &mut DbConn, id: &IncidentId) -> Result<(), AppError> {
    diesel::update(incidents::table.find(id))
        .set(incidents::next_due_at.eq(incidents::next_due_at))
        .execute(conn)?;
    Ok(())
}

/// An incident's reference (YQ-2026-000123) and status.
pub fn reference_and_status(
    conn: &mut DbConn,
    id: &IncidentId,
) -> Result<(String, Status), AppError> {
    Ok(incidents::table
        .find(id)
        .select((incidents::reference, incidents::status))
        .first(conn)?)
}

/// One incident by id.
pub fn get(conn: &mut DbConn, id: &IncidentId, now: DateTime<Utc>) -> Result<Incident, AppError> {
    let row = incidents::table
        .find(id)
        .select(IncidentRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound(format!("incident {id}")))?;
    hydrate(conn, vec![row], now)?
        .pop()
        .ok_or_else(|| AppError::NotFound(format!("incident {id}")))
}

/// One incident by id or by reference (YQ-2026-000123), as a URL names it.
pub fn load(conn: &mut DbConn, key: &str, now: DateTime<Utc>) -> Result<Incident, AppError> {
    let query = incidents::table.select(IncidentRow::as_select());
    let row = if looks_like_reference(key) {
        query.filter(incidents::reference.eq(key)).first(conn)
    } else {
        query.filter(incidents::id.eq(key)).first(conn)
    }
    .optional()?
    .ok_or_else(|| AppError::NotFound(format!("incident {key}")))?;
    hydrate(conn, vec![row], now)?
        .pop()
        .ok_or_else(|| AppError::NotFound(format!("incident {key}")))
}

/// An incident's version and the paths of its responsible units (by id or reference):
/// what a conditional read needs to answer 304.
pub fn version_and_paths(conn: &mut DbConn, key: &str) -> Result<(i64, Vec<String>), AppError> {
    let query = incident_units::table
        .inner_join(incidents::table)
        .inner_join(units::table)
        .select((incidents::version, units::path));
    let rows: Vec<(i64, String)> = if looks_like_reference(key) {
        query.filter(incidents::reference.eq(key)).load(conn)?
    } else {
        query.filter(incidents::id.eq(key)).load(conn)?
    };
    let version = rows
        .first()
        .map(|(v, _)| *v)
        .ok_or_else(|| AppError::NotFound(format!("incident {key}")))?;
    Ok((version, rows.into_iter().map(|(_, p)| p).collect()))
}
