//! The live feed behind every event stream of this process: one task reads the timeline
//! once per change (a write here, or another replica's commit heard through PostgreSQL's
//! LISTEN) and hands the events to every open stream, which keeps those in its scope. An
//! idle stream costs no query; a change costs one query, however many streams are open.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::domain::incident::StreamEvent;
use crate::error::AppError;
use crate::store::{Store, events, revision};

/// Events read per query.
pub const BATCH: i64 = 200;
/// Events a slow stream may fall behind before it catches up from the database.
const BUFFER: usize = 1024;

/// Limits on open streams (`server.max_event_streams`, `…_per_token`).
#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    pub total: usize,
    pub per_token: usize,
}

pub struct Feed {
    events: broadcast::Sender<Arc<StreamEvent>>,
    open: Mutex<HashMap<String, usize>>,
    limits: StreamLimits,
    /// Cancelled when the process stops: every stream ends at once (its client
    /// reconnects elsewhere, as the `retry:` hint says) instead of holding the stop.
    closing: CancellationToken,
}

/// An admitted stream; dropping it frees its place.
pub struct Admitted {
    feed: Arc<Feed>,
    token_id: String,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        if let Ok(mut open) = self.feed.open.lock()
            && let Some(n) = open.get_mut(&self.token_id)
        {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.token_id);
            }
        }
    }
}

impl Feed {
    /// Starts the reading task; it follows the timeline from its current end.
    pub async fn start(store: Store, limits: StreamLimits) -> Result<Arc<Self>, AppError> {
        let (events, _) = broadcast::channel(BUFFER);
        let feed = Arc::new(Self {
            events,
            open: Mutex::new(HashMap::new()),
            limits,
            closing: CancellationToken::new(),
        });
        let after = store.run(revision::current).await?;
        tokio::spawn(follow(store, feed.events.clone(), after));
        Ok(feed)
    }

    /// A place for one more stream of `token_id`, or 429 (this token holds its share)
    /// or 503 (the process holds as many as it serves).
    pub fn admit(self: &Arc<Self>, token_id: &str) -> Result<Admitted, AppError> {
        if self.closing.is_cancelled() {
            return Err(AppError::Unavailable {
                message: "this replica is stopping; retry shortly (another replica answers)",
                cause: None,
            });
        }
        let mut open = self
            .open
            .lock()
            .map_err(|_| AppError::internal("stream count poisoned"))?;
        if open.values().sum::<usize>() >= self.limits.total {
            return Err(AppError::Unavailable {
                message: "this replica serves as many event streams as it may; retry later or elsewhere",
                cause: None,
            });
        }
        let mine = open.entry(token_id.to_owned()).or_default();
        if *mine >= self.limits.per_token {
            return Err(AppError::TooMany(format!(
                "this token has {} event streams open, the most it may; close one first",
                self.limits.per_token
            )));
        }
        *mine += 1;
        Ok(Admitted {
            feed: self.clone(),
            token_id: token_id.to_owned(),
        })
    }

    /// Events from now on, for one stream.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StreamEvent>> {
        self.events.subscribe()
    }

    /// Ends every open stream and admits no new one (the process is stopping).
    pub fn close(&self) {
        self.closing.cancel();
    }

    /// Resolves when the process starts stopping.
    pub fn closing(&self) -> CancellationToken {
        self.closing.clone()
    }
}

/// Reads the timeline after each change and hands every event on.
async fn follow(store: Store, events: broadcast::Sender<Arc<StreamEvent>>, mut after: i64) {
    let changes = store.changes();
    loop {
        changes.notified().await;
        // With no stream open nobody is told, so only the timeline's end is kept up with.
        // Streams are looked for again after the end is read: one that subscribes after
        // that look reads everything up to the end itself (its catch-up runs after it
        // subscribes).
        if events.receiver_count() == 0 {
            let end = store.run(revision::current).await;
            if events.receiver_count() == 0
                && let Ok(end) = end
            {
                after = after.max(end);
                continue;
            }
        }
        loop {
            let from = after;
            let read = store
                .run(move |conn| events::since(conn, from, None, BATCH))
                .await;
            let found = match read {
                Ok(found) => found,
                Err(e) => {
                    tracing::warn!(error = %e.chain(), "the event feed could not read the timeline");
                    break;
                }
            };
            let full = found.len() as i64 >= BATCH;
            for event in found {
                after = after.max(event.seq);
                // The last stream may have closed meanwhile: nobody to tell.
                let _ = events.send(Arc::new(event));
            }
            if !full {
                break;
            }
        }
    }
}
