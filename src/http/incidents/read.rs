//! Reading incidents: one, a page of them, and one's timeline.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use serde_json::json;

use super::{etag, with_etag};
use crate::domain::incident::{Category, Severity, SpecialTopic, Status};
use crate::domain::unit::parse_code;
use crate::error::AppError;
use crate::http::auth::Auth;
use crate::http::extract::Query;
use crate::http::state::AppState;
use crate::store::incidents::{self, Cursor, IncidentFilter};
use crate::store::{events, units};

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 200;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListIncidents {
    status: Option<Status>,
    severity: Option<Severity>,
    category: Option<Category>,
    special_topic: Option<SpecialTopic>,
    /// A unit code: incidents with a responsible unit at or below it.
    unit: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

#[get("/incidents")]
async fn list(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    Query(q): Query<ListIncidents>,
) -> Result<HttpResponse, AppError> {
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::invalid(
            "limit",
            format!("must be between 1 and {MAX_PAGE}"),
        ));
    }
    let cursor = q
        .cursor
        .map(|c| {
            Cursor::parse(&c)
                .ok_or_else(|| AppError::invalid("cursor", "not a cursor from this service"))
        })
        .transpose()?;
    let unit = q.unit.map(|u| parse_code("unit", &u)).transpose()?;
    let mut filter = IncidentFilter {
        status: q.status,
        severity: q.severity,
        category: q.category,
        special_topic: q.special_topic,
        unit_path: None,
        scope_path: actor.scope.map(|s| s.path),
        cursor,
        limit,
    };
    let now = state.now();
    let page = state
        .store
        .run(move |conn| {
            if let Some(code) = unit {
                let unit = units::find(conn, &code)
                    .map_err(|_| AppError::invalid("unit", format!("unknown unit {code}")))?;
                filter.unit_path = Some(unit.path);
            }
            incidents::list(conn, filter, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "items": page.items,
        "next_cursor": page.next_cursor,
    })))
}

#[get("/incidents/{id}")]
async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let now = state.now();
    let incident = state
        .store
        .run(move |conn| incidents::load(conn, &id, now))
        .await?;
    actor.require_any_in_scope(incident.unit_paths())?;
    let tag = etag(&incident);
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    if unchanged {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, tag))
            .finish());
    }
    Ok(with_etag(HttpResponse::Ok(), &incident))
}

#[get("/incidents/{id}/timeline")]
async fn timeline(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    super::incident_items(&state, &actor, id.into_inner(), events::timeline).await
}
