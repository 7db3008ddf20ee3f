//! Briefings to the parent unit (首报、续报、终报): submitted on an incident, read in the
//! receiving unit's inbox and marked read there.

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;

use super::auth::{Auth, Writer};
use super::extract::{JsonBody, Query};
use crate::app::Once;
use crate::domain::briefing::{Briefing, BriefingInput};
use crate::domain::ids::BriefingId;
use crate::error::AppError;
use crate::http::bodies::{IncidentItems, Items};
use crate::web::AppState;

#[utoipa::path(
    post, path = "/api/v1/incidents/{id}/briefings", operation_id = "submitBriefing", tag = "briefings",
    params(("id" = String, Path, description = "Incident id or reference")),
    request_body = BriefingInput,
    responses((status = 201, description = "Sent to the reporting unit's parent; a briefing of a kind with a running clock meets it", body = Briefing))
)]
#[post("/incidents/{id}/briefings")]
async fn submit(
    state: web::Data<AppState>,
    Writer(actor): Writer,
    id: web::Path<String>,
    body: JsonBody<BriefingInput>,
) -> Result<HttpResponse, AppError> {
    let input = body.parse()?.value;
    let briefing = state
        .app
        .submit_briefing(&actor, id.into_inner(), input, Once::none())
        .await?;
    Ok(HttpResponse::Created().json(briefing))
}

/// The incident's briefings, newest version first, with their read receipts.
#[utoipa::path(
    get, path = "/api/v1/incidents/{id}/briefings", operation_id = "incidentBriefings", tag = "briefings",
    params(("id" = String, Path, description = "Incident id or reference")),
    responses((status = 200, body = IncidentItems<Briefing>))
)]
#[get("/incidents/{id}/briefings")]
async fn for_incident(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (incident, items) = state
        .app
        .incident_briefings(&actor, id.into_inner())
        .await?;
    Ok(super::incidents::incident_items(incident, items))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct Inbox {
    /// Only those nobody of the unit has marked read.
    #[serde(default)]
    unread: bool,
}

/// Briefings sent to the caller's unit (to every unit for a caller without one), newest
/// first, at most 200.
#[utoipa::path(
    get, path = "/api/v1/briefings", operation_id = "briefingInbox", tag = "briefings",
    params(Inbox),
    responses((status = 200, body = Items<Briefing>))
)]
#[get("/briefings")]
async fn inbox(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    Query(q): Query<Inbox>,
) -> Result<HttpResponse, AppError> {
    let items = state.app.briefing_inbox(&actor, q.unread).await?;
    Ok(HttpResponse::Ok().json(Items { items }))
}

#[utoipa::path(
    get, path = "/api/v1/briefings/{id}", operation_id = "getBriefing", tag = "briefings",
    params(("id" = String, Path, description = "Briefing id")),
    responses((status = 200, body = Briefing))
)]
#[get("/briefings/{id}")]
async fn get(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let briefing = state
        .app
        .briefing(&actor, BriefingId::from(id.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(briefing))
}

/// Marks the briefing read: for an officer of the unit it was sent to; the first reading
/// is kept.
#[utoipa::path(
    post, path = "/api/v1/briefings/{id}/read", operation_id = "markBriefingRead", tag = "briefings",
    params(("id" = String, Path, description = "Briefing id")),
    responses((status = 200, body = Briefing))
)]
#[post("/briefings/{id}/read")]
async fn mark_read(
    state: web::Data<AppState>,
    Writer(actor): Writer,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let briefing = state
        .app
        .mark_briefing_read(&actor, BriefingId::from(id.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(briefing))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(submit)
        .service(for_incident)
        .service(inbox)
        .service(get)
        .service(mark_read);
}
