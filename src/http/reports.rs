//! GET /api/v1/reports/timeliness: on-time rates per office or per month, as JSON or as
//! CSV (Chinese headers by default, for Excel/WPS: UTF-8 with a byte-order mark).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::app::timeliness::{Asked, Lang, Period};
use crate::domain::names::UnitCode;
use crate::domain::timeliness::{GroupBy, TimelinessReport};
use crate::error::AppError;
use crate::http::auth::Auth;
use crate::http::extract::Query;
use crate::web::AppState;
use crate::web::conditional::{self, not_modified, tagged, unchanged};
use crate::web::download::csv_response;

#[derive(Deserialize, Clone, Copy, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
enum Format {
    Json,
    Csv,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ReportQuery {
    /// First day (office time zone), inclusive. Default: the first of this month.
    from: Option<NaiveDate>,
    /// Last day, inclusive. Default: today.
    to: Option<NaiveDate>,
    unit: Option<String>,
    group_by: Option<GroupBy>,
    #[param(inline)]
    format: Option<Format>,
    /// CSV headers.
    #[param(inline)]
    lang: Option<Lang>,
}

#[utoipa::path(
    get, path = "/api/v1/reports/timeliness", operation_id = "timelinessReport", tag = "dashboards",
    params(ReportQuery),
    responses((status = 200, content(
                  (TimelinessReport = "application/json"),
                  (String = "text/csv", example = "单位代码,单位名称,到期时限数,…"))),
              (status = 304, description = "Unchanged"))
)]
#[get("/reports/timeliness")]
async fn timeliness_report(
    req: HttpRequest,
    state: web::Data<AppState>,
    Auth(actor): Auth,
    Query(q): Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let period = Period::check(q.from, q.to, state.now(), state.zone())?;
    let group_by = q.group_by.unwrap_or(GroupBy::Unit);
    let wants_csv = q.format == Some(Format::Csv)
        || (q.format.is_none()
            && req
                .headers()
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/csv")));
    let lang = q.lang.unwrap_or(Lang::Zh);
    let unit = q.unit.map(|u| UnitCode::parse("unit", &u)).transpose()?;
    let variant = if wants_csv { "csv" } else { "json" };
    let tag = conditional::view_tag(conditional::counter(&state).await?, &req, &actor, variant);
    if unchanged(&req, &tag) {
        return Ok(not_modified(&tag));
    }
    let asked = Asked {
        period,
        unit,
        group_by,
    };
    let report = state.app.timeliness(&actor, asked).await?;
    if wants_csv {
        return csv_response(tagged(HttpResponse::Ok(), &tag), &report, lang);
    }
    Ok(tagged(HttpResponse::Ok(), &tag).json(report))
}
