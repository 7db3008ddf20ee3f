//! Use cases: what each front door (the JSON API, the web console, the CLI) asks the
//! service to do, as methods of one [`App`]. A method opens the transaction it needs,
//! checks who may do it, applies the domain's rules through `store`, and does what must
//! follow a commit (waking the engine). The front doors never see a connection.

pub mod accounts;
pub mod acknowledge;
pub mod briefings;
pub mod clocks;
pub mod directory;
pub mod escalations;
pub mod incidents;
pub mod listing;
pub mod once;
pub mod overview;
pub mod passwords;
pub mod reports;
pub mod robots;
pub mod spreadsheet;
pub mod test_message;
pub mod timeliness;
pub mod tokens;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use tokio::sync::Notify;

use crate::domain::clock::ClockRules;
use crate::domain::time::TimeSource;
use crate::error::AppError;
use crate::store::{DbConn, Store};

pub use once::Once;

/// What planning clocks and their mail needs beyond the incident: the rules, and the
/// domain part of Message-IDs. Cheap to clone into a blocking closure.
#[derive(Clone)]
pub struct Planning {
    pub rules: Arc<ClockRules>,
    /// The channels sent on and the domain of Message-IDs.
    pub addressing: crate::domain::escalation::Addressing,
}

/// The service both front doors, the CLI and the jobs call. Cheap to clone.
#[derive(Clone)]
pub struct App {
    store: Store,
    planning: Planning,
    /// Wakes the engine when a write planned escalations.
    wake: Arc<Notify>,
    time: Arc<dyn TimeSource>,
    zone: Tz,
    /// Hashes and checks passwords, a few at a time.
    passwords: passwords::Passwords,
    /// The senders, for test messages (none in a command-line run).
    channels: Option<Arc<crate::notify::Channels>>,
}

impl App {
    pub fn new(
        store: Store,
        planning: Planning,
        wake: Arc<Notify>,
        time: Arc<dyn TimeSource>,
        zone: Tz,
        passwords: passwords::Passwords,
    ) -> Self {
        Self {
            store,
            planning,
            wake,
            time,
            zone,
            passwords,
            channels: None,
        }
    }

    /// Sends test messages through these senders (the server's; the engine's too).
    pub fn with_channels(mut self, channels: Arc<crate::notify::Channels>) -> Self {
        self.channels = Some(channels);
        self
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.time.now()
    }

    /// The offices' time zone (`time.zone`): what people read times in.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The clock kinds of this service (`clocks`): their labels, forms and order.
    pub fn clock_rules(&self) -> &ClockRules {
        &self.planning.rules
    }

    /// For what runs beside the use cases on the same database: the event feed, the
    /// engine's loop.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Reads outside a write transaction.
    async fn read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        self.store.run(f).await
    }

    /// One write transaction (queued behind this process's other SQLite writers, and
    /// counted as a change for pollers).
    async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        self.store.write(f).await
    }

    /// A write that may have planned escalations: the engine looks at once rather than
    /// at its next tick.
    async fn write_and_wake<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let written = self.write(f).await?;
        self.wake.notify_one();
        Ok(written)
    }
}
