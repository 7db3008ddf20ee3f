//! /api/v1/incidents: logging, reading, changing incidents and reading their timeline.

pub(super) mod change;
pub(crate) mod create;
pub(super) mod milestones;
pub(crate) mod read;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::app::incidents::Expected;
use crate::domain::incident::Incident;
use crate::error::AppError;

/// The incident as a write returns it, tagged with its version. (Reads add the change
/// counter to the tag, `"v3.r812"`, so polls can be answered 304; `If-Match` takes
/// either form and compares the version.)
fn with_etag(response: actix_web::HttpResponseBuilder, incident: &Incident) -> HttpResponse {
    crate::web::conditional::tagged(response, &format!("\"v{}\"", incident.version)).json(incident)
}

/// The version a change is based on: `If-Match` (412 when stale) or `version` in the
/// body (409 when stale). One of them is required, so nothing is overwritten blindly.
fn expected_version(req: &HttpRequest, body_version: Option<i64>) -> Result<Expected, AppError> {
    if let Some(value) = req.headers().get(header::IF_MATCH) {
        let version = value
            .to_str()
            .ok()
            .and_then(|v| v.trim().strip_prefix("\"v"))
            .and_then(|v| v.strip_suffix('"'))
            .and_then(|v| {
                v.split_once(".r")
                    .map_or(Some(v), |(version, _)| Some(version))
            })
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| {
                AppError::BadRequest("If-Match must be an ETag returned by this service".into())
            })?;
        return Ok(Expected {
            version,
            precondition: true,
        });
    }
    body_version
        .map(|version| Expected {
            version,
            precondition: false,
        })
        .ok_or(AppError::PreconditionRequired)
}

/// Something recorded about one incident (timeline, notifications):
/// `{"incident_id", "reference", "items"}`.
pub(super) fn incident_items<T: serde::Serialize>(
    incident: Incident,
    items: Vec<T>,
) -> HttpResponse {
    HttpResponse::Ok().json(crate::http::bodies::IncidentItems {
        incident_id: incident.id,
        reference: incident.reference,
        items,
    })
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(read::list)
        .service(create::create)
        .service(read::get)
        .service(read::timeline)
        .service(change::update)
        .service(change::status)
        .service(change::referral)
        .service(milestones::record)
        .service(milestones::notifications);
}
