//! Recording what happened to a send. Each update is fenced by the lease token: a
//! sender whose lease was taken over cannot overwrite the new owner's result. One
//! statement each, and accepted mails several to a statement: at a thousand mails a
//! second, round trips and commits count.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::domain::escalation::EscalationStatus;
use crate::error::AppError;
use crate::store::schema::escalations;
use crate::store::{DbConn, to_db_time};

/// The columns a result sets; `None` leaves a column as it is, `Some(None)` clears it.
#[derive(AsChangeset)]
#[diesel(table_name = escalations)]
struct Outcome<'a> {
    status: &'static str,
    last_error: Option<Option<&'a str>>,
    sent_at: Option<NaiveDateTime>,
    next_attempt_at: Option<NaiveDateTime>,
    lease_token: Option<Option<String>>,
    lease_until: Option<Option<NaiveDateTime>>,
    updated_at: NaiveDateTime,
}

/// Returns how many of `ids` were still held under `token`.
fn record(
    conn: &mut DbConn,
    ids: &[&str],
    token: &str,
    status: EscalationStatus,
    error: Option<&str>,
    next_attempt_at: Option<DateTime<Utc>>,
) -> Result<usize, AppError> {
    // The sender's clock: these times are a record, compared with nothing but each other.
    let now = to_db_time(Utc::now());
    let result = Outcome {
        status: status.as_str(),
        last_error: Some(error),
        sent_at: (status == EscalationStatus::Sent).then_some(now),
        next_attempt_at: next_attempt_at.map(to_db_time),
        lease_token: Some(None),
        lease_until: Some(None),
        updated_at: now,
    };
    let n = diesel::update(
        escalations::table
            .filter(escalations::id.eq_any(ids))
            .filter(escalations::lease_token.eq(token))
            .filter(escalations::status.eq(EscalationStatus::Sending.as_str())),
    )
    .set(&result)
    .execute(conn)?;
    Ok(n)
}

/// The server accepted these mails, all claimed under `token`. Returns how many were
/// recorded; the others' lease was lost meanwhile.
pub fn mark_sent(conn: &mut DbConn, ids: &[&str], token: &str) -> Result<usize, AppError> {
    record(conn, ids, token, EscalationStatus::Sent, None, None)
}

/// A transient failure: try again at `next_attempt_at`.
pub fn mark_retry(
    conn: &mut DbConn,
    id: &str,
    token: &str,
    error: &str,
    next_attempt_at: DateTime<Utc>,
) -> Result<bool, AppError> {
    let n = record(
        conn,
        &[id],
        token,
        EscalationStatus::Pending,
        Some(error),
        Some(next_attempt_at),
    )?;
    Ok(n == 1)
}

/// A permanent failure (the server refused this recipient): no more attempts.
pub fn mark_failed(
    conn: &mut DbConn,
    id: &str,
    token: &str,
    error: &str,
) -> Result<bool, AppError> {
    let n = record(
        conn,
        &[id],
        token,
        EscalationStatus::Failed,
        Some(error),
        None,
    )?;
    Ok(n == 1)
}

/// The clock stopped after this row was claimed: the reminder is no longer true.
pub fn mark_cancelled(
    conn: &mut DbConn,
    id: &str,
    token: &str,
    reason: &str,
) -> Result<bool, AppError> {
    let n = record(
        conn,
        &[id],
        token,
        EscalationStatus::Cancelled,
        Some(reason),
        None,
    )?;
    Ok(n == 1)
}
