//! Escalation rows: one per planned step, person and channel, the engine's durable
//! queue. Unique per (clock, step, person, channel), so planning twice never sends twice.
//! A row names the person (directory contact), the channel and the address on it.

mod ack;
mod claim;
pub mod hold;
mod mark;

pub use ack::{
    Addressed, addressed, cancel_unacknowledged_to, describe, has_acknowledged,
    insert_acknowledgement,
};
pub use claim::{ClaimSettings, Claimed, claim_due, db_now, renew_lease, still_held, take_due};
pub use mark::{SendResult, record};

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::columns::Json;
use super::schema::{contacts, escalations, incident_units, units};
use super::{DbConn, execute_native, from_db_time, to_db_time};
use crate::domain::clock::{Audience, PlannedStep};
use crate::domain::contact::ContactRole;
use crate::domain::escalation::{
    Addressing, Channel, EscalationStatus, Notification, NotificationRecipient, NotifyRules,
    Person, Recipient, Responsible, Step, resolve,
};
use crate::domain::ids::{ClockId, ContactId, EscalationId, IncidentId, UnitId};
use crate::domain::quiet::{QuietHours, due_with_quiet_hours};
use crate::error::AppError;

/// The recipients of a step going to `audiences` (`domain::escalation::resolve`), from the
/// incident's responsible units and the active contacts of those units and their parents.
pub fn recipients(
    conn: &mut DbConn,
    incident_id: &IncidentId,
    audiences: &[Audience],
) -> Result<Vec<Recipient>, AppError> {
    let responsible: Vec<(UnitId, Option<UnitId>)> = incident_units::table
        .inner_join(units::table)
        .filter(incident_units::incident_id.eq(incident_id))
        .order(incident_units::first_responsible.desc())
        .select((units::id, units::parent_id))
        .load(conn)?;
    let unit_ids: Vec<&str> = responsible
        .iter()
        .flat_map(|(id, parent)| std::iter::once(id).chain(parent.as_ref()))
        .map(UnitId::as_str)
        .collect();
    type Row = (
        ContactId,
        UnitId,
        String,
        String,
        (Option<String>, Option<String>, Option<Json<NotifyRules>>),
        String,
        Json<Vec<ContactRole>>,
    );
    let people: Vec<Row> = contacts::table
        .inner_join(units::table)
        .filter(contacts::unit_id.eq_any(&unit_ids))
        .filter(contacts::active.eq(true))
        .order(contacts::name.asc())
        .select((
            contacts::id,
            contacts::unit_id,
            units::code,
            contacts::email,
            (
                contacts::wecom_userid,
                contacts::mobile,
                contacts::notification_rules,
            ),
            contacts::name,
            contacts::roles,
        ))
        .load(conn)?;
    let responsible: Vec<Responsible> = responsible
        .into_iter()
        .map(|(unit_id, parent_id)| Responsible { unit_id, parent_id })
        .collect();
    let people: Vec<Person> = people
        .into_iter()
        .map(
            |(
                contact_id,
                unit_id,
                unit_code,
                email,
                (wecom_userid, mobile, rules),
                name,
                roles,
            )| Person {
                contact_id,
                unit_id,
                unit_code,
                email,
                wecom_userid,
                mobile,
                rules: rules.map(Json::into_inner),
                name,
                roles: roles.into_inner(),
            },
        )
        .collect();
    Ok(resolve(audiences, &responsible, &people))
}

/// What a planned escalation is about: a clock's step, or a report and what it says.
pub struct Planned<'a> {
    pub step: &'a Step,
    pub due_at: DateTime<Utc>,
    /// (clock, incident) for reminders and notices; None for reports.
    pub clock: Option<(&'a ClockId, &'a IncidentId)>,
    /// A report's contents, as JSON.
    pub context: Option<&'a str>,
}

/// A unit's robot a step reaches: the robot, its channel, name and unit, and the mobile
/// numbers of the step's recipients in that unit (the people it @s).
struct RobotPlan {
    robot_id: String,
    channel: Channel,
    name: String,
    unit_code: String,
    mentions: Vec<String>,
}

