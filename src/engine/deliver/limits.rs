//! What vendors allow one address: a slot taken in the database just before a message to
//! a 企业微信 member goes (the vendor drops past 30 a minute and still answers 0), and a
//! count of the last day's SMS to a number against the gateway's daily cap.
//!
//! Slots are handed out by a desk that takes, in one transaction, every slot asked for
//! while the previous transaction ran: in a burst that is a few transactions instead of
//! one per message, and each message still gets its slot moments before it goes.

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::{Outcome, Sender};
use crate::store::Store;
use crate::store::escalations::{self, Claimed, SendResult};
use crate::store::slots::{self, Taken, Wanted};

/// At most this many slots in one transaction.
const MOST: usize = 500;

type Ask = (Wanted, oneshot::Sender<Option<Taken>>);

/// Where send tasks ask for slots; the desk ends when every handle is dropped.
#[derive(Clone)]
pub(super) struct SlotDesk(mpsc::UnboundedSender<Ask>);

impl SlotDesk {
    pub(super) fn open(store: Store) -> (Self, JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self(tx), tokio::spawn(serve(store, rx)))
    }

    /// The slot, or when one frees up; None when it could not be taken (the database
    /// failed: the row waits for its lease).
    async fn take(&self, wanted: Wanted) -> Option<Taken> {
        let (reply, answer) = oneshot::channel();
        self.0.send((wanted, reply)).ok()?;
        answer.await.ok().flatten()
    }
}

async fn serve(store: Store, mut asks: mpsc::UnboundedReceiver<Ask>) {
    let mut batch: Vec<Ask> = Vec::with_capacity(MOST);
    while asks.recv_many(&mut batch, MOST).await > 0 {
        let (wanted, replies): (Vec<Wanted>, Vec<_>) =
            std::mem::take(&mut batch).into_iter().unzip();
        let taken = store
            .write(move |c| {
                let now = escalations::db_now(c)?;
                slots::take_many(c, &wanted, now)
            })
            .await;
        match taken {
            Ok(answers) => {
                for (reply, answer) in replies.into_iter().zip(answers) {
                    let _ = reply.send(Some(answer));
                }
            }
            Err(e) => {
                tracing::error!(error = %e.chain(), slots = replies.len(), "could not take send slots; the rows wait for their lease");
                for reply in replies {
                    let _ = reply.send(None);
                }
            }
        }
    }
}

impl Sender {
    /// Takes a send slot for the row's address when its vendor limits it, counted at the
    /// row's moment; the outcome to return instead of sending when there is none (the row
    /// waits for the slot).
    pub(super) async fn wait_for_slot(&self, row: &Claimed) -> Option<Outcome> {
        let limits = self.channels.address_limits(row.channel, &row.address)?;
        let wanted = Wanted {
            key: limits.key,
            limits: limits.windows,
            at: row.send_at,
        };
        let Some(taken) = self.slots.take(wanted).await else {
            return Some(Outcome::MarkFailed);
        };
        if let Some(cap) = limits.daily_cap {
            let sent_today = taken.recent as i64 + 1;
            if sent_today * 5 >= cap * 4 {
                tracing::warn!(
                    channel = %row.channel,
                    to = %masked(&row.address),
                    sent_today,
                    daily_limit = cap,
                    "an address nears its daily cap on this channel; past it the gateway holds its messages until tomorrow"
                );
            }
        }
        let free_at = taken.free_at?;
        tracing::info!(channel = %row.channel, "the address is at its vendor's limit; the message waits for a slot");
        let wait = SendResult::Retry {
            error: "接收人已达渠道频率上限，顺延发送".into(),
            at: free_at,
        };
        Some(self.finish(row, wait).await)
    }
}

/// A mobile number as logs show it: 138****8000.
fn masked(address: &str) -> String {
    let chars: Vec<char> = address.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let (head, tail) = (&chars[..3], &chars[chars.len() - 4..]);
    format!(
        "{}{}{}",
        head.iter().collect::<String>(),
        "*".repeat(chars.len() - 7),
        tail.iter().collect::<String>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_masked_in_logs() {
        assert_eq!(masked("13800138000"), "138****8000");
        assert_eq!(masked("123"), "***");
    }
}
