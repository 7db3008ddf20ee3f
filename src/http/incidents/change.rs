//! Changing incidents: field updates, status changes and referrals.

use actix_web::{HttpRequest, HttpResponse, patch, post, web};
use serde::Deserialize;

use super::{expected_version, with_etag};
use crate::app::Once;
use crate::app::incidents::{NewReferral, StatusChange};
use crate::domain::incident::Incident;
use crate::domain::incident::{IncidentPatch, Publication, Status};
use crate::error::AppError;
use crate::http::auth::Writer;
use crate::http::extract::JsonBody;
use crate::web::AppState;

#[utoipa::path(
    patch, path = "/api/v1/incidents/{id}", operation_id = "updateIncident", tag = "incidents",
    params(("id" = String, Path, description = "Incident id or reference"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version edited (or `version` in the body)")),
    request_body = IncidentPatch,
    responses((status = 200, body = Incident))
)]
#[patch("/incidents/{id}")]
async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    Writer(actor): Writer,
    id: web::Path<String>,
    body: JsonBody<IncidentPatch>,
) -> Result<HttpResponse, AppError> {
    let mut patch = body.parse()?.value;
    let expected = expected_version(&req, patch.version.take())?;
    let incident = state
        .app
        .update_incident(&actor, id.into_inner(), expected, patch, Once::none())
        .await?;
    Ok(with_etag(HttpResponse::Ok(), &incident))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ChangeStatus {
    status: Status,
    /// Why an incident is dismissed.
    #[serde(default)]
    reason: Option<String>,
    /// What was published and where; required to close.
    #[serde(default)]
    publication: Option<Publication>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    version: Option<i64>,
}

#[utoipa::path(
    post, path = "/api/v1/incidents/{id}/status", operation_id = "changeIncidentStatus", tag = "incidents",
    params(("id" = String, Path, description = "Incident id or reference"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version changed (or `version` in the body)")),
    request_body = ChangeStatus,
    responses((status = 200, body = Incident))
)]
#[post("/incidents/{id}/status")]
async fn status(
    req: HttpRequest,
    state: web::Data<AppState>,
    Writer(actor): Writer,
    id: web::Path<String>,
    body: JsonBody<ChangeStatus>,
) -> Result<HttpResponse, AppError> {
    let b = body.parse()?.value;
    let expected = expected_version(&req, b.version)?;
    let change = StatusChange {
        to: b.status,
        reason: b.reason,
        publication: b.publication,
        note: b.note,
    };
    let incident = state
        .app
        .change_status(&actor, id.into_inner(), expected, change, Once::none())
        .await?;
    Ok(with_etag(HttpResponse::Ok(), &incident))
}

#[utoipa::path(
    post, path = "/api/v1/incidents/{id}/referrals", operation_id = "recordReferral", tag = "incidents",
    params(("id" = String, Path, description = "Incident id or reference")),
    request_body = NewReferral,
    responses((status = 201, body = Incident))
)]
#[post("/incidents/{id}/referrals")]
async fn referral(
    state: web::Data<AppState>,
    Writer(actor): Writer,
    id: web::Path<String>,
    body: JsonBody<NewReferral>,
) -> Result<HttpResponse, AppError> {
    let referral = body.parse()?.value;
    let incident = state
        .app
        .add_referral(&actor, id.into_inner(), referral, Once::none())
        .await?;
    Ok(with_etag(HttpResponse::Created(), &incident))
}
