//! Reading incidents: one, a page of them, and one's timeline. Both answer 304 to
//! `If-None-Match` after reading the change counter alone.

use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::app::listing::ListIncidents;
use crate::domain::incident::{Event, Incident};
use crate::error::AppError;
use crate::http::auth::Auth;
use crate::http::bodies::IncidentItems;
use crate::http::bodies::IncidentPage;
use crate::http::extract::Query;
use crate::web::AppState;
use crate::web::conditional::{self, not_modified, tagged, unchanged};

#[utoipa::path(
    get, path = "/api/v1/incidents", operation_id = "listIncidents", tag = "incidents",
    params(ListIncidents),
    responses((status = 200, description = "One page", body = IncidentPage),
              (status = 304, description = "Unchanged since the ETag sent in If-None-Match"))
)]
#[get("/incidents")]
async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    Auth(actor): Auth,
) -> Result<HttpResponse, AppError> {
    // The tag names the query string, the scope and the change counter: a query that
    // earned this tag was valid then and is valid now (nothing it names has changed), so
    // a poll is answered before its query is read.
    let tag = conditional::view_tag(conditional::counter(&state).await?, &req, &actor, "");
    if unchanged(&req, &tag) {
        return Ok(not_modified(&tag));
    }
    let q = Query::<ListIncidents>::of(&req)?;
    let (filter, unit) = q.parse(actor.scope.as_ref().map(|s| s.path.clone()))?;
    let now = state.now();
    // Searches and a client's own `updated_since` are asked once: built, not kept.
    let shared = filter.text.is_none() && filter.updated_since.is_none();
    let page = state
        .listings
        .get_or_build(&tag, shared, async {
            let page = state.app.list_incidents(filter, unit).await?;
            Ok::<_, AppError>((page.items, page.next_cursor))
        })
        .await?;
    Ok(tagged(HttpResponse::Ok(), &tag).json(IncidentPage {
        items: page.0.iter().map(|i| i.at(now)).collect(),
        next_cursor: page.1.clone(),
        as_of: now,
    }))
}

#[utoipa::path(
    get, path = "/api/v1/incidents/{id}", operation_id = "getIncident", tag = "incidents",
    params(("id" = String, Path, description = "Incident id or reference (YQ-2026-000123)")),
    responses((status = 200, body = Incident), (status = 304, description = "Unchanged"))
)]
#[get("/incidents/{id}")]
async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let counter = conditional::counter(&state).await?;
    let tag_at = |version: i64| format!("\"v{version}.r{counter}\"");
    let current = format!(".r{counter}\"");
    let asked = req
        .headers()
        .get_all(actix_web::http::header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains(&current));
    if asked {
        // Nothing changed anywhere since that counter: the version and the scope decide.
        let version = state.app.incident_version(&actor, id.clone()).await?;
        let tag = tag_at(version);
        if unchanged(&req, &tag) {
            return Ok(not_modified(&tag));
        }
    }
    let incident = state.app.incident(&actor, id).await?;
    Ok(tagged(HttpResponse::Ok(), &tag_at(incident.version)).json(incident))
}

#[utoipa::path(
    get, path = "/api/v1/incidents/{id}/timeline", operation_id = "incidentTimeline", tag = "incidents",
    params(("id" = String, Path, description = "Incident id or reference")),
    responses((status = 200, body = IncidentItems<Event>))
)]
#[get("/incidents/{id}/timeline")]
async fn timeline(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (incident, items) = state.app.timeline(&actor, id.into_inner()).await?;
    Ok(super::incident_items(incident, items))
}
