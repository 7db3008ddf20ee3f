//! A claimed batch's lease, kept short and renewed while the batch is being sent. A
//! process that dies stops renewing, so its rows are free again within one lease (seconds,
//! not minutes); a live process never sends past the lease it knows it holds, so a row
//! never has two live senders.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::store::Store;
use crate::store::escalations;

/// The lease of one claimed batch, renewed in the background until dropped.
pub struct Lease {
    deadline: watch::Receiver<Instant>,
    renewal: JoinHandle<()>,
}

/// What a sender is told when the lease ran out before its mail was accepted.
#[derive(Debug)]
pub struct LeaseLost;

impl Lease {
    /// Holds the lease of `token`, claimed (for `length`) no earlier than `claimed_at`.
    pub fn hold(store: Store, token: String, length: Duration, claimed_at: Instant) -> Self {
        let (tx, rx) = watch::channel(safe_until(claimed_at, length));
        let renewal = tokio::spawn(async move {
            let every = length / 3;
            loop {
                tokio::time::sleep(every).await;
                let asked = Instant::now();
                let token = token.clone();
                let seconds = length.as_secs_f64();
                let renewed = store
                    .write(move |conn| escalations::renew_lease(conn, &token, seconds))
                    .await;
                match renewed {
                    Ok(0) => return, // nothing left under this lease
                    Ok(_) => {
                        if tx.send(safe_until(asked, length)).is_err() {
                            return;
                        }
                    }
                    // The deadline stays where it was: senders stop before it passes.
                    Err(e) => tracing::warn!(error = %e.chain(), "could not renew a lease"),
                }
            }
        });
        Self {
            deadline: rx,
            renewal,
        }
    }

    /// Waits for `send`, unless the lease runs out first.
    pub async fn within<T>(&self, send: impl Future<Output = T>) -> Result<T, LeaseLost> {
        let mut deadline = self.deadline.clone();
        let expired = async move {
            loop {
                let until = *deadline.borrow_and_update();
                tokio::select! {
                    _ = tokio::time::sleep_until(until) => return,
                    changed = deadline.changed() => {
                        if changed.is_err() {
                            // Renewal ended: the last deadline stands.
                            tokio::time::sleep_until(until).await;
                            return;
                        }
                    }
                }
            }
        };
        tokio::select! {
            done = send => Ok(done),
            () = expired => Err(LeaseLost),
        }
    }

    /// True while the lease is known to be held.
    pub fn held(&self) -> bool {
        Instant::now() < *self.deadline.borrow()
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.renewal.abort();
    }
}

/// The database set the lease to end `length` after a moment no earlier than `asked`;
/// a margin of a fifth keeps this process's view safely inside it.
fn safe_until(asked: Instant, length: Duration) -> Instant {
    asked + length - length / 5
}
