//! A partial update: fields present are changed, `null` clears an optional field.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{
    Category, IncidentContent, ResponsibleUnits, Severity, SourceChannel, SpecialTopic, UnitRef,
    parse_discovered_at, parse_summary, parse_title,
};
use crate::domain::text;
use crate::error::AppError;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentPatch {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub source_channel: Option<SourceChannel>,
    #[serde(default, deserialize_with = "crate::domain::nullable::present")]
    pub source_url: Option<Option<String>>,
    pub discovered_at: Option<DateTime<Utc>>,
    pub severity: Option<Severity>,
    pub category: Option<Category>,
    #[serde(default, deserialize_with = "crate::domain::nullable::present")]
    pub special_topic: Option<Option<SpecialTopic>>,
    pub responsible_units: Option<Vec<UnitRef>>,
    /// The version the client edited; `If-Match` may carry it instead.
    pub version: Option<i64>,
}

/// A patch applied: the new content, what changed, and what of it the clocks follow.
pub struct Applied {
    pub next: IncidentContent,
    pub severity_changed: bool,
    pub units_changed: bool,
    pub discovery_changed: bool,
}

impl IncidentPatch {
    /// Applies the patch to `current`, checking every field it touches.
    pub fn apply(self, current: &IncidentContent, now: DateTime<Utc>) -> Result<Applied, AppError> {
        let mut next = current.clone();
        if let Some(v) = self.title {
            next.title = parse_title(&v)?;
        }
        if let Some(v) = self.summary {
            next.summary = parse_summary(&v)?;
        }
        if let Some(v) = self.source_channel {
            next.source_channel = v;
        }
        if let Some(v) = self.source_url {
            next.source_url = text::optional_url("source_url", v.as_deref())?;
        }
        if let Some(v) = self.discovered_at {
            next.discovered_at = parse_discovered_at(v, now)?;
        }
        if let Some(v) = self.severity {
            next.severity = v;
        }
        if let Some(v) = self.category {
            next.category = v;
        }
        if let Some(v) = self.special_topic {
            next.special_topic = v;
        }
        if let Some(v) = self.responsible_units {
            next.units = ResponsibleUnits::parse("responsible_units", v)?;
        }
        Ok(Applied {
            severity_changed: next.severity != current.severity,
            units_changed: next.units != current.units,
            discovery_changed: next.discovered_at != current.discovered_at,
            next,
        })
    }
}
