//! A partial update: fields present are changed, `null` clears an optional field.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};

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

/// The field-by-field difference recorded on the timeline.
pub type Changes = Map<String, Value>;

/// A patch applied: the new content, what changed, and what of it the clocks follow.
pub struct Applied {
    pub next: IncidentContent,
    pub changes: Changes,
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
            changes: diff(Some(current), &next),
            severity_changed: next.severity != current.severity,
            units_changed: next.units != current.units,
            discovery_changed: next.discovered_at != current.discovered_at,
            next,
        })
    }
}

/// Every field of a new incident, as changes from nothing.
pub fn snapshot(content: &IncidentContent) -> Changes {
    diff(None, content)
}

fn diff(a: Option<&IncidentContent>, b: &IncidentContent) -> Changes {
    let mut changes = Map::new();
    let mut field = |name: &str, before: Option<Value>, after: Value| {
        if before.as_ref() != Some(&after) {
            let before = before.unwrap_or(Value::Null);
            changes.insert(name.into(), json!({ "before": before, "after": after }));
        }
    };
    field("title", a.map(|a| json!(a.title)), json!(b.title));
    field("summary", a.map(|a| json!(a.summary)), json!(b.summary));
    field(
        "source_channel",
        a.map(|a| json!(a.source_channel)),
        json!(b.source_channel),
    );
    field(
        "source_url",
        a.map(|a| json!(a.source_url)),
        json!(b.source_url),
    );
    field(
        "discovered_at",
        a.map(|a| json!(a.discovered_at)),
        json!(b.discovered_at),
    );
    field("severity", a.map(|a| json!(a.severity)), json!(b.severity));
    field("category", a.map(|a| json!(a.category)), json!(b.category));
    field(
        "special_topic",
        a.map(|a| json!(a.special_topic)),
        json!(b.special_topic),
    );
    field(
        "responsible_units",
        a.map(|a| json!(a.units.iter().collect::<Vec<_>>())),
        json!(b.units.iter().collect::<Vec<_>>()),
    );
    changes
}
