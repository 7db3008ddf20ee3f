//! Acknowledgement rows: who has seen a clock's reminders. `app::acknowledge` decides.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::domain::clock::StopReason;
use crate::domain::escalation::{Channel, EscalationStatus, Step};
use crate::domain::ids::{ClockId, ContactId, EscalationId, IncidentId};
use crate::error::AppError;
use crate::store::schema::{acknowledgements, escalations, incidents};
use crate::store::{DbConn, to_db_time};

/// The escalation an acknowledgement names: the person it is for, and where it stands.
pub struct Addressed {
    pub clock_id: Option<ClockId>,
    pub incident_id: Option<IncidentId>,
    pub contact_id: ContactId,
    /// The channel it went out on, and the person's address there.
    pub channel: Channel,
    pub address: String,
    pub name: String,
    pub step: String,
    pub status: EscalationStatus,
}

pub fn addressed(conn: &mut DbConn, escalation_id: &EscalationId) -> Result<Addressed, AppError> {
    type Row = (
        Option<ClockId>,
        Option<IncidentId>,
        ContactId,
        Channel,
        String,
        String,
        String,
        EscalationStatus,
    );
    let (clock_id, incident_id, contact_id, channel, address, name, step, status): Row =
        escalations::table
            .filter(escalations::id.eq(escalation_id))
            .select((
                escalations::clock_id,
                escalations::incident_id,
                escalations::contact_id,
                escalations::channel,
                escalations::address,
                escalations::recipient_name,
                escalations::step,
                escalations::status,
            ))
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::NotFound("escalation".into()))?;
    Ok(Addressed {
        clock_id,
        incident_id,
        contact_id,
        channel,
        address,
        name,
        step,
        status,
    })
}

/// Who an escalation went to and for which incident, for the confirm page.
pub fn describe(
    conn: &mut DbConn,
    escalation_id: &EscalationId,
) -> Result<(String, String, String), AppError> {
    escalations::table
        .inner_join(incidents::table)
        .filter(escalations::id.eq(escalation_id))
        .select((
            escalations::recipient_name,
            incidents::reference,
            incidents::title,
        ))
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound("escalation".into()))
}

/// Whether this person (contact id) acknowledged this clock's reminders.
pub fn has_acknowledged(
    conn: &mut DbConn,
    clock_id: &ClockId,
    contact_id: &ContactId,
) -> Result<bool, AppError> {
    let n: i64 = acknowledgements::table
        .filter(acknowledgements::clock_id.eq(clock_id))
        .filter(acknowledgements::contact_id.eq(contact_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn insert_acknowledgement(
    conn: &mut DbConn,
    clock_id: &ClockId,
    escalation_id: &EscalationId,
    to: &Addressed,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    diesel::insert_into(acknowledgements::table)
        .values((
            acknowledgements::clock_id.eq(clock_id),
            acknowledgements::contact_id.eq(&to.contact_id),
            acknowledgements::channel.eq(to.channel),
            acknowledgements::address.eq(&to.address),
            acknowledgements::name.eq(&to.name),
            acknowledgements::escalation_id.eq(escalation_id),
            acknowledgements::acknowledged_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Cancels what the clock still had waiting for this person's acknowledgement: repeats,
/// and the delayed methods of their rule ("SMS after 10 minutes"); returns how many.
pub fn cancel_unacknowledged_to(
    conn: &mut DbConn,
    clock_id: &ClockId,
    contact_id: &ContactId,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    Ok(diesel::update(escalations::table)
        .filter(escalations::clock_id.eq(clock_id))
        .filter(escalations::contact_id.eq(contact_id))
        .filter(
            escalations::rank
                .ge(Step::FIRST_REPEAT_RANK)
                .or(escalations::after_minutes.gt(0)),
        )
        .filter(super::waiting(conn)?)
        .set(super::Cancellation::because(
            &StopReason::Acknowledged.key(),
            now,
        ))
        .execute(conn)?)
}
