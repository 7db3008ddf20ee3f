//! Acknowledgement from the mail: the recipient has seen it. It ends the repeats after
//! the breach for that person and that clock; only evidence stops the clock itself.
//! The signed link is the credential: the person acts without a token.

use chrono::{DateTime, Utc};

use crate::domain::access::{Actor, Role};
use crate::domain::escalation::EscalationStatus;
use crate::domain::ids::{ContactId, EscalationId, IncidentId};
use crate::domain::incident::{Incident, Status};
use crate::domain::timeline::{self, Change};
use crate::error::AppError;

use super::App;
use crate::store::escalations::{self, Addressed};
use crate::store::{DbConn, clocks, events, incidents};

impl App {
    /// Who a reminder went to and about which incident: `(name, reference, title)`.
    pub async fn reminder(&self, id: EscalationId) -> Result<(String, String, String), AppError> {
        self.read(move |conn| escalations::describe(conn, &id))
            .await
    }

    /// Acknowledgement through the mail's signed link (see `acknowledge`).
    pub async fn acknowledge(&self, id: EscalationId) -> Result<Acknowledged, AppError> {
        let now = self.now();
        self.write(move |conn| acknowledge(conn, &id, now)).await
    }

    /// Acknowledgement in the console by the signed-in person a reminder of the incident
    /// `key` went to (see `acknowledge_as`); returns the incident as it is now.
    pub async fn acknowledge_as(
        &self,
        actor: &Actor,
        contact_id: ContactId,
        id: EscalationId,
        key: String,
    ) -> Result<Incident, AppError> {
        let (actor, now) = (actor.clone(), self.now());
        self.write(move |conn| {
            let incident = incidents::load(conn, &key, now)?;
            actor.require_any_in_scope(incident.unit_paths())?;
            acknowledge_as(conn, &id, &incident.id, (&actor, &contact_id), now)?;
            incidents::get(conn, &incident.id, now)
        })
        .await
    }
}

pub struct Acknowledged {
    pub reference: String,
    pub name: String,
    /// False when this person had already acknowledged this clock.
    pub first_time: bool,
    /// The incident is closed or dismissed: nothing was recorded.
    pub closed: Option<Status>,
}

/// Acknowledgement in the console by the person a reminder of `incident` went to: the
/// signed-in account must be linked to the very contact the reminder was addressed to
/// (not merely one with the same address), and the reminder must have been sent. The
/// session is the credential; the timeline names the account that acted.
fn acknowledge_as(
    conn: &mut DbConn,
    escalation_id: &EscalationId,
    incident: &IncidentId,
    account: (&Actor, &ContactId),
    now: DateTime<Utc>,
) -> Result<Acknowledged, AppError> {
    let (actor, contact_id) = account;
    let to = escalations::addressed(conn, escalation_id)?;
    if to.incident_id.as_ref() != Some(incident) {
        return Err(AppError::NotFound("reminder".into()));
    }
    if to.contact_id != *contact_id {
        return Err(AppError::Forbidden(
            "this reminder was sent to someone else".into(),
        ));
    }
    if to.status != EscalationStatus::Sent {
        return Err(AppError::Forbidden(
            "this reminder has not been sent to you".into(),
        ));
    }
    record(conn, escalation_id, to, Some(actor), now)
}

/// Acknowledgement through the mail's signed link: the link is the credential, and the
/// person it was sent to is the one who acted.
fn acknowledge(
    conn: &mut DbConn,
    escalation_id: &EscalationId,
    now: DateTime<Utc>,
) -> Result<Acknowledged, AppError> {
    let to: Addressed = escalations::addressed(conn, escalation_id)?;
    record(conn, escalation_id, to, None, now)
}

fn record(
    conn: &mut DbConn,
    escalation_id: &EscalationId,
    to: Addressed,
    account: Option<&Actor>,
    now: DateTime<Utc>,
) -> Result<Acknowledged, AppError> {
    // Reports (digest, summary) carry no acknowledgement link.
    let (Some(clock_id), Some(incident_id)) = (to.clock_id.clone(), to.incident_id.clone()) else {
        return Err(AppError::NotFound("escalation".into()));
    };
    incidents::lock(conn, &incident_id)?;
    let (reference, status) = incidents::reference_and_status(conn, &incident_id)?;
    if !status.is_open() {
        // Its clocks stopped with it; the timeline of a closed case stays as it ended.
        return Ok(Acknowledged {
            reference,
            name: to.name,
            first_time: false,
            closed: Some(status),
        });
    }
    if escalations::has_acknowledged(conn, &clock_id, &to.contact_id)? {
        return Ok(Acknowledged {
            reference,
            name: to.name,
            first_time: false,
            closed: None,
        });
    }
    escalations::insert_acknowledgement(conn, &clock_id, escalation_id, &to, now)?;
    let stopped = escalations::cancel_unacknowledged_to(conn, &clock_id, &to.contact_id, now)?;
    let kind = clocks::kind_of(conn, &clock_id)?;
    let actor = match account {
        Some(account) => account.clone(),
        None => Actor {
            id: format!("ack:{escalation_id}"),
            name: to.name.clone(),
            role: Role::Viewer,
            scope: None,
        },
    };
    events::append(
        conn,
        &incident_id,
        &actor,
        &Change::Acknowledged(timeline::Acknowledged {
            by: to.name.clone(),
            channel: Some(to.channel),
            address: Some(to.address.clone()),
            email: None,
            clock: kind,
            step: to.step.clone(),
            repeats_stopped: stopped,
        }),
        None,
        now,
    )?;
    Ok(Acknowledged {
        reference,
        name: to.name,
        first_time: true,
        closed: None,
    })
}
