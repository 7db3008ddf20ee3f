//! A server-sent event stream of the timeline, for both doors: the API's
//! `/api/v1/events` (a token or a ticket) and the console board's `/board/events` (the
//! session). It catches up from the database after the event the client last saw, then
//! passes on what the feed reads, in the watcher's scope, until the client goes, the
//! token is revoked, the watcher's time is up or the process stops.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use bytes::Bytes;
use tokio::sync::{broadcast, mpsc};

use crate::domain::incident::StreamEvent;
use crate::error::AppError;
use crate::rule::Rule;
use crate::store::{Store, events, revision};
use crate::web::AppState;
use crate::web::feed::BATCH;

/// An idle stream sends a comment this often, so proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

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
        Some(after) if after < 0 => Err(AppError::invalid("after", Rule::Negative)),
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
        None => state.app.store().run(revision::current).await?,
    };
    let admitted = state.feed.admit(&watcher.admit_as)?;
    let follower = Follower {
        store: state.app.store().clone(),
        scope: watcher.scope,
        revoked_with: watcher.revoked_with,
        live: state.feed.subscribe(),
        revoked: state.app.store().revocations(),
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
