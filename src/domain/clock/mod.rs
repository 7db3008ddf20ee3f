//! Clocks: a deadline for a milestone (the 5-hour authoritative statement, the 24-hour
//! press conference, and whatever else `clocks.kinds` lists), its policy, the escalation
//! ladder, and the state shown to users. Kinds are data: each clock carries a copy of its
//! kind's policy, label included, from the moment it starts.

mod ladder;
mod milestone;
mod rules;
mod state;
mod stop;

pub use ladder::{Audience, LadderStep, PlannedStep, plan, repeat_after};
pub use milestone::{Evidence, Milestone, MilestoneForm, MilestoneInput, ResponseType};
pub use rules::{ClockRules, ClockStart};
pub use state::{ClockPhase, ClockState, ClockView, NextEscalation, remaining_seconds};
pub use stop::StopReason;

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::incident::Severity;
use crate::text_enum;

/// Which milestone a clock waits for: a key of `clocks.kinds` (`authoritative_statement`,
/// `press_conference`, …): lower-case letters, digits and `_`, at most 40.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClockKind(String);

impl ClockKind {
    pub fn parse(key: &str) -> Result<Self, String> {
        let fits = !key.is_empty()
            && key.len() <= 40
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if fits {
            Ok(Self(key.to_owned()))
        } else {
            Err(format!(
                "`{key}` is not a clock kind (lower-case letters, digits and _)"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// A kind read back from where this service wrote it, as written.
    pub fn stored(key: String) -> Self {
        Self(key)
    }
}

impl TryFrom<String> for ClockKind {
    type Error = String;

    fn try_from(key: String) -> Result<Self, String> {
        Self::parse(&key)
    }
}

impl From<ClockKind> for String {
    fn from(kind: ClockKind) -> String {
        kind.0
    }
}

/// A kind named in a request; its shape is all that is checked here.
impl std::str::FromStr for ClockKind {
    type Err = crate::rule::Rule;

    fn from_str(key: &str) -> Result<Self, crate::rule::Rule> {
        Self::parse(key).map_err(|_| crate::rule::Rule::UnknownClockKind)
    }
}

impl fmt::Display for ClockKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl utoipa::PartialSchema for ClockKind {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[a-z0-9_]{1,40}$"))
            .description(Some(
                "A clock kind of this service's `clocks.kinds` (by default `authoritative_statement` and `press_conference`)",
            ))
            .examples([serde_json::json!("authoritative_statement")])
            .into()
    }
}

impl utoipa::ToSchema for ClockKind {}

text_enum! {
    /// What is stored; at_risk and breached are derived from time while running.
    pub enum StoredState {
        Running => "running",
        Met => "met",
        MetLate => "met_late",
        Cancelled => "cancelled",
    }
}

impl StoredState {
    /// A clock due at `due_at` stopped by a milestone at `occurred_at`: met when it
    /// happened by the deadline (the due second included), met late after it.
    pub fn on_milestone(occurred_at: DateTime<Utc>, due_at: DateTime<Utc>) -> Self {
        if occurred_at <= due_at {
            Self::Met
        } else {
            Self::MetLate
        }
    }
}

/// One clock kind's policy (`clocks.kinds.<kind>`). A copy is stored on each clock when
/// it starts, so a later configuration change never rewrites a running or past clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockPolicy {
    /// What must be done, as people read it: 发布权威信息.
    pub label: String,
    /// What proves it was done.
    pub milestone: MilestoneForm,
    /// Its name in the timeliness report: the field of its durations and the prefix of
    /// its CSV columns (`statement` → `statement_median_minutes`).
    pub report_as: String,
    /// Incidents of these severities get this clock.
    #[serde(default)]
    pub severities: Vec<Severity>,
    /// From discovery (what the rules count from), from classification (when the
    /// incident was logged as, or raised to, one of the severities), from closing, or
    /// from each change of status.
    #[serde(default = "ClockStart::from_discovery")]
    pub start_from: ClockStart,
    /// Time from start to the deadline.
    pub due_after_minutes: i64,
    /// A running clock within this many minutes of its deadline is at risk.
    pub at_risk_minutes: i64,
    /// Mails before, at and after the deadline.
    pub steps: Vec<LadderStep>,
    /// After the deadline has passed, repeat to `repeat_to` this often (0 = never).
    pub repeat_every_minutes: i64,
    #[serde(default)]
    pub repeat_to: Vec<Audience>,
    /// A major incident's kind: its first clock on an incident tells `new_major_to` at
    /// once, and open incidents with it are in the leaders' daily digest. (Policies
    /// stored before this was per kind were all of major incidents.)
    #[serde(default = "announced")]
    pub announce: bool,
    /// Starts when the first milestone of that kind is recorded, from its time (持续发布:
    /// after the first statement), rather than with the incident's severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<ClockKind>,
    /// Meeting this clock starts the next one, from the milestone, until a milestone is
    /// marked final or the incident ends.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recurs: bool,
}

fn announced() -> bool {
    true
}

impl ClockPolicy {
    pub fn at_risk(&self) -> chrono::Duration {
        chrono::Duration::minutes(self.at_risk_minutes)
    }

    /// The deadline of a clock of this policy started at `started_at`.
    pub fn due_at(&self, started_at: DateTime<Utc>) -> DateTime<Utc> {
        started_at + chrono::Duration::minutes(self.due_after_minutes)
    }

    /// Whether incidents of `severity` get this clock.
    pub fn applies_to(&self, severity: Severity) -> bool {
        self.severities.contains(&severity)
    }

    /// When a clock for an incident discovered at `discovered_at` starts, if it starts
    /// `now`.
    pub fn started_at(&self, discovered_at: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
        match self.start_from {
            ClockStart::DiscoveredAt => discovered_at,
            ClockStart::ClassifiedAt | ClockStart::ClosedAt | ClockStart::StatusChangedAt => now,
        }
    }

    /// A running clock moves with the incident's discovery time only when it counts
    /// from it (a clock started by a milestone counts from that).
    pub fn follows_discovery(&self) -> bool {
        self.after.is_none() && self.start_from == ClockStart::DiscoveredAt
    }

    /// Whether the incident's severity starts it (others start with a milestone).
    pub fn starts_with_severity(&self) -> bool {
        self.after.is_none()
            && matches!(
                self.start_from,
                ClockStart::DiscoveredAt | ClockStart::ClassifiedAt
            )
    }

    /// When in an incident's life this kind starts, as a rank: with the severity, after
    /// another kind's milestone, on a change of status, on closing.
    pub fn stage(&self) -> u8 {
        match (&self.after, self.start_from) {
            (Some(_), _) => 1,
            (None, ClockStart::DiscoveredAt | ClockStart::ClassifiedAt) => 0,
            (None, ClockStart::StatusChangedAt) => 2,
            (None, ClockStart::ClosedAt) => 3,
        }
    }

    /// Whether closing the incident starts it (终报).
    pub fn starts_on_close(&self) -> bool {
        self.after.is_none() && self.start_from == ClockStart::ClosedAt
    }

    pub fn validate(&self, key: &str) -> Result<(), String> {
        if self.label.trim().is_empty() {
            return Err(format!("{key}.label: name what must be done"));
        }
        if ClockKind::parse(&self.report_as).is_err() {
            return Err(format!(
                "{key}.report_as: lower-case letters, digits and _ (it names report fields)"
            ));
        }
        if self.severities.is_empty() {
            return Err(format!("{key}.severities: name at least one severity"));
        }
        if self.due_after_minutes <= 0 {
            return Err(format!("{key}.due_after_minutes: must be positive"));
        }
        if !(0..=self.due_after_minutes).contains(&self.at_risk_minutes) {
            return Err(format!(
                "{key}.at_risk_minutes: must be between 0 and due_after_minutes"
            ));
        }
        if self.repeat_every_minutes < 0 {
            return Err(format!("{key}.repeat_every_minutes: must not be negative"));
        }
        if self.repeat_every_minutes > 0 && self.repeat_to.is_empty() {
            return Err(format!("{key}.repeat_to: name who receives the repeats"));
        }
        for (i, step) in self.steps.iter().enumerate() {
            if step.at_minutes < -self.due_after_minutes {
                return Err(format!(
                    "{key}.steps[{i}].at_minutes: before the clock starts"
                ));
            }
            if step.to.is_empty() {
                return Err(format!("{key}.steps[{i}].to: name at least one role"));
            }
            if self.steps[..i]
                .iter()
                .any(|s| s.at_minutes == step.at_minutes)
            {
                return Err(format!(
                    "{key}.steps[{i}].at_minutes: two steps at the same time"
                ));
            }
        }
        Ok(())
    }
}
