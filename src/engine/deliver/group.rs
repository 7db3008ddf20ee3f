//! A unit's robot: the rows due for it in one batch go as one group message that lists
//! them, within the robot's 20 a minute. A slot is taken in the database before sending
//! (every replica counts the same sends); without one the rows wait for the next free
//! slot, never refused by the vendor. What did not fit in one message goes in the next
//! round.

use std::collections::HashMap;

use chrono::Duration;
use tokio::sync::OwnedSemaphorePermit;

use super::{Outcome, Sender, backoff, lost_lease};
use crate::domain::ids::{IncidentId, RobotId};
use crate::domain::incident::Incident;
use crate::notify::{Outgoing, ROBOT_PER_MINUTE, SendError};
use crate::store::escalations::{self, Claimed, SendResult};
use crate::store::robots;

/// The people a robot row @s, as planned.
fn mentions(row: &Claimed) -> Vec<String> {
    row.context
        .as_deref()
        .and_then(|c| serde_json::from_str::<serde_json::Value>(c).ok())
        .and_then(|v| {
            v["mention_mobiles"].as_array().map(|a| {
                a.iter()
                    .filter_map(|m| m.as_str().map(str::to_owned))
                    .collect()
            })
        })
        .unwrap_or_default()
}

impl Sender {
    /// Sends the rows of one robot (same address), most urgent first.
    pub(super) async fn deliver_group(
        self,
        mut rows: Vec<Claimed>,
        incidents: &HashMap<IncidentId, Incident>,
        permit: OwnedSemaphorePermit,
    ) -> Vec<Outcome> {
        let mut outcomes = Vec::with_capacity(rows.len());
        rows.sort_by_key(|r| (r.due_at, -r.step.rank()));
        let robot = RobotId::from(rows[0].address.clone());
        let found = {
            let id = robot.clone();
            self.store.run(move |c| robots::targets(c, &[id])).await
        };
        let target = match found.map(|mut t| t.remove(&robot)) {
            Ok(Some((target, true))) => target,
            Ok(_) => {
                for row in &rows {
                    let off = SendResult::Cancelled("robot switched off or removed".into());
                    outcomes.push(self.finish(row, off).await);
                }
                return outcomes;
            }
            Err(e) => {
                tracing::error!(error = %e.chain(), "could not load a robot; its rows wait for the lease");
                return outcomes;
            }
        };
        let now = self.time.now();
        let mut listed: Vec<&Claimed> = Vec::new();
        let mut about = Vec::new();
        for row in &rows {
            match self.about_of(row, incidents, now) {
                Ok(a) => {
                    listed.push(row);
                    about.push(a);
                }
                Err(result) => outcomes.push(self.finish(row, result).await),
            }
        }
        if listed.is_empty() {
            return outcomes;
        }
        let messages: Vec<Outgoing> = listed
            .iter()
            .zip(about)
            .map(|(row, about)| Outgoing {
                escalation_id: row.id.as_str(),
                message_id: &row.message_id,
                step: &row.step,
                recipient_name: &row.recipient_name,
                channel: row.channel,
                address: &row.address,
                about,
            })
            .collect();
        let contexts: Vec<_> = messages.iter().filter_map(Outgoing::reminder).collect();
        let mut people: Vec<String> = listed.iter().flat_map(|r| mentions(r)).collect();
        people.sort_unstable();
        people.dedup();

        let slot = {
            let id = robot.clone();
            self.store
                .write(move |c| {
                    let at = escalations::db_now(c)?;
                    robots::take_slot(c, &id, ROBOT_PER_MINUTE, at)
                })
                .await
        };
        match slot {
            Ok(None) => {}
            Ok(Some(free_at)) => {
                tracing::info!(robot.id = %robot, waiting = listed.len(), "robot at its limit; its messages wait for the next slot");
                for row in &listed {
                    let wait = SendResult::Retry {
                        error: "等待机器人发送额度（每分钟20条）".into(),
                        at: free_at,
                    };
                    outcomes.push(self.finish(row, wait).await);
                }
                return outcomes;
            }
            Err(e) => {
                tracing::error!(error = %e.chain(), "could not take a robot's slot; its rows wait for the lease");
                return outcomes;
            }
        }
        if !self.lease.held() {
            outcomes.push(lost_lease());
            return outcomes;
        }
        let send = self.channels.send_group(&target, &contexts, &people, now);
        let Ok(result) = self.lease.within(send).await else {
            tracing::warn!("lease ran out while sending to a robot; the next holder sends it");
            outcomes.push(lost_lease());
            return outcomes;
        };
        drop(permit);
        let channel = listed[0].channel;
        let counted = |outcome: &str| {
            crate::metrics::CHANNEL_SENDS
                .with_label_values(&[channel.as_str(), outcome])
                .inc();
        };
        match result {
            Ok(n) => {
                counted("sent");
                tracing::info!(robot.id = %robot, %channel, listed = n, "group message sent");
                for row in &listed[..n] {
                    if !self
                        .accepted
                        .hand_in(row.id.clone(), row.lease_token.clone())
                    {
                        tracing::error!(
                            "sent message could not be recorded; its lease will expire"
                        );
                    }
                    outcomes.push(Outcome::Accepted);
                }
                // What did not fit goes in the next message.
                for row in &listed[n..] {
                    let next = SendResult::Retry {
                        error: "在下一条合并消息中发送".into(),
                        at: now,
                    };
                    outcomes.push(self.finish(row, next).await);
                }
            }
            Err(SendError::Transient(e)) => {
                counted("retry");
                tracing::warn!(robot.id = %robot, error = %e, "robot did not take it; will retry");
                for row in &listed {
                    let wait = backoff(self.retry_initial, self.retry_max, row.attempts);
                    let retry = SendResult::Retry {
                        error: e.clone(),
                        at: now + wait.max(Duration::seconds(1)),
                    };
                    outcomes.push(self.finish(row, retry).await);
                }
            }
            Err(SendError::Permanent(e)) => {
                counted("failed");
                tracing::error!(robot.id = %robot, error = %e, "robot refused it");
                for row in &listed {
                    outcomes.push(self.finish(row, SendResult::Failed(e.clone())).await);
                }
            }
        }
        outcomes
    }
}
