//! What the scheduled reports read: leaders to send them to, the open incidents of the
//! clocked severities, and the clocks due in a period. `app::reports` plans them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::columns::Json;
use super::schema::{clocks, contacts, incident_units, incidents};
use super::{DbConn, to_db_time};
use crate::domain::clock::StoredState;
use crate::domain::contact::ContactRole;
use crate::domain::ids::{ContactId, IncidentId, UnitId};
use crate::domain::incident::{Severity, Status};
use crate::error::AppError;

/// An active contact holding one of the roles asked for.
pub struct Leader {
    pub contact_id: ContactId,
    pub name: String,
    pub email: String,
    /// The first of the roles asked for that this person holds.
    pub role: ContactRole,
    pub unit_id: UnitId,
}

/// Active contacts holding one of `roles`, by name.
pub fn leaders(conn: &mut DbConn, roles: &[ContactRole]) -> Result<Vec<Leader>, AppError> {
    type Row = (ContactId, String, String, Json<Vec<ContactRole>>, UnitId);
    let rows: Vec<Row> = contacts::table
        .filter(contacts::active.eq(true))
        .order(contacts::name.asc())
        .select((
            contacts::id,
            contacts::name,
            contacts::email,
            contacts::roles,
            contacts::unit_id,
        ))
        .load(conn)?;
    let mut out = Vec::new();
    for (contact_id, name, email, held, unit_id) in rows {
        let held = held.get();
        if let Some(role) = roles.iter().find(|r| held.contains(r)) {
            out.push(Leader {
                contact_id,
                name,
                email,
                role: *role,
                unit_id,
            });
        }
    }
    Ok(out)
}

/// Ids of incidents not closed or dismissed with one of these severities, oldest
/// discovery first.
pub fn open_incident_ids(
    conn: &mut DbConn,
    severities: &[Severity],
) -> Result<Vec<IncidentId>, AppError> {
    let closed = [Status::Closed, Status::Dismissed];
    Ok(incidents::table
        .filter(incidents::status.ne_all(closed))
        .filter(incidents::severity.eq_any(severities))
        .order(incidents::discovered_at.asc())
        .select(incidents::id)
        .load(conn)?)
}

/// (responsible unit id, stored state) of every clock due in [from, to), once per
/// responsible unit of its incident.
pub fn clocks_due(
    conn: &mut DbConn,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(UnitId, StoredState)>, AppError> {
    Ok(clocks::table
        .inner_join(incident_units::table.on(incident_units::incident_id.eq(clocks::incident_id)))
        .filter(clocks::due_at.ge(to_db_time(from)))
        .filter(clocks::due_at.lt(to_db_time(to)))
        .select((incident_units::unit_id, clocks::state))
        .load(conn)?)
}
