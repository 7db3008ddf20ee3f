//! Listing incidents newest first, with keyset pagination that stays stable while new
//! incidents arrive.

use diesel::prelude::*;

use super::{IncidentRow, hydrate};
use crate::domain::incident::{Category, Incident, Severity, SpecialTopic, Status};
use crate::error::AppError;
use crate::store::schema::{incident_units, incidents, units};
use crate::store::{DbConn, from_db_time};

#[derive(Debug, Default)]
pub struct IncidentFilter {
    pub status: Option<Status>,
    pub severity: Option<Severity>,
    pub category: Option<Category>,
    pub special_topic: Option<SpecialTopic>,
    /// Path of a unit: incidents with a responsible unit at or below it.
    pub unit_path: Option<String>,
    /// The token's scope, applied the same way.
    pub scope_path: Option<String>,
    pub cursor: Option<Cursor>,
    pub limit: i64,
}

/// Position after the last item of a page: (created_at, id) of that item.
#[derive(Debug, Clone)]
pub struct Cursor {
    created_at: chrono::NaiveDateTime,
    id: String,
}

impl Cursor {
    pub fn parse(s: &str) -> Option<Self> {
        let (micros, id) = s.split_once('_')?;
        let at = chrono::DateTime::from_timestamp_micros(micros.parse().ok()?)?;
        Some(Self {
            created_at: at.naive_utc(),
            id: id.to_owned(),
        })
    }

    fn encode(created_at: chrono::DateTime<chrono::Utc>, id: &str) -> String {
        format!("{}_{id}", created_at.timestamp_micros())
    }
}

pub struct Page {
    pub items: Vec<Incident>,
    pub next_cursor: Option<String>,
}

pub fn list(
    conn: &mut DbConn,
    filter: IncidentFilter,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Page, AppError> {
    let mut query = incidents::table
        .select(IncidentRow::as_select())
        .order((incidents::created_at.desc(), incidents::id.desc()))
        .limit(filter.limit + 1)
        .into_boxed();
    if let Some(s) = filter.status {
        query = query.filter(incidents::status.eq(s.as_str()));
    }
    if let Some(s) = filter.severity {
        query = query.filter(incidents::severity.eq(s.as_str()));
    }
    if let Some(c) = filter.category {
        query = query.filter(incidents::category.eq(c.as_str()));
    }
    if let Some(t) = filter.special_topic {
        query = query.filter(incidents::special_topic.eq(t.as_str()));
    }
    for path in [filter.unit_path, filter.scope_path].into_iter().flatten() {
        let below = incident_units::table
            .inner_join(units::table)
            .filter(units::path.like(format!("{path}%")))
            .select(incident_units::incident_id);
        query = query.filter(incidents::id.eq_any(below));
    }
    if let Some(c) = filter.cursor {
        query = query.filter(
            incidents::created_at
                .lt(c.created_at)
                .or(incidents::created_at
                    .eq(c.created_at)
                    .and(incidents::id.lt(c.id))),
        );
    }
    let mut rows: Vec<IncidentRow> = query.load(conn)?;
    let more = rows.len() as i64 > filter.limit;
    rows.truncate(filter.limit as usize);
    let next_cursor = more
        .then(|| {
            rows.last()
                .map(|r| Cursor::encode(from_db_time(r.created_at), &r.id))
        })
        .flatten();
    Ok(Page {
        items: hydrate(conn, rows, now)?,
        next_cursor,
    })
}
