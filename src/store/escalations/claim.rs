//! Claiming due escalations under a lease. PostgreSQL skips rows another replica holds
//! (FOR UPDATE SKIP LOCKED); SQLite has one writer, so the same statements suffice.
//! Everything compares against the database's clock, shared by every replica.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};

use crate::domain::escalation::Step;
use crate::domain::escalation::{Channel, EscalationStatus};
use crate::domain::ids::{ClockId, EscalationId, IncidentId};
use crate::error::AppError;
use crate::store::schema::escalations;
use crate::store::{DbConn, from_db_time, to_db_time};

#[derive(QueryableByName)]
struct Now {
    #[diesel(sql_type = Timestamp)]
    now: chrono::NaiveDateTime,
}

/// The database's current time in UTC.
pub fn db_now(conn: &mut DbConn) -> Result<DateTime<Utc>, AppError> {
    let now: Now = match conn {
        DbConn::Pg(c) => {
            diesel::sql_query("SELECT CAST(now() AT TIME ZONE 'UTC' AS TIMESTAMP) AS now")
                .get_result(c)?
        }
        DbConn::Sqlite(c) => {
            diesel::sql_query("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now') AS now").get_result(c)?
        }
    };
    Ok(from_db_time(now.now))
}

/// A claimed escalation: this caller may send it until the lease ends.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: EscalationId,
    /// None for reports (digest, summary), which belong to no clock or incident.
    pub clock_id: Option<ClockId>,
    pub incident_id: Option<IncidentId>,
    pub step: Step,
    pub due_at: DateTime<Utc>,
    /// When the row was planned (a row planned after its due time was late from birth).
    pub planned_at: DateTime<Utc>,
    pub channel: Channel,
    /// The person's address on the channel.
    pub address: String,
    pub recipient_name: String,
    pub recipient_role: String,
    pub attempts: i32,
    pub late: bool,
    pub message_id: String,
    pub lease_token: String,
    /// What a report mail says, as planned.
    pub context: Option<String>,
    /// When it may go: its due time, or its next attempt's after a failure. Claimed
    /// up to `ClaimSettings::ahead` before it; never sent earlier.
    pub send_at: DateTime<Utc>,
    /// How long after the database's now that the claim counted from `send_at` comes
    /// (zero for a row already due).
    pub ready_in: std::time::Duration,
}

#[derive(QueryableByName)]
struct ClaimedRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Nullable<Text>)]
    clock_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    incident_id: Option<String>,
    #[diesel(sql_type = Text)]
    step: String,
    #[diesel(sql_type = Integer)]
    rank: i32,
    #[diesel(sql_type = Timestamp)]
    due_at: chrono::NaiveDateTime,
    #[diesel(sql_type = Text)]
    channel: String,
    #[diesel(sql_type = Text)]
    address: String,
    #[diesel(sql_type = Text)]
    recipient_name: String,
    #[diesel(sql_type = Text)]
    recipient_role: String,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    late: bool,
    #[diesel(sql_type = Text)]
    message_id: String,
    #[diesel(sql_type = Text)]
    lease_token: String,
    #[diesel(sql_type = Nullable<Text>)]
    context: Option<String>,
    #[diesel(sql_type = Timestamp)]
    created_at: chrono::NaiveDateTime,
    #[diesel(sql_type = Timestamp)]
    next_attempt_at: chrono::NaiveDateTime,
}

impl ClaimedRow {
    fn into_claimed(self, now: DateTime<Utc>) -> Result<Claimed, AppError> {
        let send_at = from_db_time(self.next_attempt_at);
        Ok(Claimed {
            send_at,
            ready_in: (send_at - now).to_std().unwrap_or_default(),
            step: Step::from_stored(&self.step, self.rank).map_err(AppError::internal)?,
            id: self.id.into(),
            clock_id: self.clock_id.map(Into::into),
            incident_id: self.incident_id.map(Into::into),
            due_at: from_db_time(self.due_at),
            planned_at: from_db_time(self.created_at),
            channel: self.channel.parse().map_err(AppError::internal)?,
            address: self.address,
            recipient_name: self.recipient_name,
            recipient_role: self.recipient_role,
            attempts: self.attempts,
            late: self.late,
            message_id: self.message_id,
            lease_token: self.lease_token,
            context: self.context,
        })
    }
}

