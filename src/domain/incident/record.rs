//! An incident as stored and as the API returns it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::clock::ClockView;
use crate::text_enum;

use super::{
    Category, IncidentContent, Publication, ReferralAuthority, ResponsibleUnits, Severity,
    SourceChannel, SpecialTopic, Status, UnitRef,
};
use crate::domain::ids::IncidentId;
use crate::error::AppError;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResponsibleUnit {
    pub code: String,
    pub name: String,
    pub first_responsible: bool,
    #[serde(skip)]
    pub path: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Referral {
    pub id: String,
    pub authority: ReferralAuthority,
    pub referred_at: DateTime<Utc>,
    pub their_reference: Option<String>,
    pub note: Option<String>,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportedBy {
    /// The API token's or the console account's id.
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Incident {
    pub id: IncidentId,
    pub reference: String,
    pub title: String,
    pub summary: String,
    pub source_channel: SourceChannel,
    pub source_url: Option<String>,
    pub discovered_at: DateTime<Utc>,
    pub reported_by: ReportedBy,
    pub severity: Severity,
    pub category: Category,
    pub special_topic: Option<SpecialTopic>,
    pub responsible_units: Vec<ResponsibleUnit>,
    pub status: Status,
    pub dismissal_reason: Option<String>,
    pub publication: Option<Publication>,
    pub referrals: Vec<Referral>,
    /// Every clock of the incident, whatever its kind (cancelled and met ones too), nearest
    /// deadline first; computed by the server at response time.
    pub clocks: Vec<ClockView>,
    /// Reference of an open incident with the same source URL at creation.
    pub possible_duplicate_of: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Incident {
    /// The incident as shown at `now` (its clocks' time-dependent fields brought up).
    pub fn at(&self, now: DateTime<Utc>) -> Self {
        Self {
            clocks: self.clocks.iter().map(|c| c.at(now)).collect(),
            ..self.clone()
        }
    }

    /// The editable content, for applying a patch to.
    pub fn content(&self) -> Result<IncidentContent, AppError> {
        let refs = self
            .responsible_units
            .iter()
            .map(|u| UnitRef {
                code: u.code.clone(),
                first_responsible: u.first_responsible,
            })
            .collect();
        Ok(IncidentContent {
            title: self.title.clone(),
            summary: self.summary.clone(),
            source_channel: self.source_channel,
            source_url: self.source_url.clone(),
            discovered_at: self.discovered_at,
            severity: self.severity,
            category: self.category,
            special_topic: self.special_topic,
            units: ResponsibleUnits::parse("responsible_units", refs)?,
        })
    }

    pub fn unit_paths(&self) -> impl Iterator<Item = &str> {
        self.responsible_units.iter().map(|u| u.path.as_str())
    }
}

text_enum! {
    /// What happened, as recorded on the timeline.
    pub enum EventKind {
        Created => "created",
        Updated => "updated",
        StatusChanged => "status_changed",
        ReferralRecorded => "referral_recorded",
        ClocksStarted => "clocks_started",
        ClocksCancelled => "clocks_cancelled",
        ClocksRetimed => "clocks_retimed",
        MilestoneRecorded => "milestone_recorded",
        Acknowledged => "acknowledged",
        ClockAtRisk => "clock_at_risk",
        ClockBreached => "clock_breached",
        BriefingRead => "briefing_read",
    }
}

/// One entry of the append-only timeline.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Event {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub kind: EventKind,
    /// field → {"before", "after"} for changes; the recorded payload otherwise.
    pub changes: serde_json::Value,
    pub note: Option<String>,
}

/// A timeline event as the live stream sends it: with its place in commit order and the
/// incident it belongs to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StreamEvent {
    pub seq: i64,
    pub incident_id: String,
    pub reference: String,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub kind: EventKind,
    pub changes: serde_json::Value,
    pub note: Option<String>,
    /// Paths of the incident's responsible units, to tell whose scope it is in.
    #[serde(skip)]
    pub unit_paths: Vec<String>,
}
