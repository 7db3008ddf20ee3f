//! Why a reminder goes out after its time. A late mail says which it was, so nobody
//! blames an outage for an incident that was simply logged late, or the other way round.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lateness {
    OnTime,
    /// Planned after its own time: the incident was logged (or changed) after the
    /// moment this reminder was for.
    LoggedLate {
        discovered_at: DateTime<Utc>,
        logged_at: DateTime<Utc>,
    },
    /// Planned in time, but earlier attempts failed (the mail server refused or was out
    /// of reach) from the planned time on.
    SendFailed {
        since: DateTime<Utc>,
        failures: i32,
    },
    /// Planned in time and never tried until now: the service was not running (or not
    /// sending) from the planned time on.
    ServiceDown {
        since: DateTime<Utc>,
    },
}

/// What is known about one send when it happens.
pub struct SendFacts {
    /// When the reminder was due.
    pub due_at: DateTime<Utc>,
    /// When its row was planned.
    pub planned_at: DateTime<Utc>,
    /// Attempts including this one.
    pub attempts: i32,
    pub discovered_at: DateTime<Utc>,
    pub logged_at: DateTime<Utc>,
    pub now: DateTime<Utc>,
}

impl Lateness {
    /// A send more than `late_after` after its due time is late, for the first reason
    /// that holds.
    pub fn of(f: &SendFacts, late_after: Duration) -> Self {
        if f.now - f.due_at <= late_after {
            Self::OnTime
        } else if f.planned_at > f.due_at {
            Self::LoggedLate {
                discovered_at: f.discovered_at,
                logged_at: f.logged_at,
            }
        } else if f.attempts > 1 {
            Self::SendFailed {
                since: f.due_at,
                failures: f.attempts - 1,
            }
        } else {
            Self::ServiceDown { since: f.due_at }
        }
    }

    /// The reason as a word templates can test: "", "logged_late", "send_failed",
    /// "service_down".
    pub fn reason(self) -> &'static str {
        match self {
            Self::OnTime => "",
            Self::LoggedLate { .. } => "logged_late",
            Self::SendFailed { .. } => "send_failed",
            Self::ServiceDown { .. } => "service_down",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn facts(planned: &str, attempts: i32, now: &str) -> SendFacts {
        SendFacts {
            due_at: t("2026-11-22T05:00:00Z"),
            planned_at: t(planned),
            attempts,
            discovered_at: t("2026-11-22T00:00:00Z"),
            logged_at: t("2026-11-22T06:10:00Z"),
            now: t(now),
        }
    }

    #[test]
    fn each_late_mail_names_its_own_reason() {
        let minute = Duration::minutes(1);
        let on_time = facts("2026-11-22T00:01:00Z", 1, "2026-11-22T05:00:30Z");
        assert_eq!(Lateness::of(&on_time, minute), Lateness::OnTime);
        let logged = facts("2026-11-22T06:10:00Z", 1, "2026-11-22T06:10:01Z");
        assert!(matches!(
            Lateness::of(&logged, minute),
            Lateness::LoggedLate { .. }
        ));
        let outage = facts("2026-11-22T00:01:00Z", 4, "2026-11-22T05:20:00Z");
        assert_eq!(
            Lateness::of(&outage, minute),
            Lateness::SendFailed {
                since: t("2026-11-22T05:00:00Z"),
                failures: 3
            }
        );
        let down = facts("2026-11-22T00:01:00Z", 1, "2026-11-22T07:00:00Z");
        assert_eq!(
            Lateness::of(&down, minute),
            Lateness::ServiceDown {
                since: t("2026-11-22T05:00:00Z")
            }
        );
    }
}
