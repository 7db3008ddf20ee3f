//! 时效报表: on-time rates per unit or per month for a period, as a table and a bar chart
//! (SVG drawn here, no script), with the same report as a CSV download.

use actix_web::{HttpResponse, get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::app::timeliness::{Asked, Lang, Period};
use crate::console::error::ConsoleError;
use crate::console::labels;
use crate::console::present::{self, Choice};
use crate::console::session::Signed;
use crate::console::views;
use crate::domain::names::UnitCode;
use crate::domain::timeliness::{GroupBy, KindHeading, KindTimeliness, Timeliness};
use crate::error::AppError;
use crate::rule::Rule;
use crate::web::AppState;
use crate::web::download::csv_response;

#[derive(Debug, Default, Deserialize, Serialize, Clone)]
struct ReportForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    group_by: String,
}

#[derive(Serialize)]
struct Row {
    key: String,
    label: String,
    clocks_due: i64,
    met_on_time: i64,
    met_late: i64,
    breached_open: i64,
    not_yet_due: i64,
    rate: String,
    /// Per clock kind, in the order of `ReportPage::kinds`.
    per_kind: Vec<KindCell>,
}

/// One clock kind's cell: the median time taken, and the kind's on-time rate.
#[derive(Serialize)]
struct KindCell {
    taken: String,
    rate: String,
}

/// One bar of the chart, laid out here.
#[derive(Serialize)]
struct Bar {
    label: String,
    rate: String,
    y: u32,
    width: u32,
    /// good (≥ 90 %), fair (≥ 60 %), poor, none (nothing decided yet).
    grade: &'static str,
}

#[derive(Serialize)]
struct ReportPage {
    form: ReportForm,
    from: String,
    to: String,
    by_month: bool,
    rows: Vec<Row>,
    total: Option<Row>,
    bars: Vec<Bar>,
    chart_height: u32,
    /// The chart of each clock kind's rate.
    kind_bars: Vec<Bar>,
    kind_chart_height: u32,
    csv: String,
    units: Vec<Choice>,
    error: Option<String>,
    as_of: String,
    /// The clock kinds, one median column each.
    kinds: Vec<String>,
}

const BAR_PITCH: u32 = 28;
const BAR_MAX: u32 = 420;

/// The median time taken (超时 when the median clock missed its deadline), and the
/// kind's on-time rate.
fn kind_cell(d: Option<&KindTimeliness>) -> KindCell {
    let taken = d.and_then(|d| {
        let m = d.median_minutes?;
        let late = if d.median_late == Some(true) {
            "（超时）"
        } else {
            ""
        };
        Some(format!("{}小时{:02}分{late}", m / 60, m % 60))
    });
    KindCell {
        taken: taken.unwrap_or_else(|| "—".into()),
        rate: d
            .and_then(|d| d.on_time_rate)
            .map_or("—".into(), |r| format!("{:.1}%", r * 100.0)),
    }
}

fn rate(t: &Timeliness) -> String {
    t.on_time_rate
        .map_or("—".into(), |r| format!("{:.1}%", r * 100.0))
}

fn row(t: &Timeliness, kinds: &[KindHeading]) -> Row {
    Row {
        key: t.key.clone(),
        label: t.label.clone(),
        clocks_due: t.clocks_due,
        met_on_time: t.met_on_time,
        met_late: t.met_late,
        breached_open: t.breached_open,
        not_yet_due: t.not_yet_due,
        rate: rate(t),
        per_kind: kinds
            .iter()
            .map(|k| kind_cell(t.per_kind.get(&k.report_as)))
            .collect(),
    }
}

/// One bar per (label, on-time rate).
fn bars<'a>(items: impl IntoIterator<Item = (&'a str, Option<f64>)>) -> Vec<Bar> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, (label, rate))| Bar {
            // The chart's label column fits about twelve characters.
            label: if label.chars().count() > 12 {
                label.chars().take(11).chain(['…']).collect()
            } else {
                label.to_owned()
            },
            rate: rate.map_or("—".into(), |r| format!("{:.1}%", r * 100.0)),
            y: i as u32 * BAR_PITCH,
            width: rate.map_or(0, |r| {
                (r.clamp(0.0, 1.0) * f64::from(BAR_MAX)).round() as u32
            }),
            grade: match rate {
                None => "none",
                Some(r) if r >= 0.9 => "good",
                Some(r) if r >= 0.6 => "fair",
                Some(_) => "poor",
            },
        })
        .collect()
}