/// The active robots of the recipients' units, on the robot channels this service sends
/// on.
fn robots_for(
    conn: &mut DbConn,
    recipients: &[Recipient],
    addressing: &Addressing,
) -> Result<Vec<RobotPlan>, AppError> {
    let mut codes: Vec<&str> = recipients.iter().map(|r| r.unit_code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    if codes.is_empty() || !addressing.channels.iter().any(|c| !c.is_personal()) {
        return Ok(Vec::new());
    }
    Ok(crate::store::robots::of_units(conn, &codes)?
        .into_iter()
        .filter(|(_, kind, _, _)| addressing.channels.contains(&kind.channel()))
        .map(|(id, kind, name, unit_code)| RobotPlan {
            mentions: recipients
                .iter()
                .filter(|r| r.unit_code == unit_code)
                .filter_map(|r| r.mobile.clone())
                .collect(),
            robot_id: id.to_string(),
            channel: kind.channel(),
            name,
            unit_code,
        })
        .collect())
}

/// One queue row: to whom (a person or a unit's robot), on which channel and address, how
/// long after its step.
struct Row<'a> {
    to: &'a str,
    channel: Channel,
    address: &'a str,
    after_minutes: i64,
    name: &'a str,
    role: &'a str,
    unit_code: &'a str,
    context: Option<&'a str>,
}

fn insert_row(
    conn: &mut DbConn,
    planned: &Planned,
    row: Row,
    (addressing, quiet): (&Addressing, &HashMap<String, QuietHours>),
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let message_domain = &addressing.message_domain;
    let (clock_id, incident_id) = planned.clock.unzip();
    let id = uuid::Uuid::new_v4().to_string();
    let (due_at, held_from) = due_with_quiet_hours(
        planned.step,
        planned.due_at,
        planned.due_at + chrono::Duration::minutes(row.after_minutes),
        quiet.get(row.unit_code),
        addressing.zone,
    );
    let due_at = to_db_time(due_at);
    let values = (
        escalations::id.eq(&id),
        escalations::clock_id.eq(clock_id),
        escalations::incident_id.eq(incident_id),
        escalations::step.eq(planned.step.key()),
        escalations::rank.eq(planned.step.rank()),
        escalations::due_at.eq(due_at),
        escalations::contact_id.eq(row.to),
        escalations::channel.eq(row.channel),
        escalations::address.eq(row.address),
        escalations::after_minutes.eq(row.after_minutes as i32),
        escalations::held_from.eq(held_from.map(to_db_time)),
        escalations::recipient_name.eq(row.name),
        escalations::recipient_role.eq(row.role),
        escalations::recipient_unit.eq(row.unit_code),
        escalations::status.eq(EscalationStatus::Pending),
        escalations::attempts.eq(0),
        escalations::next_attempt_at.eq(due_at),
        escalations::late.eq(false),
        escalations::message_id.eq(row.channel.message_id(&id, message_domain)),
        escalations::context.eq(row.context),
        escalations::created_at.eq(to_db_time(now)),
        escalations::updated_at.eq(to_db_time(now)),
    );
    let insert = diesel::insert_into(escalations::table)
        .values(values)
        .on_conflict_do_nothing();
    execute_native(conn, insert)
}

/// Inserts one pending row per recipient and channel their rule reaches them on, due the
/// rule's minutes after the step, and, for a clock's step, one per active robot of their
/// units; skipping those that exist already (unique per clock or period, step, person or
/// robot, and channel). Returns how many were new.
pub fn insert(
    conn: &mut DbConn,
    planned: &Planned,
    recipients: &[Recipient],
    addressing: &Addressing,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let robots = if planned.clock.is_some() {
        robots_for(conn, recipients, addressing)?
    } else {
        Vec::new()
    };
    let quiet = if planned.step.may_wait_for_quiet_hours() {
        let codes: Vec<&str> = recipients
            .iter()
            .map(|r| r.unit_code.as_str())
            .chain(robots.iter().map(|r| r.unit_code.as_str()))
            .collect();
        crate::store::units::quiet_hours_of(conn, &codes)?
    } else {
        HashMap::new()
    };
    let domain = (addressing, &quiet);
    let mut inserted = 0;
    for r in recipients {
        for route in r.routes(addressing) {
            let row = Row {
                to: r.contact_id.as_str(),
                channel: route.channel,
                address: &route.address,
                after_minutes: route.after_minutes,
                name: &r.name,
                role: &r.role,
                unit_code: &r.unit_code,
                context: planned.context,
            };
            inserted += insert_row(conn, planned, row, domain, now)?;
        }
    }
    for robot in robots {
        let context = serde_json::json!({ "mention_mobiles": robot.mentions }).to_string();
        let row = Row {
            to: &robot.robot_id,
            channel: robot.channel,
            address: &robot.robot_id,
            after_minutes: 0,
            name: &robot.name,
            role: "robot",
            unit_code: &robot.unit_code,
            context: Some(&context),
        };
        inserted += insert_row(conn, planned, row, domain, now)?;
    }
    Ok(inserted)
}

