//! What a listing of incidents asks the store for: filters, order and the keyset
//! position after the last page.

use chrono::{DateTime, Datelike, NaiveDateTime, Utc};

use super::{Category, Severity, SpecialTopic, Status};
use crate::domain::clock::{ClockKind, ClockState};

#[derive(Debug, Default)]
pub struct IncidentFilter {
    pub status: Option<Status>,
    /// Only incidents neither closed nor dismissed.
    pub open_only: bool,
    pub severity: Option<Severity>,
    pub category: Option<Category>,
    pub special_topic: Option<SpecialTopic>,
    /// Path of a unit: incidents with a responsible unit at or below it.
    pub unit_path: Option<String>,
    /// The token's scope, applied the same way.
    pub scope_path: Option<String>,
    /// Incidents with a clock of this kind (and state, when given).
    pub clock_kind: Option<ClockKind>,
    pub clock_state: Option<ClockState>,
    pub discovered_from: Option<DateTime<Utc>>,
    pub discovered_to: Option<DateTime<Utc>>,
    pub updated_since: Option<DateTime<Utc>>,
    /// Words looked for in the reference, title and summary.
    pub text: Option<String>,
    pub sort: Sort,
    pub cursor: Option<Cursor>,
    pub limit: i64,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Newest logged first.
    #[default]
    Newest,
    /// Nearest running deadline first; incidents without a running clock follow, newest
    /// first.
    Deadline,
}

/// Position after the last item of a page. Deadline order walks two runs: incidents
/// with a running deadline (by deadline), then the rest (newest first).
#[derive(Debug, Clone, PartialEq)]
pub enum Cursor {
    Newest {
        created_at: NaiveDateTime,
        id: String,
    },
    Deadline {
        due_at: NaiveDateTime,
        id: String,
    },
    Undated {
        created_at: NaiveDateTime,
        id: String,
    },
    /// The dated run ended exactly at a page's end; the undated run follows.
    UndatedStart,
}

impl Cursor {
    pub fn parse(s: &str) -> Option<Self> {
        if s == "s" {
            return Some(Self::UndatedStart);
        }
        let (tag, rest) = s.split_at_checked(1)?;
        let (micros, id) = rest.split_once('_')?;
        let at = DateTime::from_timestamp_micros(micros.parse().ok()?)?.naive_utc();
        // Cursors carry times this service wrote; one far outside them was made up (and
        // PostgreSQL cannot even compare it).
        if !(1970..=9999).contains(&at.year()) || id.contains('\0') {
            return None;
        }
        let id = id.to_owned();
        match tag {
            "n" => Some(Self::Newest { created_at: at, id }),
            "d" => Some(Self::Deadline { due_at: at, id }),
            "u" => Some(Self::Undated { created_at: at, id }),
            _ => None,
        }
    }

    pub fn encode(&self) -> String {
        let (tag, at, id) = match self {
            Self::Newest { created_at, id } => ("n", created_at, id),
            Self::Deadline { due_at, id } => ("d", due_at, id),
            Self::Undated { created_at, id } => ("u", created_at, id),
            Self::UndatedStart => return "s".into(),
        };
        format!("{tag}{}_{id}", at.and_utc().timestamp_micros())
    }

    pub fn fits(&self, sort: Sort) -> bool {
        matches!(
            (self, sort),
            (Self::Newest { .. }, Sort::Newest)
                | (
                    Self::Deadline { .. } | Self::Undated { .. } | Self::UndatedStart,
                    Sort::Deadline
                )
        )
    }
}
