//! POST /api/v1/incidents, idempotent under `Idempotency-Key`.

use actix_web::{HttpRequest, HttpResponse, post, web};

use super::with_etag;
use crate::app::incidents::Created;
use crate::domain::incident::{CreateIncident, IdempotencyKey, Incident};
use crate::error::AppError;
use crate::http::auth::Writer;
use crate::http::extract::JsonBody;
use crate::web::AppState;

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
    let created = state.app.log_incident(&actor, content, idempotency).await?;
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
