//! Tax-related public-opinion incidents (涉税舆情): what is checked before one is stored.

mod filter;
mod kinds;
mod new;
mod patch;
mod record;
mod status;

pub use filter::{Cursor, IncidentFilter, Sort};
pub use kinds::{Category, ReferralAuthority, Severity, SourceChannel, SpecialTopic};
pub use new::{CreateIncident, IdempotencyKey};
pub use patch::{Applied, IncidentPatch};
pub use record::{Event, EventKind, Incident, Referral, ReportedBy, ResponsibleUnit, StreamEvent};
pub use status::Status;

use chrono::{DateTime, Datelike, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::domain::names::UnitCode;
use crate::domain::text;
use crate::error::AppError;
use crate::rule::Rule;

pub const TITLE_MAX: usize = 200;
pub const SUMMARY_MAX: usize = 5000;
pub const NOTE_MAX: usize = 2000;
pub const MAX_RESPONSIBLE_UNITS: usize = 20;

/// Clients' clocks drift; a timestamp this far ahead of the server still counts as now.
const CLOCK_SKEW: Duration = Duration::seconds(30);

/// A responsible unit named by code, as it arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitRef {
    #[schema(pattern = "^[A-Za-z0-9_-]{1,32}$", example = "440106")]
    pub code: String,
    #[serde(default)]
    pub first_responsible: bool,
}

/// Responsible units after checking: unique codes, exactly one first-responsible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponsibleUnits(Vec<UnitRef>);

impl ResponsibleUnits {
    /// When none is marked first-responsible, the first listed is (属地: the office
    /// involved answers first).
    pub fn parse(field: &str, refs: Vec<UnitRef>) -> Result<Self, AppError> {
        if refs.is_empty() {
            return Err(AppError::invalid(field, Rule::NoResponsibleUnit));
        }
        if refs.len() > MAX_RESPONSIBLE_UNITS {
            return Err(AppError::invalid(
                field,
                Rule::TooManyUnits(MAX_RESPONSIBLE_UNITS),
            ));
        }
        let mut units = Vec::with_capacity(refs.len());
        for (i, r) in refs.into_iter().enumerate() {
            let code = UnitCode::parse(&format!("{field}[{i}].code"), &r.code)?.into_string();
            if units.iter().any(|u: &UnitRef| u.code == code) {
                return Err(AppError::invalid(
                    format!("{field}[{i}].code"),
                    Rule::ListedTwice(code),
                ));
            }
            units.push(UnitRef {
                code,
                first_responsible: r.first_responsible,
            });
        }
        match units.iter().filter(|u| u.first_responsible).count() {
            0 => units[0].first_responsible = true,
            1 => {}
            _ => {
                return Err(AppError::invalid(field, Rule::SeveralFirstResponsible));
            }
        }
        Ok(Self(units))
    }

    pub fn iter(&self) -> impl Iterator<Item = &UnitRef> {
        self.0.iter()
    }

    pub fn codes(&self) -> Vec<String> {
        self.0.iter().map(|u| u.code.clone()).collect()
    }
}

/// The descriptive fields of an incident, checked.
#[derive(Debug, Clone)]
pub struct IncidentContent {
    pub title: String,
    pub summary: String,
    pub source_channel: SourceChannel,
    pub source_url: Option<String>,
    pub discovered_at: DateTime<Utc>,
    pub severity: Severity,
    pub category: Category,
    pub special_topic: Option<SpecialTopic>,
    pub units: ResponsibleUnits,
}

pub fn parse_title(value: &str) -> Result<String, AppError> {
    text::required("title", value, TITLE_MAX)
}

pub fn parse_summary(value: &str) -> Result<String, AppError> {
    text::required("summary", value, SUMMARY_MAX)
}

