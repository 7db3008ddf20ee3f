//! Recording what happened to a send. Each update is fenced by the lease token: a
//! sender whose lease was taken over cannot overwrite the new owner's result. One
//! statement each, and accepted mails several to a statement: at a thousand mails a
//! second, round trips and commits count.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::domain::escalation::EscalationStatus;
use crate::domain::ids::EscalationId;
use crate::error::AppError;
use crate::store::schema::escalations;
use crate::store::{DbConn, to_db_time};

/// What became of a claimed escalation.
#[derive(Debug, Clone, PartialEq)]
pub enum SendResult {
    /// The server accepted the mail.
    Sent,
    /// A transient failure: try again at `at`.
    Retry { error: String, at: DateTime<Utc> },
    /// The server refused this recipient: no more attempts.
    Failed(String),
    /// The clock stopped after the row was claimed: the reminder is no longer true.
    Cancelled(String),
}

impl SendResult {
    fn status(&self) -> EscalationStatus {
        match self {
            Self::Sent => EscalationStatus::Sent,
            Self::Retry { .. } => EscalationStatus::Pending,
            Self::Failed(_) => EscalationStatus::Failed,
            Self::Cancelled(_) => EscalationStatus::Cancelled,
        }
    }

    fn error(&self) -> Option<&str> {
        match self {
            Self::Sent => None,
            Self::Retry { error, .. } | Self::Failed(error) | Self::Cancelled(error) => Some(error),
        }
    }
}

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

/// Records `result` for the rows among `ids` still held under `token`, and releases
/// their lease. Returns how many were recorded; the others' lease was lost meanwhile.
/// `now` is the sender's clock: these times are a record, compared with nothing but
/// each other.
pub fn record(
    conn: &mut DbConn,
    ids: &[EscalationId],
    token: &str,
    result: &SendResult,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let now = to_db_time(now);
    let status = result.status();
    let changes = Outcome {
        status: status.as_str(),
        last_error: Some(result.error()),
        sent_at: (status == EscalationStatus::Sent).then_some(now),
        next_attempt_at: match result {
            SendResult::Retry { at, .. } => Some(to_db_time(*at)),
            _ => None,
        },
        lease_token: Some(None),
        lease_until: Some(None),
        updated_at: now,
    };
    let n = diesel::update(
        escalations::table
            .filter(escalations::id.eq_any(ids))
            .filter(escalations::lease_token.eq(token))
            .filter(escalations::status.eq(EscalationStatus::Sending)),
    )
    .set(&changes)
    .execute(conn)?;
    Ok(n)
}
