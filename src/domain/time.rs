//! "Now" comes from here (not to be confused with the deadline clocks in `clock`), so logic that depends on time can be tested without sleeping.

use chrono::{DateTime, Utc};

pub trait TimeSource: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl TimeSource for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
