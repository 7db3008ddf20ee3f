//! What a timeline entry records, as types. The use cases write a `Change`; the API
//! returns the recorded JSON as it is; the console reads it back into a `Change` and
//! renders it in Chinese. One definition serves the writing and the reading.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::domain::clock::{ClockKind, ClockPhase, Evidence, StoredState};
use crate::domain::escalation::Channel;
use crate::domain::ids::{BriefingId, ClockId};
use crate::domain::incident::{
    Category, EventKind, IncidentContent, Publication, ReferralAuthority, Severity, SourceChannel,
    SpecialTopic, Status, UnitRef,
};
use crate::text_enum;

/// One timeline entry's content.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// 登记: every field from nothing.
    Logged(FieldChanges),
    Updated(FieldChanges),
    StatusChanged(FieldChanges),
    ReferralRecorded(ReferralRecorded),
    ClocksStarted(ClocksStarted),
    ClocksCancelled(ClocksCancelled),
    ClocksRetimed(ClockRetimed),
    MilestoneRecorded(MilestoneRecorded),
    Acknowledged(Acknowledged),
    ClockAtRisk(PhaseCrossed),
    ClockBreached(PhaseCrossed),
    /// The receiving unit read a briefing (its read receipt).
    BriefingRead(BriefingRead),
}

impl Change {
    pub fn kind(&self) -> EventKind {
        match self {
            Self::Logged(_) => EventKind::Created,
            Self::Updated(_) => EventKind::Updated,
            Self::StatusChanged(_) => EventKind::StatusChanged,
            Self::ReferralRecorded(_) => EventKind::ReferralRecorded,
            Self::ClocksStarted(_) => EventKind::ClocksStarted,
            Self::ClocksCancelled(_) => EventKind::ClocksCancelled,
            Self::ClocksRetimed(_) => EventKind::ClocksRetimed,
            Self::MilestoneRecorded(_) => EventKind::MilestoneRecorded,
            Self::Acknowledged(_) => EventKind::Acknowledged,
            Self::ClockAtRisk(_) => EventKind::ClockAtRisk,
            Self::ClockBreached(_) => EventKind::ClockBreached,
            Self::BriefingRead(_) => EventKind::BriefingRead,
        }
    }

    /// The recorded form (the API's `changes`).
    pub fn to_json(&self) -> Value {
        fn value(v: &impl Serialize) -> Value {
            // Plain data (strings, times, enums): serialising it cannot fail.
            serde_json::to_value(v).unwrap_or(Value::Null)
        }
        match self {
            Self::Logged(c) | Self::Updated(c) | Self::StatusChanged(c) => c.to_json(),
            Self::ReferralRecorded(c) => value(c),
            Self::ClocksStarted(c) => value(c),
            Self::ClocksCancelled(c) => value(c),
            Self::ClocksRetimed(c) => value(c),
            Self::MilestoneRecorded(c) => value(c),
            Self::Acknowledged(c) => value(c),
            Self::ClockAtRisk(c) | Self::ClockBreached(c) => value(c),
            Self::BriefingRead(c) => value(c),
        }
    }

    /// Reads a recorded entry back; `None` for a payload this version cannot read.
    pub fn read(kind: EventKind, recorded: &Value) -> Option<Self> {
        fn de<T: DeserializeOwned>(v: &Value) -> Option<T> {
            T::deserialize(v).ok()
        }
        Some(match kind {
            EventKind::Created => Self::Logged(FieldChanges::read(recorded)?),
            EventKind::Updated => Self::Updated(FieldChanges::read(recorded)?),
            EventKind::StatusChanged => Self::StatusChanged(FieldChanges::read(recorded)?),
            EventKind::ReferralRecorded => Self::ReferralRecorded(de(recorded)?),
            EventKind::ClocksStarted => Self::ClocksStarted(de(recorded)?),
            EventKind::ClocksCancelled => Self::ClocksCancelled(de(recorded)?),
            EventKind::ClocksRetimed => Self::ClocksRetimed(de(recorded)?),
            EventKind::MilestoneRecorded => Self::MilestoneRecorded(de(recorded)?),
            EventKind::Acknowledged => Self::Acknowledged(de(recorded)?),
            EventKind::ClockAtRisk => Self::ClockAtRisk(de(recorded)?),
            EventKind::ClockBreached => Self::ClockBreached(de(recorded)?),
            EventKind::BriefingRead => Self::BriefingRead(de(recorded)?),
        })
    }
}

