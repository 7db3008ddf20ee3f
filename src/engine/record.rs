//! Accepted mails are recorded as sent in batches: one statement and one commit for
//! whatever has been accepted since the last write, and writes at least `GATHER` apart.
//! In a burst of a thousand mails that is a handful of commits instead of dozens, and the
//! cores go to the sends. A mail waits in memory for at most one write and `GATHER`
//! before its row says `sent`; a crash in that window means it is sent again with the
//! same Message-ID, as a crash just after sending always could.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::domain::ids::EscalationId;
use crate::domain::time::TimeSource;
use crate::store::Store;
use crate::store::escalations::{self, SendResult};

/// At most this many rows in one statement.
const MOST: usize = 500;

/// Writes begin at least this far apart: in a burst, what is accepted meanwhile goes in
/// the next write, so the same pages are committed a few times instead of once per few
/// mails. A lone mail is written at once.
const GATHER: std::time::Duration = std::time::Duration::from_millis(25);

/// Where senders hand in what the server accepted: (escalation id, lease token).
#[derive(Clone)]
pub struct Accepted(mpsc::UnboundedSender<(EscalationId, String)>);

impl Accepted {
    /// False only if the recorder is gone; the row's lease then runs out and it is
    /// sent again.
    pub fn hand_in(&self, id: EscalationId, token: String) -> bool {
        self.0.send((id, token)).is_ok()
    }
}

/// Starts a recorder; it ends when every `Accepted` handle is dropped and everything
/// handed in is written, and returns how many rows it recorded as sent.
pub fn start(store: Store, time: Arc<dyn TimeSource>) -> (Accepted, JoinHandle<usize>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Accepted(tx), tokio::spawn(run(store, time, rx)))
}

async fn run(
    store: Store,
    time: Arc<dyn TimeSource>,
    mut rx: mpsc::UnboundedReceiver<(EscalationId, String)>,
) -> usize {
    let mut recorded = 0;
    let mut batch = Vec::with_capacity(MOST);
    let mut last_write: Option<tokio::time::Instant> = None;
    while rx.recv_many(&mut batch, MOST).await > 0 {
        if let Some(last) = last_write {
            tokio::time::sleep_until(last + GATHER).await;
            while batch.len() < MOST
                && let Ok(more) = rx.try_recv()
            {
                batch.push(more);
            }
        }
        last_write = Some(tokio::time::Instant::now());
        let now = time.now();
        recorded += write(&store, std::mem::take(&mut batch), now).await;
    }
    recorded
}

async fn write(store: &Store, batch: Vec<(EscalationId, String)>, now: DateTime<Utc>) -> usize {
    let handed_in = batch.len();
    let mut by_lease: BTreeMap<String, Vec<EscalationId>> = BTreeMap::new();
    for (id, token) in batch {
        by_lease.entry(token).or_default().push(id);
    }
    let written = store
        .write(move |conn| {
            let mut n = 0;
            for (token, ids) in &by_lease {
                n += escalations::record(conn, ids, token, &SendResult::Sent, now)?;
            }
            Ok(n)
        })
        .await;
    match written {
        Ok(n) => {
            if n < handed_in {
                tracing::warn!(
                    lost = handed_in - n,
                    "lease lost before the result was recorded; the new holder decides"
                );
                crate::metrics::MAIL_ATTEMPTS
                    .with_label_values(&["lease_lost"])
                    .inc_by((handed_in - n) as u64);
            }
            crate::metrics::MAIL_ATTEMPTS
                .with_label_values(&["sent"])
                .inc_by(n as u64);
            n
        }
        Err(e) => {
            // The leases run out and these rows are sent again (same Message-ID).
            tracing::error!(error = %e.chain(), mails = handed_in, "could not record sent mail");
            0
        }
    }
}
