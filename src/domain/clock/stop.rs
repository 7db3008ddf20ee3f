//! Why a clock stopped or a reminder was withdrawn. Stored as text (the clock's
//! `stop_reason`, a cancelled reminder's `last_error`, a timeline entry's `reason`): this
//! type owns that text, its parsing and how people read it.

use std::fmt;

use super::{ClockKind, ClockRules, ClockState};
use crate::domain::incident::{Severity, Status};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// The milestone the clock waited for was recorded (a clock's own stop).
    MilestoneRecorded(ClockKind),
    /// The clock's milestone was met: its reminders are no longer needed.
    MilestoneMet,
    /// The person acknowledged: their repeats stop.
    Acknowledged,
    /// The person's unit is no longer responsible for the incident.
    NoLongerResponsible,
    /// The incident was closed or dismissed.
    IncidentEnded(Status),
    /// The incident's severity went below those that run clocks.
    SeverityLowered(Severity),
    /// The incident's severity was raised: the clock of the lesser severity (the 48-hour
    /// response) is superseded by the clocks of the new one.
    SeverityRaised(Severity),
    /// The clock had stopped (met, cancelled…) by the time the reminder was to go out.
    ClockStopped(ClockState),
}

impl StopReason {
    /// The stored form, also read by API clients (`last_error`, `stop_reason`).
    pub fn key(&self) -> String {
        match self {
            Self::MilestoneRecorded(kind) => format!("{kind} recorded"),
            Self::MilestoneMet => "milestone met".into(),
            Self::Acknowledged => "acknowledged".into(),
            Self::NoLongerResponsible => "no longer responsible".into(),
            Self::IncidentEnded(status) => format!("incident {status}"),
            Self::SeverityLowered(severity) => format!("severity lowered to {severity}"),
            Self::SeverityRaised(severity) => format!("severity raised to {severity}"),
            Self::ClockStopped(state) => format!("clock {state} before sending"),
        }
    }

    /// Reads a stored reason; `None` for text this type did not write. `rules` name the
    /// kinds (rows written before this type named the milestone by its Chinese label).
    pub fn parse(text: &str, rules: &ClockRules) -> Option<Self> {
        match text {
            "milestone met" => return Some(Self::MilestoneMet),
            "acknowledged" => return Some(Self::Acknowledged),
            "no longer responsible" => return Some(Self::NoLongerResponsible),
            _ => {}
        }
        if let Some(kind) = text.strip_suffix(" recorded") {
            let kind = ClockKind::parse(kind).ok().or_else(|| {
                rules
                    .kinds()
                    .into_iter()
                    .find(|(_, policy)| policy.label == kind)
                    .map(|(kind, _)| kind.clone())
            })?;
            return Some(Self::MilestoneRecorded(kind));
        }
        if let Some(status) = text.strip_prefix("incident ") {
            return status.parse().ok().map(Self::IncidentEnded);
        }
        if let Some(severity) = text.strip_prefix("severity lowered to ") {
            return severity.parse().ok().map(Self::SeverityLowered);
        }
        if let Some(severity) = text.strip_prefix("severity raised to ") {
            return severity.parse().ok().map(Self::SeverityRaised);
        }
        text.strip_prefix("clock ")
            .and_then(|t| t.strip_suffix(" before sending"))
            .and_then(|state| state.parse().ok())
            .map(Self::ClockStopped)
    }

    /// As a leader reads it (`rules` name the kinds).
    pub fn label_zh(&self, rules: &ClockRules) -> String {
        match self {
            Self::MilestoneRecorded(kind) => format!("已{}", rules.label(kind)),
            Self::MilestoneMet => "时限节点已完成".into(),
            Self::Acknowledged => "收件人已确认知悉".into(),
            Self::NoLongerResponsible => "收件人所在单位不再负责此舆情".into(),
            Self::IncidentEnded(status) => format!("舆情{}", status.label_zh()),
            Self::SeverityLowered(severity) => {
                format!("级别调整为{}，不再计时", severity.label_zh())
            }
            Self::SeverityRaised(severity) => {
                format!("级别升为{0}，改按{0}舆情的时限计时", severity.label_zh())
            }
            Self::ClockStopped(state) => format!("发送前计时已结束（{}）", state.label_zh()),
        }
    }

    /// A stored reason as people read it: known ones in Chinese, others as written.
    pub fn describe(text: &str, rules: &ClockRules) -> String {
        Self::parse(text, rules).map_or_else(|| text.to_owned(), |r| r.label_zh(rules))
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> ClockRules {
        ClockRules::specimen()
    }

    #[test]
    fn every_reason_reads_back_from_its_key() {
        let rules = rules();
        let press = ClockKind::parse("press_conference").unwrap();
        let all = [
            StopReason::MilestoneRecorded(press),
            StopReason::MilestoneMet,
            StopReason::Acknowledged,
            StopReason::NoLongerResponsible,
            StopReason::IncidentEnded(Status::Closed),
            StopReason::IncidentEnded(Status::Dismissed),
            StopReason::SeverityLowered(Severity::General),
            StopReason::SeverityRaised(Severity::Major),
            StopReason::ClockStopped(ClockState::Met),
        ];
        for reason in all {
            assert_eq!(
                StopReason::parse(&reason.key(), &rules),
                Some(reason.clone()),
                "{reason}"
            );
            assert!(!reason.label_zh(&rules).is_ascii(), "{reason}");
        }
        assert_eq!(
            StopReason::parse("发布权威信息 recorded", &rules),
            Some(StopReason::MilestoneRecorded(
                ClockKind::parse("authoritative_statement").unwrap()
            ))
        );
        assert_eq!(
            StopReason::describe("press_conference recorded", &rules),
            "已举行新闻发布会"
        );
        assert_eq!(
            StopReason::describe("something else", &rules),
            "something else"
        );
        assert_eq!(
            StopReason::describe("incident closed", &rules),
            "舆情已办结"
        );
    }
}
