//! GET /api/v1/events: the timeline of every incident in the token's scope as
//! server-sent events, for live screens. Each event's id is its place in commit order;
//! a client that reconnects with `Last-Event-ID` misses nothing and sees nothing twice.
//! Streams are fed by `feed` (no query while idle), capped per token and per process,
//! and end when their token is revoked or expires.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use bytes::Bytes;
use serde::Deserialize;
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
    let admitted = state.feed.admit(&actor.id)?;
    let token_id = actor.id.clone();
    let expires_at = state
        .store
        .run(move |conn| tokens::expires_at(conn, &token_id))
        .await?;
    let follower = Follower {
        store: state.store.clone(),
        scope: actor.scope.map(|s| s.path),
        token_id: actor.id,
        live: state.feed.subscribe(),
        revoked: state.store.revocations(),
        expires_in: expires_at.map(|at| (at - state.now()).to_std().unwrap_or_default()),
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
    token_id: String,
    live: broadcast::Receiver<Arc<StreamEvent>>,
    revoked: broadcast::Receiver<String>,
    expires_in: Option<Duration>,
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
                send(frames, frame(event)).await?;
            }
            if !full {
                return Ok(());
            }
        }
    }

    async fn follow(&mut self, frames: &mpsc::Sender<Bytes>) -> Result<(), Closed> {
        let expires_in = self.expires_in;
        let expiry = async move {
            match expires_in {
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
                            send(frames, frame(&event)).await?;
                        }
                    }
                    Ok(_) => {}
                    // Fell behind the feed: the database has it all.
                    Err(broadcast::error::RecvError::Lagged(_)) => self.catch_up(frames).await?,
                    Err(broadcast::error::RecvError::Closed) => return Err(Closed),
                },
                revoked = self.revoked.recv() => {
                    if matches!(revoked, Ok(ref id) if *id == self.token_id) {
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

fn frame(event: &StreamEvent) -> Bytes {
    let data = serde_json::to_string(event).unwrap_or_else(|_| "{}".into());
    Bytes::from(format!(
        "id: {}\nevent: {}\ndata: {data}\n\n",
        event.seq, event.kind
    ))
}
