//! What an escalation row is for: a report, the new-major notice, a rung of a clock's
//! ladder or a repeat after the deadline. This type owns the stored key and rank; no
//! other code compares step strings or rank numbers.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::domain::report::ReportKind;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step {
    /// A scheduled report for one period (`2026-11-22`, `2026-W47`); no clock.
    Report { kind: ReportKind, period: String },
    /// The new major incident notice: news, sent at once, never superseded.
    NewMajor,
    /// A rung of the clock's ladder, `at_minutes` relative to the deadline (−120 is two
    /// hours before, 0 the breach); `place` is its position, earliest first.
    Ladder { at_minutes: i64, place: i32 },
    /// The k-th repeat after the deadline (k ≥ 1).
    Repeat(i32),
}

const REPORT_RANK: i32 = -2;
const NEW_MAJOR_RANK: i32 = -1;

impl Step {
    /// Reminders (ladder rungs and repeats) rank from here up. Only reminders are
    /// superseded by a more severe one and cancelled when their clock stops.
    pub const FIRST_REMINDER_RANK: i32 = 0;
    /// Repeats rank from here up, above every ladder rung.
    pub const FIRST_REPEAT_RANK: i32 = 1000;

    /// The stored key: `daily_digest:2026-11-22`, `new_major`, `before_120m`, `breach`,
    /// `after_30m`, `repeat_2`.
    pub fn key(&self) -> String {
        match self {
            Self::Report { kind, period } => format!("{kind}:{period}"),
            Self::NewMajor => "new_major".into(),
            Self::Ladder { at_minutes: 0, .. } => "breach".into(),
            Self::Ladder { at_minutes, .. } if *at_minutes < 0 => {
                format!("before_{}m", -at_minutes)
            }
            Self::Ladder { at_minutes, .. } => format!("after_{at_minutes}m"),
            Self::Repeat(k) => format!("repeat_{k}"),
        }
    }

    /// How a person reads the step: 时限前2小时提醒, 超时告警, 第2次超时重复提醒.
    pub fn label_zh(&self) -> String {
        fn span(minutes: i64) -> String {
            match (minutes / 60, minutes % 60) {
                (0, m) => format!("{m}分钟"),
                (h, 0) => format!("{h}小时"),
                (h, m) => format!("{h}小时{m}分钟"),
            }
        }
        match self {
            Self::Report { kind, .. } => kind.label_zh().into(),
            Self::NewMajor => "重大舆情通报".into(),
            Self::Ladder { at_minutes: 0, .. } => "超时告警".into(),
            Self::Ladder { at_minutes, .. } if *at_minutes < 0 => {
                format!("时限前{}提醒", span(-at_minutes))
            }
            Self::Ladder { at_minutes, .. } => format!("超时{}提醒", span(*at_minutes)),
            Self::Repeat(k) => format!("第{k}次超时重复提醒"),
        }
    }

    /// Higher is more severe: of several reminders due together, the highest is sent.
    pub fn rank(&self) -> i32 {
        match self {
            Self::Report { .. } => REPORT_RANK,
            Self::NewMajor => NEW_MAJOR_RANK,
            Self::Ladder { place, .. } => Self::FIRST_REMINDER_RANK + place,
            Self::Repeat(k) => Self::FIRST_REPEAT_RANK.saturating_add(*k),
        }
    }

    /// Reads a stored (key, rank) pair back; they must agree.
    pub fn from_stored(key: &str, rank: i32) -> Result<Self, String> {
        let step =
            Self::parse_key(key, rank).ok_or_else(|| format!("unknown escalation step {key:?}"))?;
        if step.rank() != rank {
            return Err(format!("escalation step {key:?} stored with rank {rank}"));
        }
        Ok(step)
    }

    fn parse_key(key: &str, rank: i32) -> Option<Self> {
        if key == "new_major" {
            return Some(Self::NewMajor);
        }
        if let Some((kind, period)) = key.split_once(':') {
            return Some(Self::Report {
                kind: kind.parse().ok()?,
                period: period.to_owned(),
            });
        }
        let place = rank - Self::FIRST_REMINDER_RANK;
        let at_minutes = if key == "breach" {
            0
        } else if let Some(m) = key
            .strip_prefix("before_")
            .and_then(|m| m.strip_suffix('m'))
        {
            -m.parse::<i64>().ok()?
        } else if let Some(m) = key.strip_prefix("after_").and_then(|m| m.strip_suffix('m')) {
            m.parse().ok()?
        } else {
            let k = key.strip_prefix("repeat_")?.parse().ok()?;
            return Some(Self::Repeat(k));
        };
        Some(Self::Ladder { at_minutes, place })
    }

    /// How a person reads a stored key (a timeline entry keeps the key, not the rank).
    pub fn label_of_key(key: &str) -> Option<String> {
        Self::parse_key(key, Self::FIRST_REMINDER_RANK).map(|step| step.label_zh())
    }

    /// A ladder rung or a repeat: about a deadline, so it ends with its clock.
    pub fn is_reminder(&self) -> bool {
        matches!(self, Self::Ladder { .. } | Self::Repeat(_))
    }

    /// An early warning (a rung before the deadline): the only step quiet hours may hold.
    pub fn may_wait_for_quiet_hours(&self) -> bool {
        matches!(self, Self::Ladder { at_minutes, .. } if *at_minutes < 0)
    }

    /// The deadline a ladder rung due at `due_at` warns of.
    pub fn deadline_of(
        &self,
        due_at: chrono::DateTime<chrono::Utc>,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        match self {
            Self::Ladder { at_minutes, .. } => {
                Some(due_at - chrono::Duration::minutes(*at_minutes))
            }
            _ => None,
        }
    }

    pub fn is_repeat(&self) -> bool {
        matches!(self, Self::Repeat(_))
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// Travels as its key.
impl Serialize for Step {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_ranks_round_trip() {
        let steps = [
            Step::Report {
                kind: ReportKind::WeeklySummary,
                period: "2026-W47".into(),
            },
            Step::NewMajor,
            Step::Ladder {
                at_minutes: -120,
                place: 0,
            },
            Step::Ladder {
                at_minutes: 0,
                place: 1,
            },
            Step::Ladder {
                at_minutes: 30,
                place: 2,
            },
            Step::Repeat(3),
        ];
        let keys: Vec<String> = steps.iter().map(Step::key).collect();
        assert_eq!(
            keys,
            [
                "weekly_summary:2026-W47",
                "new_major",
                "before_120m",
                "breach",
                "after_30m",
                "repeat_3"
            ]
        );
        for step in &steps {
            assert_eq!(
                Step::from_stored(&step.key(), step.rank()).as_ref(),
                Ok(step)
            );
        }
        assert!(
            steps.windows(2).all(|w| w[0].rank() < w[1].rank()),
            "reports < notice < ladder < repeats"
        );
    }

    #[test]
    fn only_ladder_and_repeats_are_reminders() {
        assert!(!Step::NewMajor.is_reminder());
        assert!(Step::Repeat(1).is_reminder() && Step::Repeat(1).is_repeat());
        let breach = Step::Ladder {
            at_minutes: 0,
            place: 2,
        };
        assert!(breach.is_reminder() && !breach.is_repeat());
    }

    #[test]
    fn a_key_must_match_its_rank() {
        assert!(Step::from_stored("repeat_2", 1001).is_err());
        assert!(Step::from_stored("new_major", 0).is_err());
        assert!(Step::from_stored("soon", 0).is_err());
        assert!(Step::from_stored("bogus:2026", -2).is_err());
    }
}
