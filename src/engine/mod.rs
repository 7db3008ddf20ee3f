//! The escalation engine: claims due escalations from the database under a lease,
//! sends them outside the transaction, and records each result fenced by the lease.
//! The database is the only source of truth; nothing here survives a restart or
//! needs to.

mod deliver;
mod health;
mod lease;
mod phases;
mod record;
mod reports;
mod watchdog;

pub use health::Health;
pub use watchdog::Checkup;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, watch};

use chrono_tz::Tz;

use crate::app;
use crate::config::EngineSettings;
use crate::domain::clock::ClockRules;
use crate::domain::escalation::Addressing;
use crate::domain::time::TimeSource;
use crate::error::AppError;
use crate::notify::Channels;
use crate::store::Store;
use crate::store::escalations::{self, ClaimSettings};
use crate::store::revision;

pub struct Engine {
    store: Store,
    channels: Arc<Channels>,
    settings: EngineSettings,
    claim: ClaimSettings,
    addressing: Addressing,
    wake: Arc<Notify>,
    health: Arc<Health>,
    sends: Arc<Semaphore>,
    rules: Arc<ClockRules>,
    zone: Tz,
    time: Arc<dyn TimeSource>,
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

impl Engine {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Store,
        channels: Arc<Channels>,
        settings: EngineSettings,
        rules: Arc<ClockRules>,
        (addressing, zone): (Addressing, Tz),
        wake: Arc<Notify>,
        health: Arc<Health>,
        time: Arc<dyn TimeSource>,
    ) -> Self {
        let claim = ClaimSettings {
            batch_size: settings.batch_size,
            lease: chrono::Duration::seconds(settings.lease_seconds),
            late_after: chrono::Duration::seconds(settings.late_after_seconds),
            ahead: chrono::Duration::milliseconds(settings.claim_ahead_ms as i64),
        };
        Self {
            zone,
            rules,
            sends: Arc::new(Semaphore::new(settings.max_concurrent_sends)),
            store,
            channels,
            settings,
            claim,
            addressing,
            wake,
            health,
            time,
        }
    }

    /// The wall clock the engine stamps its records with (claims use the database's).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.time.now()
    }

    /// Runs rounds until `shutdown` turns true. Between rounds it sleeps until the next
    /// escalation is due (at most `poll_interval_ms`, which also picks up rows other
    /// replicas planned), or until woken because something new was planned.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) -> Result<(), AppError> {
        tracing::info!("escalation engine started");
        while !*shutdown.borrow() {
            if let Err(e) = self.round(&shutdown).await {
                // The database may be briefly away; the rows wait for the next round.
                tracing::error!(error = %e.chain(), "escalation round failed");
            }
            let pause = self.pause().await;
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(pause) => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!("escalation engine stopped");
        Ok(())
    }

    /// Claims and sends batches until nothing is due (or shutdown is asked for).
    pub async fn round(&self, shutdown: &watch::Receiver<bool>) -> Result<Round, AppError> {
        let mut total = Round::default();
        loop {
            let (settings, addressing) = (self.claim.clone(), self.addressing.clone());
            let started = std::time::Instant::now();
            let claimed_at = tokio::time::Instant::now();
            let claim = self
                .store
                .write(move |conn| app::escalations::claim_due(conn, &settings, &addressing))
                .await?;
            self.health.swept(self.time.now());
            if claim.rows.is_empty() {
                return Ok(total);
            }
            let claim_ms = started.elapsed().as_millis() as u64;
            let read_at = tokio::time::Instant::from_std(claim.read_at);
            let round = self
                .deliver(claim.rows, (claimed_at, read_at), shutdown)
                .await;
            // Notifications and each clock's next step changed: dashboards revalidate.
            self.store.write(revision::bump).await?;
            tracing::debug!(
                claimed = round.claimed,
                sent = round.sent,
                claim_ms,
                batch_ms = started.elapsed().as_millis() as u64,
                "escalation batch"
            );
            total.claimed += round.claimed;
            total.sent += round.sent;
            total.retried += round.retried;
            total.failed += round.failed;
            if *shutdown.borrow() {
                return Ok(total);
            }
        }
    }

    /// Lets the channels close connections idle past their limit (called by the sweep).
    pub fn close_idle_connections(&self) {
        self.channels.close_idle();
    }

    /// Time until the next escalation is due, within the poll interval.
    async fn pause(&self) -> Duration {
        let max = Duration::from_millis(self.settings.poll_interval_ms);
        let next = self
            .store
            .run(|conn| {
                let now = escalations::db_now(conn)?;
                Ok(escalations::next_due(conn)?.map(|at| at - now))
            })
            .await;
        // Rows are claimed `claim_ahead_ms` before they are due.
        let ahead = self.claim.ahead;
        match next {
            Ok(Some(left)) => (left - ahead).to_std().unwrap_or(Duration::ZERO).min(max),
            _ => max,
        }
    }
}
