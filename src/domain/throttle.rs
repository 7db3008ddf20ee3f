//! Sign-in throttling: who may have a password checked now. A check is reserved before
//! the password is read and settled after: failures and checks still in flight together
//! never exceed a limit, so parallel guesses cannot all slip under it, while correct
//! sign-ins arriving together only wait their turn (a few milliseconds) instead of
//! locking anybody out. Only failures lock.

use chrono::{DateTime, Duration, Utc};

/// A check reserved this long ago and never settled (its process died) no longer
/// holds a place.
pub const IN_FLIGHT_FOR: Duration = Duration::seconds(30);

/// What is counted: failures against one login (known or not, so an unknown login locks
/// and reads exactly like a real one), failures from one client address (any login), and
/// every password check from one client address (a flood's brake, successes included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Login(String),
    Client(String),
    SignIns(String),
}

impl Subject {
    /// The key of its row.
    pub fn key(&self) -> String {
        match self {
            Self::Login(login) => format!("login:{login}"),
            Self::Client(ip) => format!("client:{ip}"),
            Self::SignIns(ip) => format!("sign_ins:{ip}"),
        }
    }

    /// What a settled check adds: a failure counts against a login or a client; every
    /// check counts against the brake; a success clears a login's failures.
    fn settle(&self, outcome: Outcome) -> Effect {
        match (self, outcome) {
            (Self::SignIns(_), _) | (_, Outcome::Failed) => Effect::Count,
            (Self::Login(_), Outcome::Succeeded) => Effect::Reset,
            (Self::Client(_), Outcome::Succeeded) => Effect::Nothing,
        }
    }
}

/// How a checked password turned out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    Failed,
}

enum Effect {
    Count,
    Reset,
    Nothing,
}

/// A subject's state: counted failures within a window as long as the lock, the lock,
/// and the checks reserved but not settled yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub failures: i32,
    pub window_started_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
    pub in_flight: i32,
    pub in_flight_at: Option<DateTime<Utc>>,
}

impl Count {
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            failures: 0,
            window_started_at: now,
            locked_until: None,
            in_flight: 0,
            in_flight_at: None,
        }
    }

    /// The same, with a passed window's failures and stale checks forgotten.
    fn current(mut self, window: Duration, now: DateTime<Utc>) -> Self {
        if self.window_started_at + window <= now {
            self.failures = 0;
            self.window_started_at = now;
        }
        if self.in_flight_at.is_none_or(|at| at + IN_FLIGHT_FOR <= now) {
            self.in_flight = 0;
        }
        self
    }
}

/// What reserving a check decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The password may be checked; settle it afterwards.
    Allowed,
    /// Checks in flight use up what the limit leaves: ask again in a moment.
    Busy,
    /// Locked until then: nothing is checked.
    Locked { until: DateTime<Utc> },
}

/// Reserves a check against `limit`; the new state when allowed.
pub fn reserve(
    count: Count,
    limit: i32,
    window: Duration,
    now: DateTime<Utc>,
) -> (Count, Reservation) {
    if let Some(until) = count.locked_until.filter(|u| *u > now) {
        return (count, Reservation::Locked { until });
    }
    let mut count = count.current(window, now);
    if count.failures + count.in_flight >= limit {
        return (count, Reservation::Busy);
    }
    count.in_flight += 1;
    count.in_flight_at = Some(now);
    (count, Reservation::Allowed)
}

