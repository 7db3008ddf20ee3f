//! Briefings (舆情快报) up the hierarchy: the responsible unit reports an incident to its
//! parent unit — a first report (首报) soon after logging, follow-ups (续报) while it lasts,
//! a final report (终报) after closing. Which of these a briefing is, is a clock kind whose
//! milestone form is `briefing`; each submission is the next version of the incident's
//! briefing, and the parent unit's officers mark it read.
//! The rule for the content: 快报事实、慎报原因 — facts first, causes with care.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::clock::ClockKind;
use crate::domain::ids::{BriefingId, IncidentId};
use crate::domain::incident::parse_discovered_at;
use crate::domain::names::UnitCode;
use crate::domain::text;
use crate::error::AppError;

/// The longest free-text field of a briefing.
pub const FACT_MAX: usize = 2000;

/// A briefing as submitted (API body, console form).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BriefingInput {
    /// Which report this is: a clock kind whose milestone is a briefing (by default
    /// `first_report`, `follow_report`, `final_report`).
    pub kind: ClockKind,
    /// The responsible unit that reports (to its parent); when omitted, the caller's own
    /// unit if it is responsible, else the first responsible unit.
    #[serde(default)]
    pub from_unit: Option<String>,
    /// What happened (事件概况).
    pub event: String,
    /// Where (发生地点或平台).
    #[serde(default)]
    pub location: Option<String>,
    /// When it was discovered.
    pub discovered_at: DateTime<Utc>,
    /// How far it has spread (传播情况：平台、阅读量、转评).
    #[serde(default)]
    pub spread: Option<String>,
    /// The units involved (涉及单位).
    #[serde(default)]
    pub units_involved: Option<String>,
    /// What has been done so far (已采取措施).
    pub actions: String,
    /// What comes next (下一步工作).
    #[serde(default)]
    pub next_steps: Option<String>,
    /// Who to call about it (联系人及电话).
    #[serde(default)]
    pub contact: Option<String>,
}

/// The facts of a briefing, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Facts {
    pub event: String,
    pub location: Option<String>,
    pub discovered_at: DateTime<Utc>,
    pub spread: Option<String>,
    pub units_involved: Option<String>,
    pub actions: String,
    pub next_steps: Option<String>,
    pub contact: Option<String>,
}

/// A briefing to submit, parsed.
pub struct NewBriefing {
    pub kind: ClockKind,
    pub from_unit: Option<UnitCode>,
    pub facts: Facts,
}

impl BriefingInput {
    pub fn parse(self, now: DateTime<Utc>) -> Result<NewBriefing, AppError> {
        Ok(NewBriefing {
            kind: self.kind,
            from_unit: text::optional("from_unit", self.from_unit.as_deref(), 32)?
                .map(|code| UnitCode::parse("from_unit", &code))
                .transpose()?,
            facts: Facts {
                event: text::required("event", &self.event, FACT_MAX)?,
                location: text::optional("location", self.location.as_deref(), 200)?,
                // As the briefing states it (to the second, or corrected by what
                // verification found): a moment that has happened.
                discovered_at: parse_discovered_at(self.discovered_at, now)?,
                spread: text::optional("spread", self.spread.as_deref(), FACT_MAX)?,
                units_involved: text::optional(
                    "units_involved",
                    self.units_involved.as_deref(),
                    500,
                )?,
                actions: text::required("actions", &self.actions, FACT_MAX)?,
                next_steps: text::optional("next_steps", self.next_steps.as_deref(), FACT_MAX)?,
                contact: text::optional("contact", self.contact.as_deref(), 100)?,
            },
        })
    }
}

/// A unit as a briefing names it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BriefingUnit {
    pub code: String,
    pub name: String,
}

/// A briefing as listed: on the sender's incident page and in the parent's inbox.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Briefing {
    pub id: BriefingId,
    pub incident_id: IncidentId,
    pub incident_reference: String,
    pub incident_title: String,
    /// The incident briefing's version: 1 for the first submitted, then 2, 3, …
    pub version: i64,
    pub kind: ClockKind,
    /// The kind's label (首报, 续报, 终报).
    pub label: String,
    pub from_unit: BriefingUnit,
    pub to_unit: BriefingUnit,
    pub facts: Facts,
    pub submitted_at: DateTime<Utc>,
    pub submitted_by: String,
    /// When an officer of the receiving unit marked it read, and who.
    pub read_at: Option<DateTime<Utc>>,
    pub read_by: Option<String>,
}
