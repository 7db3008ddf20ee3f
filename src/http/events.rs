//! GET /api/v1/events: the timeline of every incident in the token's scope as
//! server-sent events, for live screens. Each event's id is its place in commit order;
//! a client that reconnects with `Last-Event-ID` misses nothing and sees nothing twice.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use bytes::Bytes;
use serde::Deserialize;

use crate::domain::incident::StreamEvent;
use crate::error::AppError;
use crate::http::auth::Auth;
use crate::http::extract::Query;
use crate::http::state::AppState;
use crate::store::{Store, events, revision};

/// How often an idle stream looks for new events.
const POLL: Duration = Duration::from_millis(500);
/// An idle stream sends a comment this often, so proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
const BATCH: i64 = 200;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct StreamQuery {
    /// Start after this event id (what `Last-Event-ID` carries on reconnect).
    after: Option<i64>,
}

#[utoipa::path(
    get, path = "/api/v1/events", operation_id = "eventStream", tag = "dashboards",
    params(StreamQuery, ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id")),
    responses((status = 200, description = "Server-sent events: `id` is the event's place in commit order, `event` its kind, `data` a StreamEvent", content_type = "text/event-stream", body = StreamEvent))
)]
#[get("/events")]
async fn stream(
    req: HttpRequest,
    state: web::Data<AppState>,
    Auth(actor): Auth,
    Query(q): Query<StreamQuery>,
) -> Result<HttpResponse, AppError> {
    let header_after = req
        .headers()
        .get("last-event-id")
        .map(|v| {
            v.to_str()
                .ok()
                .and_then(|v| v.trim().parse::<i64>().ok())
                .ok_or_else(|| {
                    AppError::BadRequest(
                        "Last-Event-ID must be an event id from this stream".into(),
                    )
                })
        })
        .transpose()?;
    let after = match header_after.or(q.after) {
        Some(after) if after < 0 => {
            return Err(AppError::invalid("after", "must not be negative"));
        }
        Some(after) => after,
        // A new client starts with what happens from now on.
        None => state.store.run(revision::current).await?,
    };
    let feed = Feed {
        store: state.store.clone(),
        scope: actor.scope.map(|s| s.path),
        after,
        buffer: VecDeque::new(),
        last_sent: Instant::now(),
        started: false,
    };
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(futures_util::stream::unfold(feed, Feed::next)))
}

struct Feed {
    store: Store,
    scope: Option<String>,
    after: i64,
    buffer: VecDeque<StreamEvent>,
    last_sent: Instant,
    started: bool,
}

impl Feed {
    /// The next frame; the stream ends (and the client reconnects) if the database fails.
    async fn next(mut self) -> Option<(Result<Bytes, AppError>, Self)> {
        if !self.started {
            self.started = true;
            return Some((Ok(Bytes::from_static(b"retry: 2000\n\n")), self));
        }
        loop {
            if let Some(event) = self.buffer.pop_front() {
                self.after = event.seq;
                self.last_sent = Instant::now();
                return Some((Ok(frame(&event)), self));
            }
            let (after, scope) = (self.after, self.scope.clone());
            match self
                .store
                .run(move |conn| events::since(conn, after, scope.as_deref(), BATCH))
                .await
            {
                Ok(found) if !found.is_empty() => self.buffer.extend(found),
                Ok(_) if self.last_sent.elapsed() >= KEEP_ALIVE => {
                    self.last_sent = Instant::now();
                    return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), self));
                }
                Ok(_) => tokio::time::sleep(POLL).await,
                Err(e) => {
                    tracing::warn!(error = %e.chain(), "event stream ended");
                    return None;
                }
            }
        }
    }
}

fn frame(event: &StreamEvent) -> Bytes {
    let data = serde_json::to_string(event).unwrap_or_else(|_| "{}".into());
    Bytes::from(format!(
        "id: {}\nevent: {}\ndata: {data}\n\n",
        event.seq, event.kind
    ))
}
