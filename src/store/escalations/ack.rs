//! Acknowledgement from the mail: the recipient has seen it. It ends the repeats after
//! the breach for that person and that clock; only evidence stops the clock itself.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::json;

use crate::domain::access::{Actor, Role};
use crate::domain::escalation::{EscalationStatus, Step};
use crate::domain::incident::EventKind;
use crate::error::AppError;
use crate::store::schema::{acknowledgements, clocks, escalations, incidents};
use crate::store::{DbConn, events, to_db_time};

pub struct Acknowledged {
    pub reference: String,
    pub name: String,
    /// False when this person had already acknowledged this clock.
    pub first_time: bool,
}

/// Who an escalation went to and for which incident, for the confirm page.
pub fn describe(
    conn: &mut DbConn,
    escalation_id: &str,
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

pub fn acknowledge(
    conn: &mut DbConn,
    escalation_id: &str,
    now: DateTime<Utc>,
) -> Result<Acknowledged, AppError> {
    type Row = (Option<String>, Option<String>, String, String, String);
    let (clock_id, incident_id, email, name, step): Row = escalations::table
        .filter(escalations::id.eq(escalation_id))
        .select((
            escalations::clock_id,
            escalations::incident_id,
            escalations::recipient_email,
            escalations::recipient_name,
            escalations::step,
        ))
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound("escalation".into()))?;
    // Reports (digest, summary) carry no acknowledgement link.
    let (Some(clock_id), Some(incident_id)) = (clock_id, incident_id) else {
        return Err(AppError::NotFound("escalation".into()));
    };
    crate::store::incidents::lock(conn, &incident_id)?;
    let reference: String = incidents::table
        .find(&incident_id)
        .select(incidents::reference)
        .first(conn)?;
    let already: i64 = acknowledgements::table
        .filter(acknowledgements::clock_id.eq(&clock_id))
        .filter(acknowledgements::recipient_email.eq(&email))
        .count()
        .get_result(conn)?;
    if already > 0 {
        return Ok(Acknowledged {
            reference,
            name,
            first_time: false,
        });
    }
    diesel::insert_into(acknowledgements::table)
        .values((
            acknowledgements::clock_id.eq(&clock_id),
            acknowledgements::recipient_email.eq(&email),
            acknowledgements::name.eq(&name),
            acknowledgements::escalation_id.eq(escalation_id),
            acknowledgements::acknowledged_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    let stopped = diesel::update(escalations::table)
        .filter(escalations::clock_id.eq(&clock_id))
        .filter(escalations::recipient_email.eq(&email))
        .filter(escalations::rank.ge(Step::FIRST_REPEAT_RANK))
        .filter(escalations::status.eq(EscalationStatus::Pending.as_str()))
        .set((
            escalations::status.eq(EscalationStatus::Cancelled.as_str()),
            escalations::last_error.eq("acknowledged"),
            escalations::updated_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    let kind: String = clocks::table
        .find(&clock_id)
        .select(clocks::kind)
        .first(conn)?;
    // The person acts through a signed link, not a token.
    let actor = Actor {
        token_id: format!("ack:{escalation_id}"),
        name: name.clone(),
        role: Role::Viewer,
        scope: None,
    };
    events::append(
        conn,
        &incident_id,
        &actor,
        EventKind::Acknowledged,
        json!({ "by": name, "email": email, "clock": kind, "step": step, "repeats_stopped": stopped }),
        None,
        now,
    )?;
    Ok(Acknowledged {
        reference,
        name,
        first_time: true,
    })
}
