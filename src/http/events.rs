//! GET /api/v1/events: the timeline of every incident in the token's scope as
//! server-sent events, for live screens. Each event's id is its place in commit order;
//! a client that reconnects with `Last-Event-ID` misses nothing and sees nothing twice.
//! Streams are fed by `feed` (no query while idle), capped per token and per process,
//! and end when their token is revoked or expires. A browser's `EventSource` cannot send
//! a token: it opens the stream with a single-use ticket minted with the token (URLs land
//! in proxy logs; a used or minute-old ticket opens nothing). The console's board opens
//! the same stream with its session (`console::pages::board`).

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, get, post, web};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};

use crate::domain::incident::StreamEvent;
use crate::error::AppError;
use crate::http::auth::Auth;
use crate::http::extract::Query;
use crate::http::feed::BATCH;
use crate::http::state::AppState;
use crate::store::{Store, events, revision, tokens};

/// An idle stream sends a comment this often, so proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

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
    let ticket = state
        .store
        .write(move |conn| tokens::mint_ticket(conn, &actor.id, expires_at))
        .await?;
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
    let after = resume_after(&req, q.after)?;
    let actor = match q.ticket {
        Some(presented) if !req.headers().contains_key(header::AUTHORIZATION) => {
            let now = state.now();
            state
                .store
                .write(move |conn| tokens::redeem_ticket(conn, &presented, now))
                .await?
                .ok_or(AppError::Unauthorized)?
                .actor
                .into()
        }
        _ => Auth::from_request(&req, &mut Payload::None).await?.0,
    };
    let token_id = actor.id.clone();
    let expires_at = state
        .store
        .run(move |conn| tokens::expires_at(conn, &token_id))
        .await?;
    let watcher = Watcher {
        admit_as: actor.id.clone(),
        scope: actor.scope.as_ref().map(|s| s.path.clone()),
        revoked_with: Some(actor.id.clone()),
        ends_in: expires_at.map(|at| (at - state.now()).to_std().unwrap_or_default()),
        named: true,
    };
    open(&state, watcher, after).await
}

/// Where a stream starts: after the `Last-Event-ID` header's event, else after the
/// query's `after`, else (`None`) at the end of the timeline.
pub fn resume_after(req: &HttpRequest, after: Option<i64>) -> Result<Option<i64>, AppError> {
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
    match header_after.or(after) {
        Some(after) if after < 0 => Err(AppError::invalid("after", "must not be negative")),
        after => Ok(after),
    }
}

/// Who a stream is for and when it ends.
pub struct Watcher {
    /// Streams are counted per this key (a token id, or an account for the console).
    pub admit_as: String,
    /// Only events of incidents under this unit path; `None`: all.
    pub scope: Option<String>,
    /// The stream ends when this token is revoked.
    pub revoked_with: Option<String>,
    /// The stream ends after this long (the token's expiry; the console's re-check).
    pub ends_in: Option<Duration>,
    /// Frames carry the event's kind as `event:` (the API's documented form); without
    /// it every frame reaches an `EventSource`'s `onmessage`.
    pub named: bool,
}