/// Plans a clock's step for these recipients.
pub fn plan_step(
    conn: &mut DbConn,
    clock_id: &ClockId,
    incident_id: &IncidentId,
    step: &PlannedStep,
    recipients: &[Recipient],
    addressing: &Addressing,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let planned = Planned {
        step: &step.step,
        due_at: step.due_at,
        clock: Some((clock_id, incident_id)),
        context: None,
    };
    insert(conn, &planned, recipients, addressing, now)
}

/// The filter `waiting` returns.
type WaitingFilter = diesel::dsl::Or<
    diesel::dsl::Eq<escalations::status, EscalationStatus>,
    diesel::dsl::And<
        diesel::dsl::Eq<escalations::status, EscalationStatus>,
        diesel::dsl::Gt<escalations::next_attempt_at, chrono::NaiveDateTime>,
    >,
>;

/// Rows still to be sent, as anything that changes them sees it: pending, or claimed by
/// an engine ahead of their moment (`engine.claim_ahead_ms`) and not yet due by the
/// database's clock (`db_now`, the one claims compare against). Changing such a row
/// takes it back from the engine, which checks at the moment and leaves it.
pub(super) fn waiting(conn: &mut DbConn) -> Result<WaitingFilter, AppError> {
    let now = to_db_time(db_now(conn)?);
    Ok(escalations::status
        .eq(EscalationStatus::Pending)
        .or(escalations::status
            .eq(EscalationStatus::Sending)
            .and(escalations::next_attempt_at.gt(now))))
}

/// Cancels what is still waiting to be sent for these clocks; `ladder_only` keeps the
/// new-major notice (it is news, not a reminder).
pub fn cancel_pending(
    conn: &mut DbConn,
    clock_ids: &[ClockId],
    ladder_only: bool,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let mut query = diesel::update(escalations::table)
        .filter(escalations::clock_id.eq_any(clock_ids))
        .filter(waiting(conn)?)
        .into_boxed();
    if ladder_only {
        query = query.filter(escalations::rank.ge(Step::FIRST_REMINDER_RANK));
    }
    Ok(query
        .set(Cancellation::because(reason, now))
        .execute(conn)?)
}

/// What cancelling a pending row writes: the status, why, and when.
#[derive(AsChangeset)]
#[diesel(table_name = escalations)]
pub(super) struct Cancellation<'a> {
    status: EscalationStatus,
    last_error: &'a str,
    updated_at: chrono::NaiveDateTime,
}

impl<'a> Cancellation<'a> {
    pub(super) fn because(reason: &'a str, now: DateTime<Utc>) -> Self {
        Self {
            status: EscalationStatus::Cancelled,
            last_error: reason,
            updated_at: to_db_time(now),
        }
    }
}

/// Cancels these rows if they are still waiting to be sent.
pub fn cancel(
    conn: &mut DbConn,
    ids: &[String],
    reason: &str,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(diesel::update(escalations::table)
        .filter(escalations::id.eq_any(ids))
        .filter(waiting(conn)?)
        .set(Cancellation::because(reason, now))
        .execute(conn)?)
}

/// A reminder still waiting, and whom it is for.
pub struct Waiting {
    pub id: String,
    pub step: Step,
    /// A person, or on a robot's channel the unit's robot.
    pub to: ContactId,
    pub channel: Channel,
    pub unit_code: String,
}