/// A moment that has happened: not in the future (beyond clock skew).
pub fn parse_past(
    field: &str,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, AppError> {
    if at > now + CLOCK_SKEW {
        return Err(AppError::invalid(field, Rule::InFuture));
    }
    Ok(at)
}

/// How far back an incident may be dated: public opinion is answered in hours, so an
/// incident discovered over a year ago is a typo (year 0, a swapped field), not a case.
pub const OLDEST_DISCOVERY: Duration = Duration::days(366);

/// When an incident was discovered: not in the future, and within `OLDEST_DISCOVERY`.
pub fn parse_discovered_at(
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, AppError> {
    let at = parse_past("discovered_at", at, now)?;
    if at < now - OLDEST_DISCOVERY {
        return Err(AppError::invalid(
            "discovered_at",
            Rule::TooOld(OLDEST_DISCOVERY.num_days() as u32),
        ));
    }
    Ok(at)
}

/// A moment in the incident's life: not in the future and not before its discovery.
pub fn parse_since_discovery(
    field: &str,
    at: DateTime<Utc>,
    discovered_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, AppError> {
    let at = parse_past(field, at, now)?;
    if at < discovered_at {
        return Err(AppError::invalid(field, Rule::BeforeDiscovery));
    }
    Ok(at)
}

/// What was published when the incident closed, and where (the rules require the
/// adoption, solution or investigation result to be made public).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Publication {
    pub summary: String,
    pub channel: String,
    #[serde(default)]
    pub url: Option<String>,
    pub published_at: DateTime<Utc>,
}

impl Publication {
    pub fn parse(self, discovered_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<Self, AppError> {
        Ok(Self {
            summary: text::required("publication.summary", &self.summary, SUMMARY_MAX)?,
            channel: text::required("publication.channel", &self.channel, 200)?,
            url: text::optional_url("publication.url", self.url.as_deref())?,
            published_at: parse_since_discovery(
                "publication.published_at",
                self.published_at,
                discovered_at,
                now,
            )?,
        })
    }
}

/// The readable reference, sequential per year in the office's time zone.
pub fn reference_year(created_at: DateTime<Utc>, zone: Tz) -> i32 {
    created_at.with_timezone(&zone).year()
}

pub fn format_reference(year: i32, seq: i64) -> String {
    format!("YQ-{year}-{seq:06}")
}

pub fn looks_like_reference(s: &str) -> bool {
    s.starts_with("YQ-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(code: &str, first: bool) -> UnitRef {
        UnitRef {
            code: code.into(),
            first_responsible: first,
        }
    }

    #[test]
    fn first_listed_unit_answers_first_by_default() {
        let units = ResponsibleUnits::parse("u", vec![r("A", false), r("B", false)]).unwrap();
        let firsts: Vec<_> = units.iter().filter(|u| u.first_responsible).collect();
        assert_eq!(firsts.len(), 1);
        assert_eq!(firsts[0].code, "A");
    }

    #[test]
    fn rejects_two_first_responsible_and_duplicates() {
        let e = ResponsibleUnits::parse("u", vec![r("A", true), r("B", true)]).unwrap_err();
        assert_eq!(e.details()["field"], "u");
        let e = ResponsibleUnits::parse("u", vec![r("A", false), r("A", false)]).unwrap_err();
        assert_eq!(e.details()["field"], "u[1].code");
        assert!(ResponsibleUnits::parse("u", vec![]).is_err());
    }

    #[test]
    fn future_moments_are_refused_beyond_skew() {
        let now = Utc::now();
        assert!(parse_past("t", now + Duration::seconds(10), now).is_ok());
        assert!(parse_past("t", now + Duration::minutes(5), now).is_err());
        assert!(parse_discovered_at(now - Duration::days(30), now).is_ok());
        let year_zero = "0000-01-01T00:00:00Z".parse().unwrap();
        let e = parse_discovered_at(year_zero, now).unwrap_err();
        assert_eq!(e.details()["field"], "discovered_at");
        let e = parse_since_discovery("t", now - Duration::hours(2), now - Duration::hours(1), now)
            .unwrap_err();
        assert_eq!(e.details()["field"], "t");
    }

    #[test]
    fn reference_year_follows_shanghai_time() {
        // 2026-12-31 17:00 UTC is already 2027-01-01 01:00 in Shanghai.
        let t = "2026-12-31T17:00:00Z".parse().unwrap();
        assert_eq!(reference_year(t, chrono_tz::Asia::Shanghai), 2027);
        assert_eq!(format_reference(2027, 123), "YQ-2027-000123");
    }
}
