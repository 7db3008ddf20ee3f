//! Sign-in throttling: who may have a password checked now. Each attempt is counted
//! *before* its password is checked, so parallel guesses cannot all slip under a limit
//! that was read before any of them was recorded; a success gives its count back.

use chrono::{DateTime, Duration, Utc};

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
}

/// A subject's count: attempts within a window as long as the lock, and the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub attempts: i32,
    pub window_started_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
}

/// What counting one more attempt decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The password may be checked. `locks` is the end of the lock this attempt set by
    /// reaching the limit: if it fails, it is the answer; if it succeeds, it is undone.
    Allowed { locks: Option<DateTime<Utc>> },
    /// Locked until then: nothing is checked and nothing counted.
    Locked { until: DateTime<Utc> },
}

/// Counts one attempt against `limit`. A lock in force is never shortened or cleared
/// here; the count starts again once its window has passed.
pub fn reserve(
    current: Option<Count>,
    limit: i32,
    window: Duration,
    now: DateTime<Utc>,
) -> (Option<Count>, Reservation) {
    if let Some(until) = current.and_then(|c| c.locked_until).filter(|u| *u > now) {
        return (current, Reservation::Locked { until });
    }
    let (attempts, started) = match current {
        Some(c) if c.window_started_at + window > now => (c.attempts + 1, c.window_started_at),
        _ => (1, now),
    };
    let locks = (attempts >= limit).then(|| now + window);
    let count = Count {
        attempts,
        window_started_at: started,
        locked_until: locks,
    };
    (Some(count), Reservation::Allowed { locks })
}

/// Gives back an attempt that succeeded: one fewer counted, and the lock it set (if it
/// set one) undone. A lock another attempt set stays.
pub fn release(current: Count, own_lock: Option<DateTime<Utc>>) -> Count {
    Count {
        attempts: (current.attempts - 1).max(0),
        locked_until: current.locked_until.filter(|u| Some(*u) != own_lock),
        ..current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + Duration::minutes(minute)
    }

    fn run(limit: i32, attempts: usize, now: DateTime<Utc>) -> (Option<Count>, Vec<Reservation>) {
        let mut count = None;
        let mut out = Vec::new();
        for _ in 0..attempts {
            let (next, r) = reserve(count, limit, Duration::minutes(15), now);
            count = next;
            out.push(r);
        }
        (count, out)
    }

    #[test]
    fn the_limit_th_attempt_is_the_last_checked_and_sets_the_lock() {
        let (count, decided) = run(3, 40, at(0));
        let until = at(15);
        assert_eq!(decided[0], Reservation::Allowed { locks: None });
        assert_eq!(decided[1], Reservation::Allowed { locks: None });
        assert_eq!(decided[2], Reservation::Allowed { locks: Some(until) });
        assert!(
            decided[3..]
                .iter()
                .all(|r| *r == Reservation::Locked { until }),
            "whatever comes after waits: {decided:?}"
        );
        assert_eq!(count.unwrap().attempts, 3, "nothing counted while locked");
    }

    #[test]
    fn a_lock_ends_and_the_count_starts_again() {
        let (count, _) = run(2, 2, at(0));
        let (count, r) = reserve(count, 2, Duration::minutes(15), at(15));
        assert_eq!(r, Reservation::Allowed { locks: None });
        assert_eq!(count.unwrap().attempts, 1);
        assert_eq!(count.unwrap().window_started_at, at(15));
    }

    #[test]
    fn old_attempts_leave_the_window() {
        let (count, _) = run(5, 4, at(0));
        let (count, _) = reserve(count, 5, Duration::minutes(15), at(16));
        assert_eq!(count.unwrap().attempts, 1);
    }

    #[test]
    fn a_success_gives_back_only_its_own_count_and_lock() {
        let (count, decided) = run(3, 3, at(0));
        let Reservation::Allowed { locks } = decided[2] else {
            panic!("allowed")
        };
        let released = release(count.unwrap(), locks);
        assert_eq!(released.attempts, 2);
        assert_eq!(released.locked_until, None, "its own lock is undone");

        let other = Count {
            attempts: 3,
            window_started_at: at(0),
            locked_until: Some(at(15)),
        };
        assert_eq!(
            release(other, None).locked_until,
            Some(at(15)),
            "another attempt's lock stays"
        );
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
