//! The timeliness report: on-time rates per office or per month over a period, as
//! either door asks for it, and its CSV (Chinese headers by default, for Excel/WPS).

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc};
use serde::Deserialize;

use crate::app::spreadsheet::text_cell;
use crate::domain::access::Actor;
use crate::domain::names::UnitCode;
use crate::domain::timeliness::{GroupBy, KindHeading, ReportedKind, TimelinessReport, summarize};
use crate::error::AppError;
use crate::rule::Rule;
use crate::store::{timeliness, units};

use super::App;

/// The longest period one report covers.
const MAX_DAYS: u64 = 366 * 3;

/// What a report is asked for: the days, optionally one unit (with those below it), and
/// how to group.
pub struct Asked {
    pub period: Period,
    pub unit: Option<UnitCode>,
    pub group_by: GroupBy,
}

/// The language of the CSV's headers.
#[derive(Deserialize, Clone, Copy, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Zh,
    En,
}

/// The days a report covers, checked: `from` defaults to the first of `to`'s month, `to`
/// to today (office time zone).
#[derive(Debug, Clone, Copy)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    pub fn check(
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        now: chrono::DateTime<Utc>,
        zone: chrono_tz::Tz,
    ) -> Result<Self, AppError> {
        let today = now.with_timezone(&zone).date_naive();
        let to = to.unwrap_or(today);
        let from = from.unwrap_or_else(|| to.with_day(1).unwrap_or(to));
        if from > to {
            return Err(AppError::invalid("to", Rule::NotBefore("from")));
        }
        if (to - from).num_days() as u64 >= MAX_DAYS {
            return Err(AppError::invalid("from", Rule::PeriodTooLong(MAX_DAYS)));
        }
        Ok(Self { from, to })
    }
}

impl App {
    /// The timeliness report for `period` as `actor` may see it (its scope, and `unit`
    /// when given): the API's and the console's.
    pub async fn timeliness(
        &self,
        actor: &Actor,
        asked: Asked,
    ) -> Result<TimelinessReport, AppError> {
        build(self, actor, asked, self.now(), self.zone).await
    }
}

async fn build(
    app: &App,
    actor: &Actor,
    asked: Asked,
    now: DateTime<Utc>,
    zone: chrono_tz::Tz,
) -> Result<TimelinessReport, AppError> {
    let Asked {
        period,
        unit,
        group_by,
    } = asked;
    let start = day_start(zone, period.from)?;
    let end = day_start(
        zone,
        period
            .to
            .checked_add_days(Days::new(1))
            .unwrap_or(period.to),
    )?;
    let scope = actor.scope.as_ref().map(|s| s.path.clone());
    let facts = app
        .read(move |conn| {
            let unit_path = match unit {
                Some(code) => Some(units::find_named(conn, "unit", &code)?.path),
                None => None,
            };
            let paths: Vec<&str> = [scope.as_deref(), unit_path.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            timeliness::clock_facts(conn, start, end, &paths)
        })
        .await?;
    let kinds = app.clock_rules().kinds();
    let reported: Vec<ReportedKind> = kinds
        .iter()
        .map(|(kind, policy)| ((*kind).clone(), policy.report_as.clone()))
        .collect();
    let headings = kinds
        .iter()
        .map(|(_, policy)| KindHeading {
            report_as: policy.report_as.clone(),
            label: policy.label.clone(),
        })
        .collect();
    let (groups, total) = summarize(&facts, &reported, group_by, zone, now);
    Ok(TimelinessReport {
        from: period.from,
        to: period.to,
        time_zone: zone.name().to_owned(),
        group_by,
        as_of: now,
        groups,
        total,
        kinds: headings,
    })
}

fn day_start(zone: chrono_tz::Tz, day: NaiveDate) -> Result<chrono::DateTime<Utc>, AppError> {
    zone.from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| AppError::invalid("from", Rule::NotLocalDay))
}

/// The report as CSV: the Chinese headings (with a byte-order mark, for Excel and WPS)
/// or the API's field names; two columns per clock kind.
pub fn csv(report: &TimelinessReport, lang: Lang) -> Result<Vec<u8>, AppError> {
    let key: [&str; 2] = match (report.group_by, lang) {
        (GroupBy::Unit, Lang::Zh) => ["单位代码", "单位名称"],
        (GroupBy::Unit, Lang::En) => ["unit_code", "unit_name"],
        (GroupBy::Month, Lang::Zh) => ["月份", "说明"],
        (GroupBy::Month, Lang::En) => ["month", "label"],
    };
    let counts: [&str; 6] = match lang {
        Lang::Zh => [
            "到期时限数",
            "按时完成",
            "超时完成",
            "已超时未完成",
            "未到期",
            "按时率",
        ],
        Lang::En => [
            "clocks_due",
            "met_on_time",
            "met_late",
            "breached_open",
            "not_yet_due",
            "on_time_rate",
        ],
    };
    let per_kind = report.kinds.iter().flat_map(|k| match lang {
        Lang::Zh => [
            format!("{}用时中位数(分钟)", k.label),
            format!("{}用时P90(分钟)", k.label),
            format!("{}按时率", k.label),
        ],
        Lang::En => [
            format!("{}_median_minutes", k.report_as),
            format!("{}_p90_minutes", k.report_as),
            format!("{}_on_time_rate", k.report_as),
        ],
    });
    let header: Vec<String> = key
        .iter()
        .chain(&counts)
        .map(|h| h.to_string())
        .chain(per_kind)
        .collect();
    let mut out = Vec::new();
    if lang == Lang::Zh {
        out.extend_from_slice("\u{feff}".as_bytes());
    }
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(&header).map_err(AppError::internal)?;
    let number = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    let rate = |r: Option<f64>| {
        r.map_or(String::new(), |r| match lang {
            Lang::Zh => format!("{:.1}%", r * 100.0),
            Lang::En => format!("{r:.4}"),
        })
    };
    for row in report.groups.iter().chain(std::iter::once(&report.total)) {
        let label = if row.key == "total" && lang == Lang::En {
            "total".to_owned()
        } else {
            row.label.clone()
        };
        let mut record = vec![
            text_cell(&row.key).into_owned(),
            text_cell(&label).into_owned(),
            row.clocks_due.to_string(),
            row.met_on_time.to_string(),
            row.met_late.to_string(),
            row.breached_open.to_string(),
            row.not_yet_due.to_string(),
            rate(row.on_time_rate),
        ];
        for kind in &report.kinds {
            let d = row.per_kind.get(&kind.report_as);
            record.push(number(d.and_then(|d| d.median_minutes)));
            record.push(number(d.and_then(|d| d.p90_minutes)));
            record.push(rate(d.and_then(|d| d.on_time_rate)));
        }
        writer.write_record(&record).map_err(AppError::internal)?;
    }
    writer.into_inner().map_err(AppError::internal)
}
