//! Evidence that a milestone happened: it stops the clock of the same kind.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ClockKind;
use crate::domain::incident::{NOTE_MAX, parse_since_discovery};
use crate::domain::text;
use crate::error::AppError;
use crate::rule::Rule;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneInput {
    pub kind: ClockKind,
    pub occurred_at: DateTime<Utc>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub venue: Option<String>,
    #[serde(default)]
    pub spokesperson: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// What proves the milestone, by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Evidence {
    Statement { channel: String, url: String },
    PressConference { venue: String, spokesperson: String },
}

fn required(field: &str, value: Option<&str>, max: usize) -> Result<String, AppError> {
    text::optional(field, value, max)?
        .ok_or_else(|| AppError::invalid(field, Rule::RequiredForMilestone))
}

impl MilestoneInput {
    /// Checks the evidence for the kind and the time against the incident's discovery.
    pub fn parse(
        self,
        discovered_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(ClockKind, DateTime<Utc>, Evidence, Option<String>), AppError> {
        let occurred_at =
            parse_since_discovery("occurred_at", self.occurred_at, discovered_at, now)?;
        let evidence = match self.kind {
            ClockKind::AuthoritativeStatement => {
                let url = text::optional_url("url", self.url.as_deref())?
                    .ok_or_else(|| AppError::invalid("url", Rule::RequiredForStatement))?;
                Evidence::Statement {
                    channel: required("channel", self.channel.as_deref(), 200)?,
                    url,
                }
            }
            ClockKind::PressConference => Evidence::PressConference {
                venue: required("venue", self.venue.as_deref(), 200)?,
                spokesperson: required("spokesperson", self.spokesperson.as_deref(), 100)?,
            },
        };
        let note = text::optional("note", self.note.as_deref(), NOTE_MAX)?;
        Ok((self.kind, occurred_at, evidence, note))
    }
}
