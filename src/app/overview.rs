//! What dashboards and operators read at a glance: the board, the metrics' counts, and
//! whether the engine keeps up.

use chrono::{DateTime, Utc};

use super::App;
use crate::domain::board::Board;
use crate::error::AppError;
use crate::store::gauges::{self, Gauges};
use crate::store::{Backend, board, escalations};

/// How far behind the engine is, by the database's clock.
pub struct EngineLag {
    pub now: DateTime<Utc>,
    /// The oldest due escalation's wait, in seconds (0 when none waits).
    pub lag_seconds: i64,
}

impl App {
    /// The board for a scope (a unit's path; none for the whole country).
    pub async fn board(&self, scope: Option<String>) -> Result<Board, AppError> {
        let now = self.now();
        self.read(move |conn| board::board(conn, scope.as_deref(), now))
            .await
    }

    /// Counts for the metrics endpoint, read at each scrape.
    pub async fn gauges(&self) -> Result<Gauges, AppError> {
        self.read(gauges::read).await
    }

    /// Ok when the database answers and no migration is pending; says which backend.
    pub async fn ready(&self) -> Result<Backend, AppError> {
        self.store.ready().await?;
        Ok(self.store.backend())
    }

    pub async fn engine_lag(&self) -> Result<EngineLag, AppError> {
        self.read(|conn| {
            let now = escalations::db_now(conn)?;
            Ok(EngineLag {
                now,
                lag_seconds: escalations::lag_seconds(conn, now)?,
            })
        })
        .await
    }

    /// The change counter (see `Store::change_counter` for how fresh).
    pub async fn change_counter(&self) -> Result<i64, AppError> {
        self.store.change_counter().await
    }
}
