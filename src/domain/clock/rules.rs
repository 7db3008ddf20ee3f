//! Which incidents get clocks, from when, and each clock kind's policy (config `clocks`).

use chrono::{DateTime, Utc};
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

    /// When clocks of an incident discovered at `discovered_at` start, if they start
    /// `now`.
    pub fn started_at(&self, discovered_at: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
        match self.start_from {
            ClockStart::DiscoveredAt => discovered_at,
            ClockStart::ClassifiedAt => now,
        }
    }

    /// Running clocks move with the incident's discovery time only when they count
    /// from it.
    pub fn follows_discovery(&self) -> bool {
        self.start_from == ClockStart::DiscoveredAt
    }

    /// Checks both policies; the error names the key (`clocks.press_conference.…`).
    pub fn validate(&self, key: &str) -> Result<(), String> {
        for kind in ClockKind::ALL {
            self.policy(*kind).validate(&format!("{key}.{kind}"))?;
        }
        Ok(())
    }
}
