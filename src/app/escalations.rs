//! The engine's use cases over the escalation queue: claiming due mail, and repairing
//! breached clocks whose series of repeats broke off.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::clocks::plan_next_repeat;
use crate::domain::escalation::Addressing;
use crate::domain::ids::ClockId;
use crate::error::AppError;
use crate::store::DbConn;
use crate::store::escalations::{self, ClaimSettings, Claimed};

/// What one claim took.
pub struct Claim {
    pub rows: Vec<Claimed>,
    /// A local instant just after the database's now that the claim counted from was
    /// read: a row's moment comes no sooner than its `ready_in` after it.
    pub read_at: std::time::Instant,
}

/// Claims due escalations (and those due within `settings.ahead`) and, for each clock
/// whose repeat was claimed, plans the next repeat in the same transaction.
pub fn claim_due(
    conn: &mut DbConn,
    settings: &ClaimSettings,
    addressing: &Addressing,
) -> Result<Claim, AppError> {
    let now = escalations::db_now(conn)?;
    let read_at = std::time::Instant::now();
    let claimed = escalations::claim_due(conn, settings, now)?;
    // The repeat after the one claimed; claimed ahead, that one is not yet due, so the
    // next is counted from its moment.
    let mut repeats: BTreeMap<&ClockId, DateTime<Utc>> = BTreeMap::new();
    for row in claimed.iter().filter(|c| c.step.is_repeat()) {
        if let Some(clock_id) = &row.clock_id {
            let after = repeats.entry(clock_id).or_insert(now);
            *after = (*after).max(row.send_at);
        }
    }
    for (clock_id, after) in repeats {
        plan_next_repeat(conn, clock_id, addressing, (after, now))?;
    }
    Ok(Claim {
        rows: claimed,
        read_at,
    })
}

/// Running clocks past their deadline with nothing left to send get their next repeat
/// planned. Returns how many were repaired.
pub fn repair_broken_repeats(
    conn: &mut DbConn,
    addressing: &Addressing,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let mut repaired = 0;
    for clock_id in escalations::breached_without_pending(conn, now)? {
        if plan_next_repeat(conn, &clock_id, addressing, (now, now))? > 0 {
            repaired += 1;
        } else {
            tracing::warn!(clock.id = %clock_id, "breached clock has nobody left to remind (no contact holds the repeat roles)");
        }
    }
    Ok(repaired)
}
