//! One counter that moves whenever something a dashboard shows may have changed: an
//! incident or its clocks (each timeline event takes the next value as its `seq`), a
//! clock entering a new phase, a round of mail delivered, a unit renamed. A poll whose
//! ETag carries the current value is answered 304 after reading this one row.
//!
//! The row is locked until the writing transaction commits, so values become visible in
//! order: a reader that saw value n has seen every event up to n.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use diesel::prelude::*;

use super::DbConn;
use super::schema::change_counter;
use crate::error::AppError;

const ROW: i32 = 1;

/// Takes the next value (inside the caller's transaction, if any).
pub fn bump(conn: &mut DbConn) -> Result<i64, AppError> {
    diesel::update(change_counter::table.find(ROW))
        .set(change_counter::value.eq(change_counter::value + 1))
        .execute(conn)?;
    current(conn)
}

pub fn current(conn: &mut DbConn) -> Result<i64, AppError> {
    Ok(change_counter::table
        .find(ROW)
        .select(change_counter::value)
        .first(conn)?)
}

/// How long a read of the counter is reused. Another replica's change reaches this
/// replica's 304 answers within this time; this replica's own writes reach them at once.
pub const FRESH_FOR: Duration = Duration::from_millis(250);

/// The last value read, when it was read, and how many writes this process has
/// committed (so a read that raced a local write is not kept).
#[derive(Default)]
pub struct Cached(Mutex<CachedState>);

#[derive(Default)]
struct CachedState {
    value: i64,
    read_at: Option<Instant>,
    writes: u64,
}

/// Taken before reading: the moment and the writes seen so far.
pub struct Ticket {
    at: Instant,
    writes: u64,
}

impl Cached {
    pub fn fresh(&self) -> Option<i64> {
        let state = self.0.lock().ok()?;
        state
            .read_at
            .filter(|at| at.elapsed() < FRESH_FOR)
            .map(|_| state.value)
    }

    pub fn ticket(&self) -> Ticket {
        let writes = self.0.lock().map_or(u64::MAX, |s| s.writes);
        Ticket {
            at: Instant::now(),
            writes,
        }
    }

    /// Keeps a value read after `ticket` was taken, unless a local write came in between.
    pub fn remember(&self, ticket: Ticket, value: i64) {
        if let Ok(mut state) = self.0.lock()
            && state.writes == ticket.writes
        {
            state.value = value;
            state.read_at = Some(ticket.at);
        }
    }

    /// A local write committed: the next read goes to the database.
    pub fn forget(&self) {
        if let Ok(mut state) = self.0.lock() {
            state.writes += 1;
            state.read_at = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_is_reused_until_a_local_write() {
        let cached = Cached::default();
        assert_eq!(cached.fresh(), None);
        cached.remember(cached.ticket(), 7);
        assert_eq!(cached.fresh(), Some(7));
        cached.forget();
        assert_eq!(cached.fresh(), None);
        // A read that started before a local write committed is not kept.
        let ticket = cached.ticket();
        cached.forget();
        cached.remember(ticket, 8);
        assert_eq!(cached.fresh(), None);
    }
}
