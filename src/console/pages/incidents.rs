//! 舆情列表: every incident the account may see, with the API's filters (status, severity,
//! category, unit, discovery dates, words) and its keyset paging.

use actix_web::{HttpResponse, get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::app::listing::ListIncidents;
use crate::console::error::ConsoleError;
use crate::console::labels;
use crate::console::present::{self, Choice, IncidentRow};
use crate::console::session::Signed;
use crate::console::views;
use crate::domain::incident::{Category, Severity, Sort, Status};
use crate::error::AppError;
use crate::rule::Rule;
use crate::web::AppState;

const PAGE: i64 = 50;

/// The search form as typed (every field optional text).
#[derive(Debug, Default, Deserialize, Serialize, Clone)]
struct Search {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    unit: String,
    /// Local dates, `2026-11-01`.
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    sort: String,
    /// "true": open incidents only (the board's "all of them" link asks for this).
    #[serde(default)]
    open: String,
    #[serde(default)]
    cursor: String,
}

#[derive(Serialize)]
struct ListPage {
    search: Search,
    rows: Vec<IncidentRow>,
    /// The query for the next page, when there is one.
    next: Option<String>,
    first_page: bool,
    /// The query for the first page.
    first: String,
    error: Option<String>,
    statuses: Vec<Choice>,
    severities: Vec<Choice>,
    categories: Vec<Choice>,
    units: Vec<Choice>,
}

fn blank_to_none(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn enum_field<T: std::str::FromStr<Err = Rule>>(
    field: &str,
    v: &str,
) -> Result<Option<T>, AppError> {
    blank_to_none(v)
        .map(|v| v.parse().map_err(|e: Rule| AppError::invalid(field, e)))
        .transpose()
}

/// The start of a local date, in UTC.
fn day_start(
    field: &str,
    v: &str,
    zone: chrono_tz::Tz,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, AppError> {
    let Some(v) = blank_to_none(v) else {
        return Ok(None);
    };
    let date = NaiveDate::parse_from_str(&v, "%Y-%m-%d")
        .map_err(|_| AppError::invalid(field, Rule::NotDateTime))?;
    labels::parse_input(field, &format!("{date}T00:00:00"), zone).map(Some)
}

impl Search {
    /// The same query the API takes, so the same rules apply.
    fn to_api(&self, zone: chrono_tz::Tz) -> Result<ListIncidents, AppError> {
        let to = day_start("discovered_to", &self.to, zone)?.map(|t| t + chrono::Duration::days(1));
        Ok(ListIncidents {
            status: enum_field("status", &self.status)?,
            open: (self.open == "true").then_some(true),
            severity: enum_field("severity", &self.severity)?,
            category: enum_field("category", &self.category)?,
            special_topic: None,
            unit: blank_to_none(&self.unit),
            clock_kind: None,
            clock_state: None,
            discovered_from: day_start("discovered_from", &self.from, zone)?,
            discovered_to: to,
            updated_since: None,
            q: blank_to_none(&self.q),
            sort: Some(if self.sort == "deadline" {
                Sort::Deadline
            } else {
                Sort::Newest
            }),
            cursor: blank_to_none(&self.cursor),
            limit: Some(PAGE),
        })
    }

    fn with_cursor(&self, cursor: &str) -> String {
        let next = Search {
            cursor: cursor.to_owned(),
            ..self.clone()
        };
        serde_urlencoded::to_string(&next).unwrap_or_default()
    }
}

#[get("/incidents")]
async fn show(
    state: web::Data<AppState>,
    signed: Signed,
    q: web::Query<Search>,
) -> Result<HttpResponse, ConsoleError> {
    let search = q.into_inner();
    let actor = &signed.session.actor;
    let scope = actor.scope.as_ref().map(|s| s.path.clone());
    let now = state.now();
    let query = search
        .to_api(state.zone())
        .and_then(|api| api.parse(scope.clone()));
    let all_units = state.app.units(scope).await?;
    let found = match query {
        Ok((filter, unit)) => state.app.list_incidents(filter, unit).await,
        Err(e) => Err(e),
    };
    // A query that does not parse is shown on the form; anything else is an error.
    let found = match found {
        Err(e) if !matches!(e, AppError::Invalid { .. }) => return Err(e.into()),
        found => found,
    };
    let (rows, next, error) = match found {
        Ok(page) => (
            page.items
                .iter()
                .map(|i| present::row(&i.at(now), state.zone()))
                .collect(),
            page.next_cursor.map(|c| search.with_cursor(&c)),
            None,
        ),
        Err(e @ AppError::Invalid { .. }) => {
            (Vec::new(), None, labels::field_message(&e).map(|(_, m)| m))
        }
        Err(e) => return Err(e.into()),
    };
    let page = ListPage {
        first_page: search.cursor.is_empty(),
        first: search.with_cursor(""),
        rows,
        next,
        error,
        statuses: present::options::<Status>(search.status.parse().ok()),
        severities: present::options::<Severity>(search.severity.parse().ok()),
        categories: present::options::<Category>(search.category.parse().ok()),
        units: present::unit_options(all_units, &search.unit),
        search,
    };
    Ok(views::page("incidents.html", &signed.chrome("list"), page)?)
}