/// A clock's reminders still waiting for a moment after `now`.
pub fn future_reminders(
    conn: &mut DbConn,
    clock_id: &ClockId,
    now: DateTime<Utc>,
) -> Result<Vec<Waiting>, AppError> {
    type Row = (String, String, i32, ContactId, Channel, String);
    let rows: Vec<Row> = escalations::table
        .filter(escalations::clock_id.eq(clock_id))
        .filter(waiting(conn)?)
        .filter(escalations::rank.ge(Step::FIRST_REMINDER_RANK))
        .filter(escalations::due_at.gt(to_db_time(now)))
        .select((
            escalations::id,
            escalations::step,
            escalations::rank,
            escalations::contact_id,
            escalations::channel,
            escalations::recipient_unit,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, step, rank, to, channel, unit_code)| {
            let step = Step::from_stored(&step, rank).map_err(AppError::internal)?;
            Ok(Waiting {
                id,
                step,
                to,
                channel,
                unit_code,
            })
        })
        .collect()
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = escalations)]
struct NotificationRow {
    id: EscalationId,
    clock_id: Option<ClockId>,
    step: String,
    rank: i32,
    contact_id: ContactId,
    channel: Channel,
    address: String,
    after_minutes: i32,
    held_from: Option<chrono::NaiveDateTime>,
    recipient_name: String,
    recipient_role: String,
    recipient_unit: String,
    status: EscalationStatus,
    attempts: i32,
    last_error: Option<String>,
    due_at: chrono::NaiveDateTime,
    sent_at: Option<chrono::NaiveDateTime>,
    late: bool,
    message_id: String,
}

/// Every step and recipient of an incident's clocks, in due order.
pub fn for_incident(
    conn: &mut DbConn,
    incident_id: &IncidentId,
) -> Result<Vec<Notification>, AppError> {
    let rows: Vec<NotificationRow> = escalations::table
        .filter(escalations::incident_id.eq(incident_id))
        .order((
            escalations::due_at.asc(),
            escalations::rank.asc(),
            escalations::recipient_name.asc(),
            escalations::channel.asc(),
        ))
        .select(NotificationRow::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(|r| {
            Ok(Notification {
                status: r.status,
                step: Step::from_stored(&r.step, r.rank).map_err(AppError::internal)?,
                id: r.id,
                clock_id: r.clock_id,
                recipient: NotificationRecipient {
                    contact_id: r.contact_id,
                    name: r.recipient_name,
                    role: r.recipient_role,
                    unit_code: r.recipient_unit,
                },
                channel: r.channel,
                address: r.address,
                after_minutes: r.after_minutes.into(),
                held_from: r.held_from.map(from_db_time),
                attempts: r.attempts,
                last_error: r.last_error,
                due_at: from_db_time(r.due_at),
                sent_at: r.sent_at.map(from_db_time),
                late: r.late,
                message_id: r.message_id,
            })
        })
        .collect()
}

/// When the engine next has something to do: the earliest pending attempt or expiring
/// lease. In the past means the engine is behind by that much.
pub fn next_due(conn: &mut DbConn) -> Result<Option<DateTime<Utc>>, AppError> {
    let pending: Option<chrono::NaiveDateTime> = escalations::table
        .filter(escalations::status.eq(EscalationStatus::Pending))
        .select(diesel::dsl::min(escalations::next_attempt_at))
        .first(conn)?;
    let leased: Option<chrono::NaiveDateTime> = escalations::table
        .filter(escalations::status.eq(EscalationStatus::Sending))
        .select(diesel::dsl::min(escalations::lease_until))
        .first(conn)?;
    Ok(pending.into_iter().chain(leased).min().map(from_db_time))
}

/// How long the engine is behind at `now` (the database's time): 0 when nothing waits.
pub fn lag_seconds(conn: &mut DbConn, now: DateTime<Utc>) -> Result<i64, AppError> {
    Ok(next_due(conn)?.map_or(0, |due| (now - due).num_seconds().max(0)))
}

/// Running clocks past their deadline with nothing left to send: their series of
/// repeats broke off (e.g. nobody held the role when it was planned).
pub fn breached_without_pending(
    conn: &mut DbConn,
    now: DateTime<Utc>,
) -> Result<Vec<ClockId>, AppError> {
    use super::schema::clocks;
    let waiting = escalations::table
        .filter(escalations::status.eq_any([EscalationStatus::Pending, EscalationStatus::Sending]))
        .filter(escalations::clock_id.is_not_null())
        .select(escalations::clock_id.assume_not_null());
    Ok(clocks::table
        .filter(clocks::state.eq(crate::domain::clock::StoredState::Running))
        .filter(clocks::due_at.lt(to_db_time(now)))
        .filter(clocks::id.ne_all(waiting))
        .select(clocks::id)
        .load(conn)?)
}
