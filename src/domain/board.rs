//! The wall-screen board: one answer to "what is about to slip, what has slipped, and
//! did the mail go out", for a token's scope.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::clock::{ClockKind, ClockPhase, ClockState, remaining_seconds};
use super::escalation::Step;
use super::incident::Severity;

/// Counts per severity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BySeverity {
    pub extremely_major: i64,
    pub major: i64,
    pub significant: i64,
    pub general: i64,
}

pub fn by_severity(counts: impl IntoIterator<Item = (Severity, i64)>) -> BySeverity {
    let mut out = BySeverity::default();
    for (severity, n) in counts {
        *match severity {
            Severity::ExtremelyMajor => &mut out.extremely_major,
            Severity::Major => &mut out.major,
            Severity::Significant => &mut out.significant,
            Severity::General => &mut out.general,
        } += n;
    }
    out
}

/// One running clock on the board.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Deadline {
    pub incident_id: String,
    pub reference: String,
    pub title: String,
    pub severity: Severity,
    /// Names of the responsible units, the first responsible first.
    pub units: Vec<String>,
    pub clock: ClockKind,
    pub state: ClockState,
    pub due_at: DateTime<Utc>,
    pub remaining_seconds: i64,
    #[serde(skip)]
    pub at_risk_at: DateTime<Utc>,
}

impl Deadline {
    /// Brings the time-dependent fields to `now` (the rest is cached between changes).
    pub fn at(&self, now: DateTime<Utc>) -> Self {
        Self {
            state: ClockState::running(ClockPhase::at(self.due_at, self.at_risk_at, now)),
            remaining_seconds: remaining_seconds(self.due_at, None, now),
            ..self.clone()
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FailedMail {
    pub escalation_id: String,
    pub incident_id: Option<String>,
    pub reference: Option<String>,
    #[schema(value_type = String, example = "breach")]
    pub step: Step,
    pub recipient_name: String,
    pub recipient_unit: String,
    pub last_error: Option<String>,
    pub failed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MailFailures {
    pub count: i64,
    /// The latest few.
    pub recent: Vec<FailedMail>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClockCounts {
    pub running: BySeverity,
    pub at_risk: BySeverity,
    pub breached: BySeverity,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Board {
    pub as_of: DateTime<Utc>,
    /// Incidents not closed or dismissed, per severity.
    pub open_incidents: BySeverity,
    /// Running clocks per shown state and severity of their incident.
    pub clocks: ClockCounts,
    /// The nearest deadlines not yet passed, nearest first.
    pub next_deadlines: Vec<Deadline>,
    /// Running clocks past their deadline, longest overdue first (at most
    /// `BREACHED_SHOWN`; `clocks.breached` has the full count).
    pub breached: Vec<Deadline>,
    pub mails_failed: MailFailures,
}

pub const NEXT_SHOWN: i64 = 10;
pub const BREACHED_SHOWN: i64 = 50;
pub const FAILED_SHOWN: i64 = 10;
