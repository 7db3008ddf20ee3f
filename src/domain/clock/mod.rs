//! The 5-hour (authoritative statement) and 24-hour (press conference) clocks: their
//! policy, the escalation ladder, and the state shown to users.

mod ladder;
mod milestone;
mod rules;
mod state;
mod stop;

pub use ladder::{Audience, LadderStep, PlannedStep, plan, repeat_after};
pub use milestone::{Evidence, MilestoneInput};
pub use rules::{ClockRules, ClockStart};
pub use state::{ClockPhase, ClockState, ClockView, NextEscalation, remaining_seconds};
pub use stop::StopReason;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::text_enum;

text_enum! {
    /// Which milestone a clock waits for.
    pub enum ClockKind {
        AuthoritativeStatement => "authoritative_statement",
        PressConference => "press_conference",
    }
}

impl ClockKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::AuthoritativeStatement => "发布权威信息",
            Self::PressConference => "举行新闻发布会",
        }
    }
}

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

/// One clock kind's policy. A copy is stored on each clock when it starts, so a later
/// configuration change never rewrites a running or past clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockPolicy {
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
}

impl ClockPolicy {
    pub fn at_risk(&self) -> chrono::Duration {
        chrono::Duration::minutes(self.at_risk_minutes)
    }

    /// The deadline of a clock of this policy started at `started_at`.
    pub fn due_at(&self, started_at: DateTime<Utc>) -> DateTime<Utc> {
        started_at + chrono::Duration::minutes(self.due_after_minutes)
    }

    pub fn validate(&self, key: &str) -> Result<(), String> {
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
