//! Milestones (they stop the clocks) and the delivery record of escalation mail.

use actix_web::{HttpResponse, get, post, web};

use super::with_etag;
use crate::app::Once;
use crate::domain::clock::MilestoneInput;
use crate::domain::escalation::Notification;
use crate::domain::incident::Incident;
use crate::error::AppError;
use crate::http::auth::{Auth, Writer};
use crate::http::bodies::IncidentItems;
use crate::http::extract::JsonBody;
use crate::web::AppState;

#[utoipa::path(
    post, path = "/api/v1/incidents/{id}/milestones", operation_id = "recordMilestone", tag = "clocks",
    params(("id" = String, Path, description = "Incident id or reference")),
    request_body = MilestoneInput,
    responses((status = 201, description = "Recorded; the first of its kind stops the clock", body = Incident))
)]
#[post("/incidents/{id}/milestones")]
async fn record(
    state: web::Data<AppState>,
    Writer(actor): Writer,
    id: web::Path<String>,
    body: JsonBody<MilestoneInput>,
) -> Result<HttpResponse, AppError> {
    let input = body.parse()?.value;
    let incident = state
        .app
        .record_milestone(&actor, id.into_inner(), input, Once::none())
        .await?;
    Ok(with_etag(HttpResponse::Created(), &incident))
}

/// Every planned mail of the incident's clocks: step, recipient, status, attempts,
/// last error, due and sent times, Message-ID.
#[utoipa::path(
    get, path = "/api/v1/incidents/{id}/notifications", operation_id = "incidentNotifications", tag = "clocks",
    params(("id" = String, Path, description = "Incident id or reference")),
    responses((status = 200, body = IncidentItems<Notification>))
)]
#[get("/incidents/{id}/notifications")]
async fn notifications(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (incident, items) = state.app.notifications(&actor, id.into_inner()).await?;
    Ok(super::incident_items(incident, items))
}
