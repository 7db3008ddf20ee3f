//! What vendors allow one address: a slot taken in the database before a message to a
//! 企业微信 member goes (the vendor drops past 30 a minute and still answers 0), and the
//! count of today's SMS to a number against the gateway's daily cap.

use chrono::Duration;

use super::{Outcome, Sender};
use crate::store::escalations::{self, Claimed, SendResult};

impl Sender {
    /// Takes a send slot for the row's address when its vendor limits it; the outcome to
    /// return instead of sending when there is none (the row waits for the slot).
    pub(super) async fn wait_for_slot(&self, row: &Claimed) -> Option<Outcome> {
        let (key, limits) = self.channels.rate_limits(row.channel, &row.address)?;
        let taken = self
            .store
            .write(move |c| {
                let at = escalations::db_now(c)?;
                crate::store::slots::take(c, &key, limits, at)
            })
            .await;
        match taken {
            Ok(None) => None,
            Ok(Some(free_at)) => {
                tracing::info!(channel = %row.channel, "the address is at its vendor's limit; the message waits for a slot");
                let wait = SendResult::Retry {
                    error: "接收人已达渠道频率上限，顺延发送".into(),
                    at: free_at,
                };
                Some(self.finish(row, wait).await)
            }
            Err(e) => {
                tracing::error!(error = %e.chain(), "could not take a send slot; the row waits for its lease");
                Some(Outcome::MarkFailed)
            }
        }
    }

    /// Counts what this address received on a capped channel today (office time), this
    /// message included, and warns from four fifths of the cap on: past it the gateway
    /// refuses (flow control), and those messages wait for the next day's quota.
    pub(super) async fn count_today(&self, row: &Claimed, limit: i64) {
        let now = self.time.now();
        let midnight = now
            .with_timezone(&self.zone)
            .date_naive()
            .and_time(chrono::NaiveTime::MIN)
            .and_local_timezone(self.zone)
            .earliest()
            .map_or(now - Duration::days(1), |t| t.with_timezone(&chrono::Utc));
        let (channel, address) = (row.channel, row.address.clone());
        let counted = self
            .store
            .run(move |c| escalations::sent_to_since(c, channel, &address, midnight))
            .await;
        match counted {
            Ok(before) if (before + 1) * 5 >= limit * 4 => tracing::warn!(
                channel = %row.channel,
                to = %masked(&row.address),
                sent_today = before + 1,
                daily_limit = limit,
                "an address nears its daily cap on this channel; past it the gateway holds its messages until tomorrow"
            ),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e.chain(), "could not count today's messages to an address")
            }
        }
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
