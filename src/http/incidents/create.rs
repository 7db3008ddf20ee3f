//! POST /api/v1/incidents, idempotent under `Idempotency-Key`.

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::with_etag;
use crate::app::incidents::{self, Created, IDEMPOTENCY_RACE};
use crate::domain::incident::Incident;
use crate::domain::incident::{
    Category, IncidentContent, ResponsibleUnits, Severity, SourceChannel, SpecialTopic, UnitRef,
    parse_discovered_at, parse_summary, parse_title,
};
use crate::domain::text;
use crate::error::AppError;
use crate::http::auth::Writer;
use crate::http::extract::JsonBody;
use crate::http::state::AppState;
use crate::store::incidents::IdempotencyKey;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIncident {
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[schema(min_length = 1, max_length = 5000)]
    pub summary: String,
    pub source_channel: SourceChannel,
    #[serde(default)]
    #[schema(pattern = "^https?://[^\\s]+$", example = "https://weibo.com/123")]
    pub source_url: Option<String>,
    pub discovered_at: DateTime<Utc>,
    pub severity: Severity,
    pub category: Category,
    #[serde(default)]
    pub special_topic: Option<SpecialTopic>,
    #[schema(min_items = 1, max_items = 20)]
    pub responsible_units: Vec<UnitRef>,
}

impl CreateIncident {
    pub fn parse(self, now: DateTime<Utc>) -> Result<IncidentContent, AppError> {
        Ok(IncidentContent {
            title: parse_title(&self.title)?,
            summary: parse_summary(&self.summary)?,
            source_channel: self.source_channel,
            source_url: text::optional_url("source_url", self.source_url.as_deref())?,
            discovered_at: parse_discovered_at(self.discovered_at, now)?,
            severity: self.severity,
            category: self.category,
            special_topic: self.special_topic,
            units: ResponsibleUnits::parse("responsible_units", self.responsible_units)?,
        })
    }
}

fn idempotency_key(
    req: &HttpRequest,
    request_hash: String,
) -> Result<Option<IdempotencyKey>, AppError> {
    let Some(value) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .ok_or_else(|| {
            AppError::BadRequest("Idempotency-Key must be 1–200 visible ASCII characters".into())
        })?;
    Ok(Some(IdempotencyKey {
        key: key.to_owned(),
        request_hash,
    }))
}

#[utoipa::path(
    post, path = "/api/v1/incidents", operation_id = "createIncident", tag = "incidents",
    request_body = CreateIncident,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retrying with the same key returns the first result")),
    responses((status = 201, description = "Logged; clocks started when the severity calls for them", body = Incident))
)]
#[post("/incidents")]
async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    Writer(actor): Writer,
    body: JsonBody<CreateIncident>,
) -> Result<HttpResponse, AppError> {
    let now = state.now();
    let body = body.parse()?;
    let content = body.value.parse(now)?;
    let idempotency = idempotency_key(&req, body.canonical_hash)?;
    let zone = state.zone;
    let attempt = || {
        let (actor, content, idempotency) = (actor.clone(), content.clone(), idempotency.clone());
        let planning = state.planning.clone();
        state.store.write(move |conn| {
            incidents::log(conn, &actor, content, idempotency, &planning, now, zone)
        })
    };
    // Two requests with one key raced (PostgreSQL): the loser replays the winner's result.
    let created = match attempt().await {
        Err(AppError::Conflict { code, .. }) if code == IDEMPOTENCY_RACE => attempt().await?,
        other => other?,
    };
    state.wake.notify_one();
    let (incident, replayed) = match created {
        Created::New(i) => (i, false),
        Created::Replayed(i) => (i, true),
    };
    let mut response = HttpResponse::Created();
    response.insert_header(("Location", format!("/api/v1/incidents/{}", incident.id)));
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(with_etag(response, &incident))
}
