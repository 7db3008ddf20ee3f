//! Milestones (they stop the clocks) and the delivery record of escalation mail.

use actix_web::{HttpResponse, get, post, web};

use super::with_etag;
use crate::domain::clock::MilestoneInput;
use crate::error::AppError;
use crate::http::auth::Auth;
use crate::http::extract::Json;
use crate::http::state::AppState;
use crate::store::{escalations, incidents};

#[post("/incidents/{id}/milestones")]
async fn record(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<String>,
    body: Json<MilestoneInput>,
) -> Result<HttpResponse, AppError> {
    let input = body.value;
    let now = state.now();
    let id = id.into_inner();
    let incident = state
        .store
        .write(move |conn| incidents::record_milestone(conn, &actor, &id, input, now))
        .await?;
    Ok(with_etag(HttpResponse::Created(), &incident))
}

/// Every planned mail of the incident's clocks: step, recipient, status, attempts,
/// last error, due and sent times, Message-ID.
#[get("/incidents/{id}/notifications")]
async fn notifications(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    super::incident_items(&state, &actor, id.into_inner(), escalations::for_incident).await
}
