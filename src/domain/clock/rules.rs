//! The clock kinds of this service and who is told when a major incident arrives
//! (config `clocks`). Each kind's policy (`ClockPolicy`) says which incidents get it,
//! from when, its deadline and its ladder.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Audience, ClockKind, ClockPolicy};
use crate::domain::incident::{Severity, Status};

#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ClockStart {
    DiscoveredAt,
    ClassifiedAt,
    /// When the incident is closed (终报: within 24 hours of closing).
    ClosedAt,
    /// At each change of status that leaves the incident open (续报 on each change,
    /// where an office's rule asks for that instead of a fixed interval).
    StatusChangedAt,
}

impl ClockStart {
    /// What policies stored before the start rule was per kind used.
    pub fn from_discovery() -> Self {
        Self::DiscoveredAt
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockRules {
    /// Told at once when an incident gets its first clocks (the notice goes with the
    /// clock of the nearest deadline).
    pub new_major_to: Vec<Audience>,
    /// Every kind of clock, by key.
    pub kinds: BTreeMap<ClockKind, ClockPolicy>,
}

impl ClockRules {
    /// The kinds, nearest deadline first, then in the order an incident meets them
    /// (with its severity, after another kind's milestone, on a change of status, on
    /// closing: 续报 before 终报), then by key: the order they are shown in.
    pub fn kinds(&self) -> Vec<(&ClockKind, &ClockPolicy)> {
        let mut kinds: Vec<_> = self.kinds.iter().collect();
        kinds.sort_by_key(|(kind, policy)| (policy.due_after_minutes, policy.stage(), *kind));
        kinds
    }

    pub fn policy(&self, kind: &ClockKind) -> Option<&ClockPolicy> {
        self.kinds.get(kind)
    }

    /// The kinds an incident of `severity` gets with its severity, nearest deadline
    /// first.
    pub fn for_severity(&self, severity: Severity) -> Vec<(&ClockKind, &ClockPolicy)> {
        self.kinds()
            .into_iter()
            .filter(|(_, policy)| policy.applies_to(severity) && policy.starts_with_severity())
            .collect()
    }

    /// The kinds a milestone of `kind` on an incident of `severity` starts: those that
    /// come after it, and itself when it recurs.
    pub fn started_by(
        &self,
        kind: &ClockKind,
        severity: Severity,
    ) -> Vec<(&ClockKind, &ClockPolicy)> {
        self.kinds()
            .into_iter()
            .filter(|(k, p)| {
                p.applies_to(severity)
                    && (p.after.as_ref() == Some(kind) || (*k == kind && p.recurs))
            })
            .collect()
    }

    /// Every severity some announced kind (a major incident's) applies to: the
    /// incidents of the daily digest.
    pub fn announced_severities(&self) -> Vec<Severity> {
        let mut all: Vec<Severity> = Vec::new();
        for policy in self.kinds.values().filter(|p| p.announce) {
            for s in &policy.severities {
                if !all.contains(s) {
                    all.push(*s);
                }
            }
        }
        all
    }

    /// The kinds a change of an incident of `severity` to `status` starts, from the
    /// change: closing starts the `closed_at` kinds, any other change to an open status
    /// the `status_changed_at` ones.
    pub fn on_status(&self, severity: Severity, status: Status) -> Vec<(&ClockKind, &ClockPolicy)> {
        let start = match status {
            Status::Closed => ClockStart::ClosedAt,
            s if s.is_open() => ClockStart::StatusChangedAt,
            _ => return Vec::new(),
        };
        self.kinds()
            .into_iter()
            .filter(|(_, p)| p.applies_to(severity) && p.after.is_none() && p.start_from == start)
            .collect()
    }

    /// Whether incidents of `severity` get any clock.
    pub fn applies_to(&self, severity: Severity) -> bool {
        self.kinds.values().any(|p| p.applies_to(severity))
    }

    /// How people read a kind: its label, or the key of a kind no longer configured.
    pub fn label(&self, kind: &ClockKind) -> String {
        self.policy(kind)
            .map_or_else(|| kind.to_string(), |p| p.label.clone())
    }

    /// Checks every kind; the error names the key (`clocks.kinds.press_conference.…`).
    pub fn validate(&self, key: &str) -> Result<(), String> {
        if self.kinds.is_empty() {
            return Err(format!("{key}.kinds: configure at least one clock kind"));
        }
        let mut report_names = std::collections::HashSet::new();
        for (kind, policy) in &self.kinds {
            let key = format!("{key}.kinds.{kind}");
            policy.validate(&key)?;
            if let Some(after) = &policy.after
                && (after == kind || !self.kinds.contains_key(after))
            {
                return Err(format!("{key}.after: name another configured kind"));
            }
            if !report_names.insert(policy.report_as.as_str()) {
                return Err(format!("{key}.report_as: used by another kind"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
impl ClockRules {
    /// The two kinds of the default configuration, labels and deadlines only.
    pub fn specimen() -> Self {
        let kind = |key: &str, label: &str, report_as: &str, form, minutes| {
            let policy = ClockPolicy {
                label: label.into(),
                milestone: form,
                report_as: report_as.into(),
                severities: vec![Severity::ExtremelyMajor, Severity::Major],
                start_from: ClockStart::DiscoveredAt,
                due_after_minutes: minutes,
                at_risk_minutes: 60,
                steps: Vec::new(),
                repeat_every_minutes: 0,
                repeat_to: Vec::new(),
                announce: true,
                after: None,
                recurs: false,
            };
            (ClockKind::parse(key).expect("a kind"), policy)
        };
        Self {
            new_major_to: Vec::new(),
            kinds: BTreeMap::from([
                kind(
                    "authoritative_statement",
                    "发布权威信息",
                    "statement",
                    super::MilestoneForm::Publication,
                    300,
                ),
                kind(
                    "press_conference",
                    "举行新闻发布会",
                    "press_conference",
                    super::MilestoneForm::Meeting,
                    1440,
                ),
            ]),
        }
    }
}