/// Settles a reserved check: its place is freed, and what it counts is counted. Returns
/// the new state and the end of the lock this check set, if it reached the limit. A lock
/// in force is never shortened or cleared here.
pub fn settle(
    subject: &Subject,
    count: Count,
    outcome: Outcome,
    limit: i32,
    window: Duration,
    now: DateTime<Utc>,
) -> (Count, Option<DateTime<Utc>>) {
    let mut count = count.current(window, now);
    count.in_flight = (count.in_flight - 1).max(0);
    let mut locks = None;
    match subject.settle(outcome) {
        Effect::Count => {
            count.failures += 1;
            if count.failures >= limit && count.locked_until.is_none_or(|u| u <= now) {
                let until = now + window;
                count.locked_until = Some(until);
                locks = Some(until);
            }
        }
        Effect::Reset => count.failures = 0,
        Effect::Nothing => {}
    }
    (count, locks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + Duration::minutes(minute)
    }

    const W: Duration = Duration::minutes(15);

    #[test]
    fn parallel_checks_never_exceed_what_the_limit_leaves() {
        let login = Subject::Login("duty".into());
        let mut count = Count::new(at(0));
        let mut allowed = 0;
        for _ in 0..40 {
            let (next, r) = reserve(count, 5, W, at(0));
            count = next;
            allowed += usize::from(r == Reservation::Allowed);
        }
        assert_eq!(allowed, 5, "the rest wait");
        // All five fail: the fifth locks, and whoever waited is then refused.
        let mut locks = Vec::new();
        for _ in 0..5 {
            let (next, lock) = settle(&login, count, Outcome::Failed, 5, W, at(0));
            count = next;
            locks.push(lock);
        }
        assert_eq!(locks[..4], [None; 4]);
        assert_eq!(locks[4], Some(at(15)));
        assert_eq!(
            reserve(count, 5, W, at(1)).1,
            Reservation::Locked { until: at(15) }
        );
    }

    #[test]
    fn correct_sign_ins_together_wait_and_lock_nobody() {
        let client = Subject::Client("192.0.2.7".into());
        let mut count = Count::new(at(0));
        for _ in 0..100 {
            let (next, r) = reserve(count, 3, W, at(0));
            assert_eq!(r, Reservation::Allowed);
            let (next, lock) = settle(&client, next, Outcome::Succeeded, 3, W, at(0));
            assert_eq!(lock, None);
            count = next;
        }
        assert_eq!(count.failures, 0);
        let (busy, _) = reserve(count, 1, W, at(0));
        assert_eq!(reserve(busy, 1, W, at(0)).1, Reservation::Busy);
    }

    #[test]
    fn a_success_resets_a_login_but_not_a_client() {
        let (login, client) = (Subject::Login("a".into()), Subject::Client("b".into()));
        let failed = |s: &Subject| {
            let (c, _) = reserve(Count::new(at(0)), 5, W, at(0));
            let (c, _) = settle(s, c, Outcome::Failed, 5, W, at(0));
            let (c, _) = reserve(c, 5, W, at(0));
            settle(s, c, Outcome::Succeeded, 5, W, at(0)).0
        };
        assert_eq!(failed(&login).failures, 0);
        assert_eq!(failed(&client).failures, 1);
    }

    #[test]
    fn the_brake_counts_every_check() {
        let brake = Subject::SignIns("b".into());
        let mut count = Count::new(at(0));
        for _ in 0..3 {
            let (c, _) = reserve(count, 3, W, at(0));
            count = settle(&brake, c, Outcome::Succeeded, 3, W, at(0)).0;
        }
        assert_eq!(
            reserve(count, 3, W, at(1)).1,
            Reservation::Locked { until: at(15) }
        );
    }

    #[test]
    fn a_lock_ends_failures_age_out_and_dead_checks_free_their_place() {
        let login = Subject::Login("a".into());
        let (c, _) = reserve(Count::new(at(0)), 1, W, at(0));
        let (c, lock) = settle(&login, c, Outcome::Failed, 1, W, at(0));
        assert_eq!(lock, Some(at(15)));
        let (c, r) = reserve(c, 1, W, at(15));
        assert_eq!(r, Reservation::Allowed, "the lock ended, the count with it");
        assert_eq!(reserve(c, 1, W, at(15)).1, Reservation::Busy);
        // That check's process died: after IN_FLIGHT_FOR its place is free.
        assert_eq!(reserve(c, 1, W, at(16)).1, Reservation::Allowed);
    }

    #[test]
    fn subjects_never_share_a_key() {
        let keys = [
            Subject::Login("a".into()).key(),
            Subject::Client("a".into()).key(),
            Subject::SignIns("a".into()).key(),
        ];
        assert_eq!(
            keys.len(),
            keys.iter().collect::<std::collections::HashSet<_>>().len()
        );
    }
}