/// Opens a server-sent event stream of the timeline for `watcher`, after event `after`
/// (`None`: from now on).
pub async fn open(
    state: &AppState,
    watcher: Watcher,
    after: Option<i64>,
) -> Result<HttpResponse, AppError> {
    let after = match after {
        Some(after) => after,
        // A new client starts with what happens from now on.
        None => state.store.run(revision::current).await?,
    };
    let admitted = state.feed.admit(&watcher.admit_as)?;
    let follower = Follower {
        store: state.store.clone(),
        scope: watcher.scope,
        revoked_with: watcher.revoked_with,
        live: state.feed.subscribe(),
        revoked: state.store.revocations(),
        ends_in: watcher.ends_in,
        named: watcher.named,
        last: after,
        closing: state.feed.closing(),
    };
    let (frames, out) = mpsc::channel::<Bytes>(64);
    tokio::spawn(async move {
        let _place = admitted;
        follower.run(&frames).await;
    });
    let body = futures_util::stream::unfold(out, |mut out| async move {
        out.recv()
            .await
            .map(|frame| (Ok::<_, AppError>(frame), out))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(body))
}

/// One open stream: catches up from the database, then passes on what the feed reads,
/// keeping the events in its token's scope.
struct Follower {
    store: Store,
    scope: Option<String>,
    revoked_with: Option<String>,
    live: broadcast::Receiver<Arc<StreamEvent>>,
    revoked: broadcast::Receiver<String>,
    ends_in: Option<Duration>,
    named: bool,
    /// The last event id sent (or skipped as not in scope).
    last: i64,
    /// The process is stopping.
    closing: tokio_util::sync::CancellationToken,
}

/// Why a stream stopped sending.
struct Closed;

impl Follower {
    async fn run(mut self, frames: &mpsc::Sender<Bytes>) {
        let closing = self.closing.clone();
        let ended = async {
            send(frames, Bytes::from_static(b"retry: 2000\n\n")).await?;
            self.catch_up(frames).await?;
            self.follow(frames).await
        };
        tokio::select! {
            _ = ended => {}
            () = closing.cancelled() => {}
        }
    }

    /// Everything after `last` from the database, in batches.
    async fn catch_up(&mut self, frames: &mpsc::Sender<Bytes>) -> Result<(), Closed> {
        loop {
            let (after, scope) = (self.last, self.scope.clone());
            let found = self
                .store
                .run(move |conn| events::since(conn, after, scope.as_deref(), BATCH))
                .await
                .map_err(|e| {
                    tracing::warn!(error = %e.chain(), "event stream ended");
                    Closed
                })?;
            let full = found.len() as i64 >= BATCH;
            for event in &found {
                self.last = event.seq;
                send(frames, frame(event, self.named)).await?;
            }
            if !full {
                return Ok(());
            }
        }
    }

    async fn follow(&mut self, frames: &mpsc::Sender<Bytes>) -> Result<(), Closed> {
        let ends_in = self.ends_in;
        let expiry = async move {
            match ends_in {
                Some(left) => tokio::time::sleep(left).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(expiry);
        loop {
            tokio::select! {
                got = self.live.recv() => match got {
                    Ok(event) if event.seq > self.last => {
                        self.last = event.seq;
                        if self.in_scope(&event) {
                            send(frames, frame(&event, self.named)).await?;
                        }
                    }
                    Ok(_) => {}
                    // Fell behind the feed: the database has it all.
                    Err(broadcast::error::RecvError::Lagged(_)) => self.catch_up(frames).await?,
                    Err(broadcast::error::RecvError::Closed) => return Err(Closed),
                },
                revoked = self.revoked.recv() => {
                    if matches!((revoked, &self.revoked_with), (Ok(id), Some(with)) if id == *with) {
                        return Err(Closed);
                    }
                }
                () = &mut expiry => return Err(Closed),
                () = tokio::time::sleep(KEEP_ALIVE) => {
                    send(frames, Bytes::from_static(b": keep-alive\n\n")).await?;
                }
                () = frames.closed() => return Err(Closed),
            }
        }
    }

    fn in_scope(&self, event: &StreamEvent) -> bool {
        self.scope
            .as_deref()
            .is_none_or(|scope| event.unit_paths.iter().any(|p| p.starts_with(scope)))
    }
}

/// Hands a frame to the response; fails when the client has gone.
async fn send(frames: &mpsc::Sender<Bytes>, frame: Bytes) -> Result<(), Closed> {
    frames.send(frame).await.map_err(|_| Closed)
}

fn frame(event: &StreamEvent, named: bool) -> Bytes {
    let data = serde_json::to_string(event).unwrap_or_else(|_| "{}".into());
    Bytes::from(if named {
        format!("id: {}\nevent: {}\ndata: {data}\n\n", event.seq, event.kind)
    } else {
        format!("id: {}\ndata: {data}\n\n", event.seq)
    })
}
