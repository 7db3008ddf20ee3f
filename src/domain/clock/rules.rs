//! Which incidents get clocks, from when, and each clock kind's policy (config `clocks`).

use serde::Deserialize;

use super::{Audience, ClockKind, ClockPolicy};
use crate::domain::incident::Severity;

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ClockStart {
    DiscoveredAt,
    ClassifiedAt,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockRules {
    pub severities: Vec<Severity>,
    pub start_from: ClockStart,
    pub new_major_to: Vec<Audience>,
    pub authoritative_statement: ClockPolicy,
    pub press_conference: ClockPolicy,
}

impl ClockRules {
    pub fn policy(&self, kind: ClockKind) -> &ClockPolicy {
        match kind {
            ClockKind::AuthoritativeStatement => &self.authoritative_statement,
            ClockKind::PressConference => &self.press_conference,
        }
    }

    pub fn applies_to(&self, severity: Severity) -> bool {
        self.severities.contains(&severity)
    }

    /// Checks both policies; the error names the key (`clocks.press_conference.…`).
    pub fn validate(&self, key: &str) -> Result<(), String> {
        for kind in ClockKind::ALL {
            self.policy(*kind).validate(&format!("{key}.{kind}"))?;
        }
        Ok(())
    }
}
