//! Reports as file downloads, for both doors.

use actix_web::HttpResponse;
use actix_web::http::header;

use crate::app::timeliness::{Lang, csv};
use crate::domain::timeliness::TimelinessReport;
use crate::error::AppError;

/// The report as a CSV download (UTF-8 with a byte-order mark, for Excel and WPS).
pub fn csv_response(
    mut builder: actix_web::HttpResponseBuilder,
    report: &TimelinessReport,
    lang: Lang,
) -> Result<HttpResponse, AppError> {
    let body = csv(report, lang)?;
    let name = format!("timeliness-{}-{}.csv", report.from, report.to);
    Ok(builder
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body))
}
