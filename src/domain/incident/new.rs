//! A new incident as a front door receives it, parsed once into its content.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{
    Category, IncidentContent, ResponsibleUnits, Severity, SourceChannel, SpecialTopic, UnitRef,
    parse_discovered_at, parse_summary, parse_title,
};
use crate::domain::text;
use crate::error::AppError;

/// A client-chosen key (`Idempotency-Key`) and a hash of the request it came with.
#[derive(Clone)]
pub struct IdempotencyKey {
    pub key: String,
    pub request_hash: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIncident {
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[schema(min_length = 1, max_length = 5000)]
    pub summary: String,
    pub source_channel: SourceChannel,
    #[serde(default)]
    #[schema(pattern = "^https?://[^\\s]+$", example = "https://weibo.com/123")]
    pub source_url: Option<String>,
    pub discovered_at: DateTime<Utc>,
    pub severity: Severity,
    pub category: Category,
    #[serde(default)]
    pub special_topic: Option<SpecialTopic>,
    #[schema(min_items = 1, max_items = 20)]
    pub responsible_units: Vec<UnitRef>,
}

impl CreateIncident {
    pub fn parse(self, now: DateTime<Utc>) -> Result<IncidentContent, AppError> {
        Ok(IncidentContent {
            title: parse_title(&self.title)?,
            summary: parse_summary(&self.summary)?,
            source_channel: self.source_channel,
            source_url: text::optional_url("source_url", self.source_url.as_deref())?,
            discovered_at: parse_discovered_at(self.discovered_at, now)?,
            severity: self.severity,
            category: self.category,
            special_topic: self.special_topic,
            units: ResponsibleUnits::parse("responsible_units", self.responsible_units)?,
        })
    }
}
