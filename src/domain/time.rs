//! "Now" comes from here (not to be confused with the deadline clocks in `clock`): the
//! HTTP handlers and the engine read it through `TimeSource`, so a test can move time
//! forward without sleeping. Claims and leases compare against the database's clock
//! instead, which every replica shares.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

pub trait TimeSource: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl TimeSource for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The system clock moved forward by an offset that can grow while running: for tests
/// of what happens later (a link expiring) without waiting for it.
#[derive(Default)]
pub struct ShiftedClock {
    offset_ms: AtomicI64,
}

impl ShiftedClock {
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.num_milliseconds(), Ordering::Relaxed);
    }
}

impl TimeSource for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }
}

/// "2026年11月22日 13:00" in the office's zone: how every mail and page shows a time.
pub fn local_time(t: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    t.with_timezone(&zone)
        .format("%Y年%m月%d日 %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shifted_clock_runs_ahead_by_what_it_was_advanced() {
        let clock = ShiftedClock::default();
        clock.advance(Duration::hours(49));
        let ahead = clock.now() - Utc::now();
        assert!(
            ahead > Duration::hours(49) - Duration::seconds(1),
            "{ahead}"
        );
        assert!(ahead <= Duration::hours(49), "{ahead}");
    }
}
