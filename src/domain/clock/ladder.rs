//! The escalation ladder: which mail goes to whom, when, relative to the deadline.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::ClockPolicy;
use crate::domain::contact::ContactRole;
use crate::domain::escalation::Step;

/// Who receives a step: a role in each responsible unit (`"principal_leader"`) or in
/// its parent unit (`"parent:office_director"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Audience {
    pub role: ContactRole,
    pub of_parent: bool,
}

impl TryFrom<String> for Audience {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        let (of_parent, role) = match s.strip_prefix("parent:") {
            Some(role) => (true, role),
            None => (false, s.as_str()),
        };
        Ok(Self {
            role: role.parse().map_err(|e: crate::rule::Rule| e.to_string())?,
            of_parent,
        })
    }
}

impl From<Audience> for String {
    fn from(a: Audience) -> String {
        if a.of_parent {
            format!("parent:{}", a.role)
        } else {
            a.role.to_string()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LadderStep {
    /// Minutes relative to the deadline: −120 is two hours before, 0 the breach.
    pub at_minutes: i64,
    pub to: Vec<Audience>,
}

/// A step of one clock, not yet expanded to recipients.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedStep {
    pub step: Step,
    pub due_at: DateTime<Utc>,
    pub to: Vec<Audience>,
}

/// The ladder for a clock due at `due_at`, plus the first repeat after the deadline.
pub fn plan(policy: &ClockPolicy, due_at: DateTime<Utc>) -> Vec<PlannedStep> {
    let mut steps: Vec<&LadderStep> = policy.steps.iter().collect();
    steps.sort_by_key(|s| s.at_minutes);
    let mut planned: Vec<PlannedStep> = steps
        .iter()
        .enumerate()
        .map(|(i, s)| PlannedStep {
            step: Step::Ladder {
                at_minutes: s.at_minutes,
                place: i32::try_from(i).unwrap_or(i32::MAX),
            },
            due_at: due_at + Duration::minutes(s.at_minutes),
            to: s.to.clone(),
        })
        .collect();
    planned.extend(repeat_after(policy, due_at, due_at));
    planned
}

/// The first repeat due strictly after `now` (repeats missed during downtime are not
/// made up: one overdue repeat says all they would have said).
pub fn repeat_after(
    policy: &ClockPolicy,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<PlannedStep> {
    if policy.repeat_every_minutes <= 0 {
        return None;
    }
    let every = Duration::minutes(policy.repeat_every_minutes);
    let elapsed = (now - due_at).num_seconds().max(0);
    let k = i32::try_from(elapsed / every.num_seconds() + 1).unwrap_or(i32::MAX);
    Some(PlannedStep {
        step: Step::Repeat(k),
        due_at: due_at + every * k,
        to: policy.repeat_to.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aud(s: &str) -> Audience {
        Audience::try_from(s.to_owned()).unwrap()
    }

    fn statement() -> ClockPolicy {
        ClockPolicy {
            label: "发布权威信息".into(),
            milestone: super::super::MilestoneForm::Publication,
            report_as: "statement".into(),
            severities: vec![crate::domain::incident::Severity::Major],
            start_from: super::super::ClockStart::DiscoveredAt,
            due_after_minutes: 300,
            at_risk_minutes: 120,
            steps: vec![
                LadderStep {
                    at_minutes: 0,
                    to: vec![aud("principal_leader")],
                },
                LadderStep {
                    at_minutes: -120,
                    to: vec![aud("duty_officer")],
                },
                LadderStep {
                    at_minutes: -30,
                    to: vec![aud("principal_leader")],
                },
            ],
            repeat_every_minutes: 60,
            repeat_to: vec![aud("principal_leader"), aud("parent:principal_leader")],
            announce: true,
            after: None,
            recurs: false,
        }
    }

    #[test]
    fn plans_steps_in_time_order_with_rising_rank() {
        let due: DateTime<Utc> = "2026-11-22T05:00:00Z".parse().unwrap();
        let plan = plan(&statement(), due);
        let keys: Vec<String> = plan.iter().map(|s| s.step.key()).collect();
        assert_eq!(keys, ["before_120m", "before_30m", "breach", "repeat_1"]);
        assert!(
            plan.windows(2)
                .all(|w| w[0].step.rank() < w[1].step.rank() && w[0].due_at < w[1].due_at)
        );
        assert_eq!(
            plan[0].due_at,
            "2026-11-22T03:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            plan[3].due_at,
            "2026-11-22T06:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }

    #[test]
    fn next_repeat_skips_what_downtime_missed() {
        let due: DateTime<Utc> = "2026-11-22T05:00:00Z".parse().unwrap();
        let now = "2026-11-22T08:30:00Z".parse().unwrap();
        let next = repeat_after(&statement(), due, now).unwrap();
        assert_eq!(next.step, Step::Repeat(4));
        assert_eq!(
            next.due_at,
            "2026-11-22T09:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        let exactly =
            repeat_after(&statement(), due, "2026-11-22T06:00:00Z".parse().unwrap()).unwrap();
        assert_eq!(exactly.step, Step::Repeat(2), "strictly after now");
    }

    #[test]
    fn audience_round_trips() {
        assert_eq!(
            String::from(aud("parent:office_director")),
            "parent:office_director"
        );
        assert!(Audience::try_from("parent:boss".to_owned()).is_err());
    }
}
