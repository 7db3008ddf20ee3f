//! Acknowledgement links from escalation mail. GET shows a confirm page (mail scanners
//! follow links; they must not acknowledge); POST records it. The signature is the
//! credential, so these routes take no token.

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::state::AppState;
use crate::app;
use crate::domain::ids::EscalationId;
use crate::error::AppError;
use crate::mail::pages::{AckConfirm, AckDone, AckInvalid};
use crate::store::escalations;

#[derive(Deserialize)]
struct Signed {
    exp: i64,
    sig: String,
}

fn page(
    state: &AppState,
    name: &str,
    ctx: impl Serialize,
    ok: bool,
) -> Result<HttpResponse, AppError> {
    let html = state
        .pages
        .render_page(name, ctx)
        .map_err(AppError::internal)?;
    let mut res = if ok {
        HttpResponse::Ok()
    } else {
        HttpResponse::Forbidden()
    };
    Ok(res.content_type(ContentType::html()).body(html))
}

fn valid(state: &AppState, id: &str, signed: &Signed) -> bool {
    state
        .signer
        .verify(id, signed.exp, &signed.sig, state.now())
}

#[get("/ack/{id}")]
async fn confirm(
    state: web::Data<AppState>,
    id: web::Path<String>,
    signed: web::Query<Signed>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    if !valid(&state, &id, &signed) {
        return page(&state, "ack_invalid", AckInvalid {}, false);
    }
    let lookup = id.clone();
    let (name, reference, title) = state
        .store
        .run(move |conn| escalations::describe(conn, &EscalationId::from(lookup)))
        .await?;
    let ctx = AckConfirm {
        name,
        reference,
        title,
        action: format!("/ack/{id}"),
        exp: signed.exp,
        sig: signed.sig.clone(),
    };
    page(&state, "ack_confirm", ctx, true)
}

#[post("/ack/{id}")]
async fn acknowledge(
    state: web::Data<AppState>,
    id: web::Path<String>,
    signed: web::Form<Signed>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    if !valid(&state, &id, &signed) {
        return page(&state, "ack_invalid", AckInvalid {}, false);
    }
    let now = state.now();
    let done = state
        .store
        .write(move |conn| app::acknowledge::acknowledge(conn, &EscalationId::from(id), now))
        .await?;
    let ctx = AckDone {
        name: done.name,
        reference: done.reference,
        first_time: done.first_time,
    };
    page(&state, "ack_done", ctx, true)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(confirm).service(acknowledge);
}
