//! The engine's use cases over the escalation queue: claiming due mail, and repairing
//! breached clocks whose series of repeats broke off.

use chrono::{DateTime, Utc};

use super::clocks::plan_next_repeat;
use crate::domain::escalation::Addressing;
use crate::domain::ids::ClockId;
use crate::error::AppError;
use crate::store::DbConn;
use crate::store::escalations::{self, ClaimSettings, Claimed};

/// Claims due escalations and, for each clock whose repeat was claimed, plans the next
/// repeat in the same transaction.
pub fn claim_due(
    conn: &mut DbConn,
    settings: &ClaimSettings,
    addressing: &Addressing,
) -> Result<Vec<Claimed>, AppError> {
    let now = escalations::db_now(conn)?;
    let claimed = escalations::claim_due(conn, settings, now)?;
    let mut clock_ids: Vec<&ClockId> = claimed
        .iter()
        .filter(|c| c.step.is_repeat())
        .filter_map(|c| c.clock_id.as_ref())
        .collect();
    clock_ids.sort_unstable();
    clock_ids.dedup();
    for clock_id in clock_ids {
        plan_next_repeat(conn, clock_id, addressing, now)?;
    }
    Ok(claimed)
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
        if plan_next_repeat(conn, &clock_id, addressing, now)? > 0 {
            repaired += 1;
        } else {
            tracing::warn!(clock.id = %clock_id, "breached clock has nobody left to remind (no contact holds the repeat roles)");
        }
    }
    Ok(repaired)
}