/// A reminder (rank ≥ `Step::FIRST_REMINDER_RANK`) is outranked when a more severe step
/// of the same clock *to the same person* is due too by the moment it goes (now, or its
/// own time when claimed ahead of it), on any channel: when several steps fall due
/// together (late logging, downtime), each person gets the most severe due step that
/// names them on each of their methods, and nobody named on a due step is left untold.
/// A method delayed by the person's rule ("SMS after 10 minutes") of a step already
/// followed by a more severe one is outranked the same way.
const OUTRANKED: &str = "(rank >= {FIRST_REMINDER_RANK} AND EXISTS (SELECT 1 FROM escalations h \
       WHERE h.clock_id = escalations.clock_id \
       AND h.contact_id = escalations.contact_id \
       AND h.rank > escalations.rank \
       AND h.due_at <= CASE WHEN escalations.next_attempt_at > $1 \
         THEN escalations.next_attempt_at ELSE $1 END \
       AND h.status IN ('pending', 'sending', 'sent', 'failed')))";

/// Pending reminders due by `$2` (now, plus how far ahead the engine claims) that are
/// outranked become `superseded`. Rows other replicas hold are skipped, so this never
/// waits on a lock.
const SUPERSEDE: &str = "UPDATE escalations SET status = 'superseded', updated_at = $1 \
     WHERE id IN (SELECT id FROM escalations \
       WHERE status = 'pending' AND next_attempt_at <= $2 AND {OUTRANKED} {LOCK})";

/// Due pending rows, or (`{WHICH}` = leases) rows whose lease ran out because their
/// sender died, become `sending` under a new lease. Two statements rather than one OR,
/// so each is a range scan on its own index.
const CLAIM: &str = "UPDATE escalations SET status = 'sending', lease_token = $2, \
       lease_until = $3, attempts = attempts + 1, updated_at = $1, \
       late = (late OR due_at < $4) \
     WHERE id IN (SELECT id FROM escalations WHERE {WHICH} LIMIT $5 {LOCK}) \
     RETURNING id, clock_id, incident_id, step, rank, due_at, channel, address, \
       recipient_name, recipient_role, attempts, late, message_id, lease_token, context, \
       created_at, next_attempt_at";
/// Pending rows due by `$6` (now, plus how far ahead the engine claims). Outranked rows
/// are left out here too, not only superseded before: PostgreSQL reads each statement
/// afresh, so rows committed between the two would otherwise all be claimed. The next
/// round supersedes them.
const DUE: &str = "status = 'pending' AND next_attempt_at <= $6 AND NOT {OUTRANKED} \
     ORDER BY next_attempt_at";
/// A row claimed ahead keeps its time when its holder dies (a lease outlasts the claim's
/// reach, so the time is always past by then; the condition says so and binds `$6`).
const EXPIRED: &str = "status = 'sending' AND lease_until < $1 AND next_attempt_at <= $6 \
     ORDER BY lease_until";

/// The statement for this backend: PostgreSQL locks what it claims and skips what
/// others hold; SQLite (one writer) needs no lock, and numbers its parameters `?N`
/// (its `$N` would be numbered by first appearance, not by N).
fn for_backend(sql: &str, conn: &DbConn) -> String {
    let sql = sql.replace("{OUTRANKED}", OUTRANKED).replace(
        "{FIRST_REMINDER_RANK}",
        &Step::FIRST_REMINDER_RANK.to_string(),
    );
    match conn {
        DbConn::Pg(_) => sql.replace("{LOCK}", "FOR UPDATE SKIP LOCKED"),
        DbConn::Sqlite(_) => sql.replace("{LOCK}", "").replace('$', "?"),
    }
}

#[derive(Debug, Clone)]
pub struct ClaimSettings {
    pub batch_size: i64,
    pub lease: Duration,
    pub late_after: Duration,
    /// Rows due this soon are claimed now, so that their incidents are loaded before
    /// they are due and they go out at their moment; the engine waits for it.
    pub ahead: Duration,
}