/// The groups' overall rates.
fn group_bars(groups: &[Timeliness]) -> Vec<Bar> {
    bars(groups.iter().map(|t| (t.label.as_str(), t.on_time_rate)))
}

/// Each kind's rate over the whole report (the 48-hour response, the releases, the
/// reports up the hierarchy beside the 5-hour and 24-hour clocks).
fn kind_bars(total: &Timeliness, kinds: &[KindHeading]) -> Vec<Bar> {
    bars(kinds.iter().map(|k| {
        let rate = total
            .per_kind
            .get(&k.report_as)
            .and_then(|d| d.on_time_rate);
        (k.label.as_str(), rate)
    }))
}

fn date(field: &str, v: &str) -> Result<Option<NaiveDate>, AppError> {
    match v.trim() {
        "" => Ok(None),
        v => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| AppError::invalid(field, Rule::NotDateTime)),
    }
}

fn parse(form: &ReportForm, state: &AppState) -> Result<Asked, AppError> {
    let period = Period::check(
        date("from", &form.from)?,
        date("to", &form.to)?,
        state.now(),
        state.zone(),
    )?;
    let unit = match form.unit.trim() {
        "" => None,
        code => Some(UnitCode::parse("unit", code)?),
    };
    let group_by = if form.group_by == "month" {
        GroupBy::Month
    } else {
        GroupBy::Unit
    };
    Ok(Asked {
        period,
        unit,
        group_by,
    })
}

#[get("/report")]
async fn show(
    state: web::Data<AppState>,
    signed: Signed,
    q: web::Query<ReportForm>,
) -> Result<HttpResponse, ConsoleError> {
    let form = q.into_inner();
    let actor = &signed.session.actor;
    let scope = actor.scope.as_ref().map(|s| s.path.clone());
    let units = state.app.units(scope).await?;
    let units = present::unit_options(units, &form.unit);
    let asked = parse(&form, &state);
    let built = match asked {
        Ok(a) => state.app.timeliness(actor, a).await,
        Err(e) => Err(e),
    };
    let page = match built {
        Ok(report) => ReportPage {
            from: report.from.to_string(),
            to: report.to.to_string(),
            by_month: report.group_by == GroupBy::Month,
            chart_height: report.groups.len() as u32 * BAR_PITCH + 4,
            bars: group_bars(&report.groups),
            kind_chart_height: report.kinds.len() as u32 * BAR_PITCH + 4,
            kind_bars: kind_bars(&report.total, &report.kinds),
            rows: report
                .groups
                .iter()
                .map(|t| row(t, &report.kinds))
                .collect(),
            total: Some(row(&report.total, &report.kinds)),
            kinds: report.kinds.iter().map(|k| k.label.clone()).collect(),
            csv: format!(
                "/report.csv?{}",
                serde_urlencoded::to_string(&form).unwrap_or_default()
            ),
            units,
            error: None,
            as_of: labels::local(report.as_of, state.zone()),
            form,
        },
        Err(e @ AppError::Invalid { .. }) => ReportPage {
            from: form.from.clone(),
            to: form.to.clone(),
            by_month: form.group_by == "month",
            rows: Vec::new(),
            total: None,
            bars: Vec::new(),
            chart_height: 0,
            kind_bars: Vec::new(),
            kind_chart_height: 0,
            csv: String::new(),
            units,
            error: labels::field_message(&e).map(|(_, m)| m),
            as_of: labels::local(state.now(), state.zone()),
            kinds: Vec::new(),
            form,
        },
        Err(e) => return Err(e.into()),
    };
    Ok(views::page("report.html", &signed.chrome("report"), page)?)
}

#[get("/report.csv")]
async fn download(
    state: web::Data<AppState>,
    signed: Signed,
    q: web::Query<ReportForm>,
) -> Result<HttpResponse, ConsoleError> {
    let asked = parse(&q, &state)?;
    let report = state.app.timeliness(&signed.session.actor, asked).await?;
    let mut builder = HttpResponse::Ok();
    builder.insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"));
    Ok(csv_response(builder, &report, Lang::Zh)?)
}
