//! A clock's state at a moment, as every incident response shows it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{ClockKind, MilestoneForm, StoredState};
use crate::domain::escalation::Step;
use crate::domain::ids::ClockId;
use crate::text_enum;

text_enum! {
    pub enum ClockState {
        Running => "running",
        AtRisk => "at_risk",
        Breached => "breached",
        Met => "met",
        MetLate => "met_late",
        Cancelled => "cancelled",
    }
}

/// A stopped clock reads as what was stored; a running one as on time (its phase needs
/// the time, see `at`).
impl From<StoredState> for ClockState {
    fn from(stored: StoredState) -> Self {
        match stored {
            StoredState::Running => Self::Running,
            StoredState::Met => Self::Met,
            StoredState::MetLate => Self::MetLate,
            StoredState::Cancelled => Self::Cancelled,
        }
    }
}

impl ClockState {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Running => "计时中",
            Self::AtRisk => "临近时限",
            Self::Breached => "已超时",
            Self::Met => "按时完成",
            Self::MetLate => "超时完成",
            Self::Cancelled => "已取消",
        }
    }

    /// Derives the shown state: a running clock shows its phase at `now`.
    pub fn at(
        stored: StoredState,
        due_at: DateTime<Utc>,
        at_risk_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Self {
        match stored {
            StoredState::Met => Self::Met,
            StoredState::MetLate => Self::MetLate,
            StoredState::Cancelled => Self::Cancelled,
            StoredState::Running => Self::running(ClockPhase::at(due_at, at_risk_at, now)),
        }
    }

    /// How a running clock in `phase` is shown.
    pub fn running(phase: ClockPhase) -> Self {
        match phase {
            ClockPhase::OnTime => Self::Running,
            ClockPhase::AtRisk => Self::AtRisk,
            ClockPhase::Breached => Self::Breached,
        }
    }

    /// Running, at risk or breached: the clock still waits for its milestone.
    pub fn is_running(self) -> bool {
        matches!(self, Self::Running | Self::AtRisk | Self::Breached)
    }
}

text_enum! {
    /// Where a running clock stands against its deadline, as last recorded on the
    /// timeline (the sweep records each move, so live screens hear of it).
    pub enum ClockPhase {
        OnTime => "on_time",
        AtRisk => "at_risk",
        Breached => "breached",
    }
}

impl ClockPhase {
    /// The phase of a running clock at `now`: at risk from `at_risk_at`, breached once
    /// the deadline has passed (the due second itself is still on time). The one place
    /// these boundaries are decided; listing filters in SQL follow them.
    pub fn at(due_at: DateTime<Utc>, at_risk_at: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        if now > due_at {
            Self::Breached
        } else if now >= at_risk_at {
            Self::AtRisk
        } else {
            Self::OnTime
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NextEscalation {
    #[schema(value_type = String, example = "breach")]
    pub step: Step,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClockView {
    pub id: ClockId,
    pub kind: ClockKind,
    /// What must be done, as people read it (from the clock's own policy).
    pub label: String,
    /// What proves it was done: the evidence its milestone takes.
    pub milestone: MilestoneForm,
    pub state: ClockState,
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// Until the deadline while running (negative when overdue); at the stop otherwise.
    pub remaining_seconds: i64,
    pub stopped_at: Option<DateTime<Utc>>,
    pub stop_reason: Option<String>,
    pub next_escalation: Option<NextEscalation>,
    /// Where the at-risk window begins (from the clock's own policy).
    #[serde(skip)]
    pub at_risk_at: DateTime<Utc>,
}

impl ClockView {
    /// The same clock shown at another moment: a running clock's state and time left
    /// move with time, a stopped clock's do not.
    pub fn at(&self, now: DateTime<Utc>) -> Self {
        if !self.state.is_running() {
            return self.clone();
        }
        Self {
            state: ClockState::running(ClockPhase::at(self.due_at, self.at_risk_at, now)),
            remaining_seconds: remaining_seconds(self.due_at, None, now),
            ..self.clone()
        }
    }
}

/// Seconds left: measured to now while running, to the stop once stopped.
pub fn remaining_seconds(
    due_at: DateTime<Utc>,
    stopped_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> i64 {
    (due_at - stopped_at.unwrap_or(now)).num_seconds()
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn running_becomes_at_risk_then_breached() {
        let due = t("2026-11-22T05:00:00Z");
        let risk = due - Duration::hours(2);
        let at = |now| ClockState::at(StoredState::Running, due, risk, t(now));
        assert_eq!(at("2026-11-22T02:59:59Z"), ClockState::Running);
        assert_eq!(at("2026-11-22T03:00:00Z"), ClockState::AtRisk);
        assert_eq!(
            at("2026-11-22T05:00:00Z"),
            ClockState::AtRisk,
            "due second is still on time"
        );
        assert_eq!(at("2026-11-22T05:00:01Z"), ClockState::Breached);
    }

    #[test]
    fn stopped_states_do_not_depend_on_time() {
        let due = t("2026-11-22T05:00:00Z");
        let late = t("2026-11-23T00:00:00Z");
        for (stored, shown) in [
            (StoredState::Met, ClockState::Met),
            (StoredState::MetLate, ClockState::MetLate),
            (StoredState::Cancelled, ClockState::Cancelled),
        ] {
            assert_eq!(ClockState::at(stored, due, due, late), shown);
        }
    }

    #[test]
    fn remaining_is_negative_when_overdue_and_frozen_when_stopped() {
        let due = t("2026-11-22T05:00:00Z");
        assert_eq!(
            remaining_seconds(due, None, t("2026-11-22T04:00:00Z")),
            3600
        );
        assert_eq!(remaining_seconds(due, None, t("2026-11-22T05:00:10Z")), -10);
        let stopped = Some(t("2026-11-22T04:59:00Z"));
        assert_eq!(
            remaining_seconds(due, stopped, t("2026-11-23T00:00:00Z")),
            60
        );
    }

    #[test]
    fn a_kept_view_moves_with_time_only_while_running() {
        let due = t("2026-11-22T05:00:00Z");
        let view = ClockView {
            id: "c".into(),
            kind: ClockKind::parse("authoritative_statement").unwrap(),
            label: "发布权威信息".into(),
            milestone: MilestoneForm::Publication,
            state: ClockState::Running,
            started_at: t("2026-11-22T00:00:00Z"),
            due_at: due,
            remaining_seconds: 5 * 3600,
            stopped_at: None,
            stop_reason: None,
            next_escalation: None,
            at_risk_at: t("2026-11-22T03:00:00Z"),
        };
        let later = view.at(t("2026-11-22T04:00:00Z"));
        assert_eq!(
            (later.state, later.remaining_seconds),
            (ClockState::AtRisk, 3600)
        );
        let overdue = view.at(t("2026-11-22T05:00:10Z"));
        assert_eq!(
            (overdue.state, overdue.remaining_seconds),
            (ClockState::Breached, -10)
        );
        let met = ClockView {
            state: ClockState::Met,
            stopped_at: Some(t("2026-11-22T01:00:00Z")),
            remaining_seconds: 4 * 3600,
            ..view
        };
        let still = met.at(t("2026-11-23T00:00:00Z"));
        assert_eq!(
            (still.state, still.remaining_seconds),
            (ClockState::Met, 4 * 3600)
        );
    }
}