text_enum! {
    /// An incident's fields as the timeline names them, in the order a reader expects
    /// them: what it is, how grave, where from, who answers.
    pub enum Field {
        Status => "status",
        Title => "title",
        Severity => "severity",
        Category => "category",
        SpecialTopic => "special_topic",
        SourceChannel => "source_channel",
        SourceUrl => "source_url",
        DiscoveredAt => "discovered_at",
        ResponsibleUnits => "responsible_units",
        Summary => "summary",
        DismissalReason => "dismissal_reason",
        Publication => "publication",
    }
}

/// A field's value, typed by the field.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FieldValue {
    Text(String),
    Time(DateTime<Utc>),
    Severity(Severity),
    Category(Category),
    SpecialTopic(SpecialTopic),
    SourceChannel(SourceChannel),
    Status(Status),
    Units(Vec<UnitRef>),
    Publication(Publication),
    None,
}

impl FieldValue {
    fn read(field: Field, v: &Value) -> Option<Self> {
        fn de<T: DeserializeOwned>(v: &Value) -> Option<T> {
            T::deserialize(v).ok()
        }
        if v.is_null() {
            return Some(Self::None);
        }
        Some(match field {
            Field::Status => Self::Status(de(v)?),
            Field::Severity => Self::Severity(de(v)?),
            Field::Category => Self::Category(de(v)?),
            Field::SpecialTopic => Self::SpecialTopic(de(v)?),
            Field::SourceChannel => Self::SourceChannel(de(v)?),
            Field::DiscoveredAt => Self::Time(de(v)?),
            Field::ResponsibleUnits => Self::Units(de(v)?),
            Field::Publication => Self::Publication(de(v)?),
            Field::Title | Field::SourceUrl | Field::Summary | Field::DismissalReason => {
                Self::Text(de(v)?)
            }
        })
    }
}

/// One field from its old value to its new one (`None` before: it was just set).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub field: Field,
    pub before: FieldValue,
    pub after: FieldValue,
}

/// Field changes, kept in the reader's order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FieldChanges(Vec<FieldChange>);

impl FieldChanges {
    /// Adds a field that changed (kept in the reader's order).
    pub fn set(&mut self, field: Field, before: FieldValue, after: FieldValue) {
        self.0.retain(|c| c.field != field);
        self.0.push(FieldChange {
            field,
            before,
            after,
        });
        self.0.sort_by_key(|c| c.field);
    }

