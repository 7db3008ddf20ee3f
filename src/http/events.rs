//! GET /api/v1/events: the timeline of every incident in the token's scope as
//! server-sent events, for live screens. Each event's id is its place in commit order;
//! a client that reconnects with `Last-Event-ID` misses nothing and sees nothing twice.
//! Streams (`web::stream`) are fed by `web::feed` (no query while idle), capped per token
//! and per process, and end when their token is revoked or expires. A browser's `EventSource` cannot send
//! a token: it opens the stream with a single-use ticket minted with the token (URLs land
//! in proxy logs; a used or minute-old ticket opens nothing). The console's board opens
//! the same stream with its session (`console::pages::board`).

use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::incident::StreamEvent;
use crate::error::AppError;
use crate::http::auth::Auth;
use crate::http::extract::Query;
use crate::web::AppState;
use crate::web::stream::{self as live, Watcher};

/// How long a stream ticket may wait to be used.
const TICKET_LIFE: Duration = Duration::from_secs(60);

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct StreamQuery {
    /// Start after this event id (what `Last-Event-ID` carries on reconnect).
    after: Option<i64>,
    /// A stream ticket from `POST /api/v1/events/tickets`, for clients that cannot send
    /// an `Authorization` header (a browser's `EventSource`).
    ticket: Option<String>,
}

/// A single-use pass to `/api/v1/events`, for a browser's `EventSource`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StreamTicket {
    /// Pass as `?ticket=` once, within a minute; the stream then lives as long as the
    /// token that minted it.
    ticket: String,
    expires_at: DateTime<Utc>,
}

#[utoipa::path(
    post, path = "/api/v1/events/tickets", operation_id = "createStreamTicket", tag = "dashboards",
    responses((status = 201, description = "A ticket that opens one event stream, within a minute; only its hash is kept", body = StreamTicket))
)]
#[post("/events/tickets")]
async fn ticket(state: web::Data<AppState>, Auth(actor): Auth) -> Result<HttpResponse, AppError> {
    let expires_at = state.now() + TICKET_LIFE;
    let ticket = state.app.mint_ticket(actor.id.clone(), expires_at).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(StreamTicket { ticket, expires_at }))
}

#[utoipa::path(
    get, path = "/api/v1/events", operation_id = "eventStream", tag = "dashboards",
    params(StreamQuery, ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id")),
    security(("bearer" = []), ()),
    responses((status = 200, description = "Server-sent events: `id` is the event's place in commit order, `event` its kind, `data` a StreamEvent. Authenticated by the bearer token or, from a browser, by a ticket", content_type = "text/event-stream", body = StreamEvent))
)]
#[get("/events")]
async fn stream(
    req: HttpRequest,
    state: web::Data<AppState>,
    Query(q): Query<StreamQuery>,
) -> Result<HttpResponse, AppError> {
    let after = live::resume_after(&req, q.after)?;
    // The caller, and when its token expires (a redeemed ticket carries it already).
    let (actor, expires_at) = match q.ticket {
        Some(presented) if !req.headers().contains_key(header::AUTHORIZATION) => {
            let found = state
                .app
                .redeem_ticket(presented)
                .await?
                .ok_or(AppError::Unauthorized)?;
            (found.actor.into(), found.expires_at)
        }
        _ => {
            let Auth(actor) = Auth::from_request(&req, &mut Payload::None).await?;
            let expires_at = state.app.token_expiry(actor.id.clone()).await?;
            (actor, expires_at)
        }
    };
    let watcher = Watcher {
        admit_as: actor.id.clone(),
        scope: actor.scope.as_ref().map(|s| s.path.clone()),
        revoked_with: Some(actor.id.clone()),
        ends_in: expires_at.map(|at| (at - state.now()).to_std().unwrap_or_default()),
        named: true,
    };
    live::open(&state, watcher, after).await
}