/// Claims up to `batch_size` due rows. Call inside a write transaction; `app::escalations`
/// plans what claiming a repeat calls for in the same one.
/// `now` is the database's time (`db_now`), shared by every replica.
pub fn claim_due(
    conn: &mut DbConn,
    settings: &ClaimSettings,
    now: DateTime<Utc>,
) -> Result<Vec<Claimed>, AppError> {
    let (at, until) = (to_db_time(now), to_db_time(now + settings.ahead));
    let supersede = for_backend(SUPERSEDE, conn);
    let superseded = match conn {
        DbConn::Pg(c) => diesel::sql_query(supersede)
            .bind::<Timestamp, _>(at)
            .bind::<Timestamp, _>(until)
            .execute(c)?,
        DbConn::Sqlite(c) => diesel::sql_query(supersede)
            .bind::<Timestamp, _>(at)
            .bind::<Timestamp, _>(until)
            .execute(c)?,
    };
    if superseded > 0 {
        tracing::info!(
            escalations.superseded = superseded,
            "superseded by a more severe step"
        );
    }
    take_due(conn, settings, now)
}

/// The claim statements of `claim_due` without its supersede statement before them:
/// what a claim does with rows committed after that statement looked.
pub fn take_due(
    conn: &mut DbConn,
    settings: &ClaimSettings,
    now: DateTime<Utc>,
) -> Result<Vec<Claimed>, AppError> {
    let at = to_db_time(now);
    let token = uuid::Uuid::new_v4().to_string();
    let mut claimed: Vec<Claimed> = Vec::new();
    for which in [EXPIRED, DUE] {
        let room = settings.batch_size - claimed.len() as i64;
        if room <= 0 {
            break;
        }
        let query = diesel::sql_query(for_backend(&CLAIM.replace("{WHICH}", which), conn))
            .bind::<Timestamp, _>(at)
            .bind::<Text, _>(&token)
            .bind::<Timestamp, _>(to_db_time(now + settings.lease))
            .bind::<Timestamp, _>(to_db_time(now - settings.late_after))
            .bind::<BigInt, _>(room)
            .bind::<Timestamp, _>(to_db_time(now + settings.ahead));
        let rows = match conn {
            DbConn::Pg(c) => query.load::<ClaimedRow>(c)?,
            DbConn::Sqlite(c) => query.load::<ClaimedRow>(c)?,
        };
        for row in rows {
            claimed.push(row.into_claimed(now)?);
        }
    }
    Ok(claimed)
}

/// Extends the lease of every row still sending under `token` to `seconds` from the
/// database's now. Returns how many rows it still covers.
pub fn renew_lease(conn: &mut DbConn, token: &str, seconds: f64) -> Result<usize, AppError> {
    let now = db_now(conn)?;
    let until = now + Duration::microseconds((seconds * 1e6) as i64);
    Ok(diesel::update(
        escalations::table
            .filter(escalations::lease_token.eq(token))
            .filter(escalations::status.eq(EscalationStatus::Sending)),
    )
    .set(escalations::lease_until.eq(to_db_time(until)))
    .execute(conn)?)
}

/// Which of `ids` are still sending under `token`: a row claimed ahead of its moment and
/// then stopped, acknowledged or moved was taken back (`super::waiting`) and is not.
pub fn still_held(
    conn: &mut DbConn,
    ids: &[EscalationId],
    token: &str,
) -> Result<std::collections::HashSet<EscalationId>, AppError> {
    let mut held = std::collections::HashSet::with_capacity(ids.len());
    // Within SQLite's limit of bound parameters per statement.
    for ids in ids.chunks(10_000) {
        let rows: Vec<EscalationId> = escalations::table
            .filter(escalations::id.eq_any(ids))
            .filter(escalations::lease_token.eq(token))
            .filter(escalations::status.eq(EscalationStatus::Sending))
            .select(escalations::id)
            .load(conn)?;
        held.extend(rows);
    }
    Ok(held)
}