    /// What differs from `before` to `after`; every field when there was no before (a
    /// new incident).
    pub fn between(before: Option<&IncidentContent>, after: &IncidentContent) -> Self {
        let mut changes = Self::default();
        let mut field = |field: Field, value: &dyn Fn(&IncidentContent) -> FieldValue| {
            let (old, new) = (before.map(value), value(after));
            if old.as_ref() != Some(&new) {
                changes.set(field, old.unwrap_or(FieldValue::None), new);
            }
        };
        let text = |t: &Option<String>| t.clone().map_or(FieldValue::None, FieldValue::Text);
        field(Field::Title, &|c| FieldValue::Text(c.title.clone()));
        field(Field::Summary, &|c| FieldValue::Text(c.summary.clone()));
        field(Field::SourceChannel, &|c| {
            FieldValue::SourceChannel(c.source_channel)
        });
        field(Field::SourceUrl, &|c| text(&c.source_url));
        field(Field::DiscoveredAt, &|c| FieldValue::Time(c.discovered_at));
        field(Field::Severity, &|c| FieldValue::Severity(c.severity));
        field(Field::Category, &|c| FieldValue::Category(c.category));
        field(Field::SpecialTopic, &|c| {
            c.special_topic
                .map_or(FieldValue::None, FieldValue::SpecialTopic)
        });
        field(Field::ResponsibleUnits, &|c| {
            FieldValue::Units(c.units.iter().cloned().collect())
        });
        changes
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldChange> {
        self.0.iter()
    }

    pub fn get(&self, field: Field) -> Option<&FieldChange> {
        self.0.iter().find(|c| c.field == field)
    }

    fn to_json(&self) -> Value {
        let fields: Map<String, Value> = self
            .0
            .iter()
            .map(|c| {
                let v = json!({ "before": c.before, "after": c.after });
                (c.field.as_str().to_owned(), v)
            })
            .collect();
        Value::Object(fields)
    }

    fn read(recorded: &Value) -> Option<Self> {
        let mut changes = Self::default();
        for (name, v) in recorded.as_object()? {
            let field: Field = name.parse().ok()?;
            let read = |key: &str| FieldValue::read(field, v.get(key).unwrap_or(&Value::Null));
            changes.set(field, read("before")?, read("after")?);
        }
        Some(changes)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferralRecorded {
    pub referral_id: String,
    pub authority: ReferralAuthority,
    pub referred_at: DateTime<Utc>,
    pub their_reference: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClocksStarted {
    pub clocks: Vec<StartedClock>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartedClock {
    pub clock_id: ClockId,
    pub kind: ClockKind,
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClocksCancelled {
    pub kinds: Vec<ClockKind>,
    /// A stop reason's key (`StopReason::key`).
    pub reason: String,
}

/// A value before and after a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Moved<T> {
    pub before: T,
    pub after: T,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockRetimed {
    pub clock_id: ClockId,
    pub kind: ClockKind,
    pub due_at: Moved<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MilestoneRecorded {
    pub milestone_id: String,
    pub kind: ClockKind,
    pub occurred_at: DateTime<Utc>,
    pub evidence: Evidence,
    /// How the running clock ended; none when no clock of the kind was running.
    pub clock_state: Option<StoredState>,
    /// Marked as the last release: no further one is due.
    #[serde(default, rename = "final", skip_serializing_if = "std::ops::Not::not")]
    pub is_final: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BriefingRead {
    pub briefing_id: BriefingId,
    pub kind: ClockKind,
    pub version: i64,
    /// The unit that read it (its name).
    pub unit: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Acknowledged {
    pub by: String,
    /// Entries from before channels were data name the e-mail address only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub clock: ClockKind,
    /// The acknowledged step's key (`Step::key`).
    pub step: String,
    pub repeats_stopped: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseCrossed {
    pub clock_id: ClockId,
    pub kind: ClockKind,
    pub due_at: DateTime<Utc>,
    pub phase: Moved<ClockPhase>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What is written reads back as the same change, and the recorded JSON keeps its
    /// shape (the API returns it as it is).
    #[test]
    fn changes_round_trip_through_their_recorded_form() {
        let at: DateTime<Utc> = "2026-11-22T01:00:00Z".parse().unwrap();
        let mut fields = FieldChanges::default();
        fields.set(
            Field::Severity,
            FieldValue::Severity(Severity::General),
            FieldValue::Severity(Severity::Major),
        );
        fields.set(
            Field::Status,
            FieldValue::None,
            FieldValue::Status(Status::Verifying),
        );
        let updated = Change::Updated(fields);
        let json = updated.to_json();
        assert_eq!(json["severity"]["before"], "general");
        assert_eq!(json["status"]["before"], Value::Null);
        assert_eq!(Change::read(EventKind::Updated, &json), Some(updated));

        let retimed = Change::ClocksRetimed(ClockRetimed {
            clock_id: ClockId::generate(),
            kind: ClockKind::parse("authoritative_statement").unwrap(),
            due_at: Moved {
                before: at,
                after: at + chrono::Duration::hours(1),
            },
        });
        let json = retimed.to_json();
        assert_eq!(json["due_at"]["after"], "2026-11-22T02:00:00Z");
        assert_eq!(Change::read(EventKind::ClocksRetimed, &json), Some(retimed));
    }

    #[test]
    fn an_acknowledgement_from_before_channels_reads() {
        let old = json!({ "by": "王局长", "email": "boss@example.org",
            "clock": "authoritative_statement", "step": "breach", "repeats_stopped": 2 });
        let Some(Change::Acknowledged(ack)) = Change::read(EventKind::Acknowledged, &old) else {
            panic!("unreadable");
        };
        assert_eq!((ack.by.as_str(), ack.repeats_stopped), ("王局长", 2));
        assert_eq!(ack.channel, None);
    }
}
