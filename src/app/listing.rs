//! What a listing of incidents may ask for, as both doors receive it (the API's query
//! string, the console list page's filter form), checked into the store's filter.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::domain::clock::{ClockKind, ClockState};
use crate::domain::incident::{
    Category, Cursor, IncidentFilter, Severity, Sort, SpecialTopic, Status,
};
use crate::domain::names::UnitCode;
use crate::error::AppError;
use crate::rule::Rule;
use crate::store::incidents::{self, Page};
use crate::store::units;

use super::App;

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 200;
const TEXT_MAX: usize = 100;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListIncidents {
    pub status: Option<Status>,
    /// Only incidents neither closed nor dismissed.
    pub open: Option<bool>,
    pub severity: Option<Severity>,
    pub category: Option<Category>,
    pub special_topic: Option<SpecialTopic>,
    /// A unit code: incidents with a responsible unit at or below it.
    pub unit: Option<String>,
    pub clock_kind: Option<ClockKind>,
    pub clock_state: Option<ClockState>,
    pub discovered_from: Option<DateTime<Utc>>,
    pub discovered_to: Option<DateTime<Utc>>,
    pub updated_since: Option<DateTime<Utc>>,
    /// Text looked for in the reference, title and summary.
    pub q: Option<String>,
    #[param(inline)]
    pub sort: Option<Sort>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

impl ListIncidents {
    /// The filter this query asks for (the unit is resolved against the directory later).
    pub fn parse(
        self,
        scope_path: Option<String>,
    ) -> Result<(IncidentFilter, Option<UnitCode>), AppError> {
        let limit = self.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(AppError::invalid("limit", Rule::OutOfRange(1, MAX_PAGE)));
        }
        let sort = self.sort.unwrap_or_default();
        let cursor = self
            .cursor
            .map(|c| {
                Cursor::parse(&c)
                    .filter(|c| c.fits(sort))
                    .ok_or_else(|| AppError::invalid("cursor", Rule::NotCursor))
            })
            .transpose()?;
        if let (Some(from), Some(to)) = (self.discovered_from, self.discovered_to)
            && from >= to
        {
            return Err(AppError::invalid(
                "discovered_to",
                Rule::NotAfter("discovered_from"),
            ));
        }
        let text = match self.q.as_deref().map(str::trim) {
            Some("") | None => None,
            Some(t) if t.chars().count() > TEXT_MAX => {
                return Err(AppError::invalid("q", Rule::TooLong(TEXT_MAX)));
            }
            Some(t) => Some(t.to_owned()),
        };
        let unit = self.unit.map(|u| UnitCode::parse("unit", &u)).transpose()?;
        let filter = IncidentFilter {
            status: self.status,
            open_only: self.open.unwrap_or(false),
            severity: self.severity,
            category: self.category,
            special_topic: self.special_topic,
            unit_path: None,
            scope_path,
            clock_kind: self.clock_kind,
            clock_state: self.clock_state,
            discovered_from: self.discovered_from,
            discovered_to: self.discovered_to,
            updated_since: self.updated_since,
            text,
            sort,
            cursor,
            limit,
        };
        Ok((filter, unit))
    }
}

impl App {
    /// A page of incidents; `unit`, a unit code, narrows it to incidents with a
    /// responsible unit at or below that unit. A clock kind must be one of this
    /// service's.
    pub async fn list_incidents(
        &self,
        mut filter: IncidentFilter,
        unit: Option<UnitCode>,
    ) -> Result<Page, AppError> {
        if let Some(kind) = &filter.clock_kind
            && self.clock_rules().policy(kind).is_none()
        {
            return Err(AppError::invalid("clock_kind", Rule::UnknownClockKind));
        }
        let now = self.now();
        self.read(move |conn| {
            if let Some(code) = unit {
                filter.unit_path = Some(units::find_named(conn, "unit", &code)?.path);
            }
            incidents::list(conn, filter, now)
        })
        .await
    }
}
