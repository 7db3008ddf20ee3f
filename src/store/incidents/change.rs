//! Writes to a stored incident: the version bump that guards every change, its content,
//! units, status and referrals. `app::incidents` decides what may change.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::create::{UnitLink, insert_units};
use crate::domain::ids::IncidentId;
use crate::domain::incident::{Incident, IncidentContent, Publication, ReferralAuthority, Status};
use crate::error::AppError;
use crate::store::columns::Json;
use crate::store::schema::{incident_referrals, incident_units, incidents};
use crate::store::{DbConn, to_db_time};

/// Bumps the version, guarded by the one read, so a concurrent writer that got in
/// between (PostgreSQL, READ COMMITTED) makes this one fail instead of overwriting.
pub fn bump(
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

/// Replaces the incident's responsible units.
pub fn replace_units(
    conn: &mut DbConn,
    incident_id: &IncidentId,
    units: &[UnitLink],
) -> Result<(), AppError> {
    diesel::delete(incident_units::table.filter(incident_units::incident_id.eq(incident_id)))
        .execute(conn)?;
    insert_units(conn, incident_id, units)
}

/// Writes the editable fields (units apart).
pub fn update_content(
    conn: &mut DbConn,
    incident_id: &IncidentId,
    next: &IncidentContent,
) -> Result<(), AppError> {
    diesel::update(incidents::table.find(incident_id))
        .set((
            incidents::title.eq(&next.title),
            incidents::summary.eq(&next.summary),
            incidents::source_channel.eq(next.source_channel),
            incidents::source_url.eq(&next.source_url),
            incidents::discovered_at.eq(to_db_time(next.discovered_at)),
            incidents::severity.eq(next.severity),
            incidents::category.eq(next.category),
            incidents::special_topic.eq(next.special_topic),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_status(
    conn: &mut DbConn,
    incident_id: &IncidentId,
    status: Status,
    dismissal_reason: Option<&str>,
    publication: Option<&Publication>,
) -> Result<(), AppError> {
    let publication = publication.map(Json::new).transpose()?;
    diesel::update(incidents::table.find(incident_id))
        .set((
            incidents::status.eq(status),
            incidents::dismissal_reason.eq(dismissal_reason),
            incidents::publication.eq(publication),
        ))
        .execute(conn)?;
    Ok(())
}

pub struct NewReferralRow<'a> {
    pub incident_id: &'a IncidentId,
    pub authority: ReferralAuthority,
    pub referred_at: DateTime<Utc>,
    pub their_reference: Option<&'a str>,
    pub note: Option<&'a str>,
    pub recorded_by: &'a str,
}

/// Inserts a referral and returns its id.
pub fn insert_referral(
    conn: &mut DbConn,
    r: &NewReferralRow,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(incident_referrals::table)
        .values((
            incident_referrals::id.eq(&id),
            incident_referrals::incident_id.eq(r.incident_id),
            incident_referrals::authority.eq(r.authority),
            incident_referrals::referred_at.eq(to_db_time(r.referred_at)),
            incident_referrals::their_reference.eq(r.their_reference),
            incident_referrals::note.eq(r.note),
            incident_referrals::recorded_by.eq(r.recorded_by),
            incident_referrals::created_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    Ok(id)
}
