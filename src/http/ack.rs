//! Acknowledgement links from escalation mail. GET shows a confirm page (mail scanners
//! follow links; they must not acknowledge); POST records it. The signature is the
//! credential, so these routes take no token. Every answer is an HTML page, errors too.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use crate::app::acknowledge::Acknowledged;
use crate::domain::ids::EscalationId;
use crate::error::AppError;
use crate::mail::pages::{AckConfirm, AckDone, AckInvalid};
use crate::web::AppState;

#[derive(Deserialize)]
struct Signed {
    exp: i64,
    sig: String,
}

/// Headers of the acknowledgement pages: no scripts, styles from this service (and inline
/// ones an office's override may use), no framing, no caching, and no Referer (the URL
/// carries the link's signature).
pub fn html_page(status: StatusCode, html: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(ContentType::html())
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self' 'unsafe-inline'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html)
}

fn page(
    state: &AppState,
    name: &str,
    ctx: impl Serialize,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    // The console's stylesheet, so these pages look like the rest of the service.
    let ctx = minijinja::context! {
        stylesheet => state.stylesheet.clone(),
        ..minijinja::Value::from_serialize(&ctx)
    };
    let html = state
        .pages
        .render_page(name, ctx)
        .map_err(AppError::internal)?;
    Ok(html_page(status, html))
}

fn invalid(state: &AppState) -> Result<HttpResponse, AppError> {
    page(state, "ack_invalid", AckInvalid {}, StatusCode::FORBIDDEN)
}

/// The link's escalation, when the signature in `query` (or the form) is good.
fn verified(state: &AppState, id: &str, query: &[u8]) -> Option<(EscalationId, Signed)> {
    let signed: Signed = serde_urlencoded::from_bytes(query).ok()?;
    state
        .signer
        .verify(id, signed.exp, &signed.sig, state.now())
        .then(|| (EscalationId::from(id), signed))
}

#[get("/ack/{id}")]
async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Some((id, signed)) = verified(&state, &id, req.query_string().as_bytes()) else {
        return invalid(&state);
    };
    let found = state.app.reminder(id.clone()).await;
    let (name, reference, title) = match found {
        Ok(found) => found,
        Err(AppError::NotFound(_)) => return invalid(&state),
        Err(e) => return Err(e),
    };
    let ctx = AckConfirm {
        name,
        reference,
        title,
        action: format!("/ack/{id}"),
        exp: signed.exp,
        sig: signed.sig,
    };
    page(&state, "ack_confirm", ctx, StatusCode::OK)
}

#[post("/ack/{id}")]
async fn acknowledge(
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let Some((id, _)) = verified(&state, &id, &form) else {
        return invalid(&state);
    };
    let done = state.app.acknowledge(id).await;
    let done: Acknowledged = match done {
        Ok(done) => done,
        Err(AppError::NotFound(_)) => return invalid(&state),
        Err(e) => return Err(e),
    };
    let ctx = AckDone {
        name: done.name,
        reference: done.reference,
        first_time: done.first_time,
        closed: done.closed.map(|s| s.label_zh().to_owned()),
    };
    page(&state, "ack_done", ctx, StatusCode::OK)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(confirm).service(acknowledge);
}
