//! Periodic self-check: repairs breached clocks whose repeats broke off, reports how far
//! behind the engine is, and forgets expired console sessions, stale sign-in counts and
//! expired stream tickets.

use super::Engine;
use crate::app;
use crate::error::AppError;
use crate::store::{escalations, forms, sessions, throttle, tokens};

/// What the watchdog saw.
#[derive(Debug, Clone, Copy)]
pub struct Checkup {
    pub repaired_clocks: usize,
    pub lag_seconds: i64,
    pub expired_sessions: usize,
}

impl Engine {
    pub async fn watchdog(&self) -> Result<Checkup, AppError> {
        let addressing = self.addressing.clone();
        let checkup = self
            .store
            .write(move |conn| {
                let now = escalations::db_now(conn)?;
                let repaired_clocks =
                    app::escalations::repair_broken_repeats(conn, &addressing, now)?;
                let lag_seconds = escalations::lag_seconds(conn, now)?;
                let expired_sessions = sessions::purge_expired(conn, now)?;
                throttle::purge(conn, now - chrono::Duration::days(1))?;
                forms::purge(conn, now - chrono::Duration::days(2))?;
                tokens::purge_tickets(conn, now)?;
                Ok(Checkup {
                    repaired_clocks,
                    lag_seconds,
                    expired_sessions,
                })
            })
            .await?;
        if checkup.repaired_clocks > 0 {
            tracing::warn!(
                clocks = checkup.repaired_clocks,
                "replanned repeats of breached clocks"
            );
            self.wake.notify_one();
        }
        if checkup.lag_seconds > self.settings.stall_after_seconds {
            tracing::error!(
                engine.lag_seconds = checkup.lag_seconds,
                "escalations are overdue: is the engine running?"
            );
        }
        Ok(checkup)
    }
}
