//! When this replica's engine and scheduler last ran, for /readyz.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

#[derive(Default)]
pub struct Health {
    last_sweep_ms: AtomicI64,
    last_tick_ms: AtomicI64,
}

fn at(ms: i64) -> Option<DateTime<Utc>> {
    (ms > 0)
        .then(|| DateTime::from_timestamp_millis(ms))
        .flatten()
}

impl Health {
    pub fn swept(&self, now: DateTime<Utc>) {
        self.last_sweep_ms
            .store(now.timestamp_millis(), Ordering::Relaxed);
    }

    pub fn ticked(&self, now: DateTime<Utc>) {
        self.last_tick_ms
            .store(now.timestamp_millis(), Ordering::Relaxed);
    }

    pub fn last_sweep(&self) -> Option<DateTime<Utc>> {
        at(self.last_sweep_ms.load(Ordering::Relaxed))
    }

    pub fn last_tick(&self) -> Option<DateTime<Utc>> {
        at(self.last_tick_ms.load(Ordering::Relaxed))
    }
}
