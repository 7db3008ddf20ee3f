//! Sending one batch of claimed escalations: concurrently (bounded), each recipient on
//! its own, so one bad address or slow reply holds up nobody else. The bound covers the
//! SMTP exchange only; what the server accepted is recorded in batches (`record`).

mod group;
mod limits;

use self::limits::SlotDesk;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::Duration;
use tokio::sync::{OwnedSemaphorePermit, watch};
use tokio::task::JoinSet;
use tracing::Instrument;

use super::lease::Lease;
use super::record::{self, Accepted};
use super::{Engine, Round};
use crate::domain::clock::StopReason;
use crate::domain::escalation::{Lateness, SendFacts, Step};
use crate::domain::ids::{EscalationId, IncidentId};
use crate::domain::incident::Incident;
use crate::domain::time::TimeSource;
use crate::error::AppError;
use crate::notify::{About, Channels, Composed, Outgoing, SendError};
use crate::store::escalations::{self, Claimed, SendResult};
use crate::store::{Store, incidents};

enum Outcome {
    /// Accepted by the server and handed to the recorder.
    Accepted,
    Retried,
    Failed,
    Cancelled,
    Released,
    LostLease,
    MarkFailed,
}

impl Engine {
    /// Sends one claim's rows. The lease counts from `claimed_at` (before the claim was
    /// asked for); the moments of rows claimed ahead from `read_at` (just after the
    /// database's now was read), so none goes early.
    pub(super) async fn deliver(
        &self,
        claimed: Vec<Claimed>,
        (claimed_at, read_at): (tokio::time::Instant, tokio::time::Instant),
        shutdown: &watch::Receiver<bool>,
    ) -> Round {
        // One claim, one lease token: renewed while this batch is being sent.
        let Some(token) = claimed.first().map(|c| c.lease_token.clone()) else {
            return Round::default();
        };
        let length = std::time::Duration::from_secs(self.settings.lease_seconds.unsigned_abs());
        let lease = Arc::new(Lease::hold(self.store.clone(), token, length, claimed_at));
        let mut round = Round {
            claimed: claimed.len(),
            ..Round::default()
        };
        let (accepted, recorder) = record::start(self.store.clone(), self.time.clone());
        let (slots, desk) = SlotDesk::open(self.store.clone());
        let mut batch = Batch {
            accepted,
            slots,
            lease,
            tasks: JoinSet::new(),
            settled: Vec::new(),
        };
        for wave in waves(claimed) {
            let ready_in = wave[0].ready_in;
            if ready_in.is_zero() {
                self.send_due(wave, &mut batch, shutdown).await;
            } else {
                self.send_ahead(wave, read_at + ready_in, &mut batch, shutdown)
                    .await;
            }
        }
        let Batch {
            accepted,
            slots,
            mut tasks,
            settled,
            ..
        } = batch;
        drop((accepted, slots));
        let mut outcomes = settled;
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(more) => outcomes.extend(more),
                Err(e) => {
                    tracing::error!(error = %e, "an escalation send task did not finish (the error says whether it panicked or was cancelled)")
                }
            }
        }
        for outcome in outcomes {
            match outcome {
                Outcome::Retried => round.retried += 1,
                Outcome::Failed => round.failed += 1,
                _ => {}
            }
        }
        if let Err(e) = desk.await {
            tracing::error!(error = %e, "the send-slot desk did not finish");
        }
        round.sent = recorder.await.unwrap_or_else(|e| {
            tracing::error!(error = %e, "the sent-mail recorder did not finish");
            0
        });
        round
    }

    /// Rows already due: sending starts once the first chunk's incidents are in, and
    /// each next chunk loads while the one before it goes out.
    async fn send_due(
        &self,
        rows: Vec<Claimed>,
        batch: &mut Batch,
        shutdown: &watch::Receiver<bool>,
    ) {
        let (personal, robot_rows): (Vec<Claimed>, Vec<Claimed>) =
            rows.into_iter().partition(|r| r.channel.is_personal());
        if !robot_rows.is_empty() {
            match load_incidents(&self.store, &robot_rows).await {
                Ok(found) => {
                    self.dispatch(unprepared(robot_rows), Arc::new(found), batch, shutdown)
                        .await;
                }
                // Left leased: retried when the lease ends.
                Err(e) => {
                    tracing::error!(error = %e.chain(), "could not load incidents for robot messages")
                }
            }
        }
        let mut chunks = in_chunks(personal).into_iter();
        let mut loading = chunks.next().map(|rows| self.spawn_load(rows));
        while let Some(load) = loading.take() {
            let (rows, loaded) = match load.await {
                Ok(done) => done,
                Err(e) => {
                    tracing::error!(error = %e, "loading incidents did not finish; the rows wait for their lease");
                    break;
                }
            };
            let incidents = match loaded {
                Ok(found) => Arc::new(found),
                Err(e) => {
                    // Left leased: retried when the lease ends.
                    tracing::error!(error = %e.chain(), "could not load incidents for escalation messages");
                    break;
                }
            };
            loading = chunks.next().map(|rows| self.spawn_load(rows));
            self.dispatch(unprepared(rows), incidents, batch, shutdown)
                .await;
        }
    }

    /// Rows claimed before their moment: their incidents are loaded, their messages
    /// composed (as of the moment) and their send slots taken now, and at the moment the
    /// rows still held go out. A row stopped, acknowledged or moved meanwhile was taken
    /// back from the lease (`store::escalations::waiting`) and is left to whoever took it;
    /// a slot it took stays counted, which only errs on the side of the vendor's limit.
    async fn send_ahead(
        &self,
        rows: Vec<Claimed>,
        at: tokio::time::Instant,
        batch: &mut Batch,
        shutdown: &watch::Receiver<bool>,
    ) {
        let incidents = match load_incidents(&self.store, &rows).await {
            Ok(found) => Arc::new(found),
            Err(e) => {
                // Left leased: retried when the lease ends.
                tracing::error!(error = %e.chain(), "could not load incidents for escalation messages");
                return;
            }
        };
        let ahead = at.saturating_duration_since(tokio::time::Instant::now());
        let moment = self.time.now() + Duration::from_std(ahead).unwrap_or_default();
        let sender = self.handles(batch);
        let ready = rows.into_iter().map(|row| {
            let (sender, incidents) = (&sender, &incidents);
            async move {
                if !row.channel.is_personal() {
                    // A robot's message lists its rows as of when it goes.
                    return Ok(Single {
                        row,
                        composed: None,
                    });
                }
                let span = row_span(&row);
                match sender.ready(&row, incidents, moment).instrument(span).await {
                    Ok(composed) => Ok(Single {
                        row,
                        composed: Some(composed),
                    }),
                    Err(outcome) => Err(outcome),
                }
            }
        });
        let mut rows = Vec::new();
        for one in futures_util::future::join_all(ready).await {
            match one {
                Ok(single) => rows.push(single),
                Err(outcome) => batch.settled.push(outcome),
            }
        }
        let mut stopping = shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep_until(at) => {}
            _ = stopping.wait_for(|stop| *stop) => {
                self.hand_back(rows.into_iter().map(|s| s.row).collect(), &mut batch.tasks);
                return;
            }
        }
        let ids: Vec<EscalationId> = rows.iter().map(|s| s.row.id.clone()).collect();
        let Some(token) = rows.first().map(|s| s.row.lease_token.clone()) else {
            return;
        };
        let held = match self
            .store
            .run(move |c| escalations::still_held(c, &ids, &token))
            .await
        {
            Ok(held) => held,
            Err(e) => {
                tracing::error!(error = %e.chain(), "could not check rows claimed ahead; they wait for their lease");
                return;
            }
        };
        let (rows, taken): (Vec<Single>, Vec<Single>) =
            rows.into_iter().partition(|s| held.contains(&s.row.id));
        if !taken.is_empty() {
            crate::metrics::MAIL_ATTEMPTS
                .with_label_values(&["taken_back"])
                .inc_by(taken.len() as u64);
            tracing::info!(
                escalations.taken_back = taken.len(),
                "taken back before their moment (stopped, acknowledged or moved)"
            );
        }
        self.dispatch(rows, incidents, batch, shutdown).await;
    }

    /// Starts sending `rows`: a robot's rows together as one group message, everyone
    /// else's each on its own, under the bound on concurrent sends.
    async fn dispatch(
        &self,
        rows: Vec<Single>,
        incidents: Arc<Incidents>,
        batch: &mut Batch,
        shutdown: &watch::Receiver<bool>,
    ) {
        let mut robots: BTreeMap<String, Vec<Claimed>> = BTreeMap::new();
        let mut jobs: Vec<Job> = Vec::with_capacity(rows.len());
        for single in rows {
            if single.row.channel.is_personal() {
                jobs.push(Job::One(Box::new(single)));
            } else {
                let row = single.row;
                robots.entry(row.address.clone()).or_default().push(row);
            }
        }
        for job in robots.into_values().map(Job::Group).chain(jobs) {
            if *shutdown.borrow() {
                self.hand_back(job.into_rows(), &mut batch.tasks);
                continue;
            }
            let Ok(permit) = self.sends.clone().acquire_owned().await else {
                return;
            };
            let engine = self.handles(batch);
            let incidents = incidents.clone();
            batch.tasks.spawn(async move {
                match job {
                    Job::One(one) => vec![engine.deliver_one(*one, &incidents, permit).await],
                    Job::Group(rows) => engine.deliver_group(rows, &incidents, permit).await,
                }
            });
        }
    }

    /// Rows not started because the process is stopping: handed back at once instead of
    /// waiting for the lease.
    fn hand_back(&self, rows: Vec<Claimed>, tasks: &mut JoinSet<Vec<Outcome>>) {
        let store = self.store.clone();
        tasks.spawn(async move {
            let mut outcomes = Vec::with_capacity(rows.len());
            for row in &rows {
                outcomes.push(release(&store, row).await);
            }
            outcomes
        });
    }

    /// Loads the incidents of `rows` on the side; resolves to the rows and their incidents.
    fn spawn_load(
        &self,
        rows: Vec<Claimed>,
    ) -> tokio::task::JoinHandle<(Vec<Claimed>, Result<Incidents, AppError>)> {
        let store = self.store.clone();
        tokio::spawn(async move {
            let loaded = load_incidents(&store, &rows).await;
            (rows, loaded)
        })
    }

    fn handles(&self, batch: &Batch) -> Sender {
        Sender {
            accepted: batch.accepted.clone(),
            lease: batch.lease.clone(),
            slots: batch.slots.clone(),
            store: self.store.clone(),
            channels: self.channels.clone(),
            retry_initial: Duration::seconds(self.settings.retry_initial_seconds),
            retry_max: Duration::seconds(self.settings.retry_max_seconds),
            late_after: Duration::seconds(self.settings.late_after_seconds),
            time: self.time.clone(),
        }
    }
}

/// What the send tasks of one claim share, and the tasks themselves.
struct Batch {
    accepted: Accepted,
    slots: SlotDesk,
    lease: Arc<Lease>,
    /// One task per message: a person's row, or a robot's rows together.
    tasks: JoinSet<Vec<Outcome>>,
    /// Rows settled without a task (their result recorded before their moment).
    settled: Vec<Outcome>,
}

/// One message's worth of rows: a person's row, or a robot's rows sent together.
enum Job {
    One(Box<Single>),
    Group(Vec<Claimed>),
}

impl Job {
    fn into_rows(self) -> Vec<Claimed> {
        match self {
            Self::One(one) => vec![one.row],
            Self::Group(rows) => rows,
        }
    }
}

/// A claimed row, with its message when that was composed (and its send slot taken)
/// before its moment.
struct Single {
    row: Claimed,
    composed: Option<Composed>,
}

/// Rows whose messages are composed when they go.
fn unprepared(rows: Vec<Claimed>) -> Vec<Single> {
    rows.into_iter()
        .map(|row| Single {
            row,
            composed: None,
        })
        .collect()
}

/// The claimed rows by the moment they may go, earliest first: one wave per moment
/// (a step's recipients share theirs).
fn waves(claimed: Vec<Claimed>) -> Vec<Vec<Claimed>> {
    let mut by_moment: BTreeMap<chrono::DateTime<chrono::Utc>, Vec<Claimed>> = BTreeMap::new();
    for row in claimed {
        by_moment.entry(row.send_at).or_default().push(row);
    }
    let mut waves: Vec<Vec<Claimed>> = Vec::with_capacity(by_moment.len());
    for (_, rows) in by_moment {
        // Rows already due go together, whatever their moment was.
        match waves.last_mut() {
            Some(due) if due[0].ready_in.is_zero() && rows[0].ready_in.is_zero() => {
                due.extend(rows)
            }
            _ => waves.push(rows),
        }
    }
    waves
}

/// What one send task needs, owned.
struct Sender {
    accepted: Accepted,
    lease: Arc<Lease>,
    slots: SlotDesk,
    store: Store,
    channels: Arc<Channels>,
    retry_initial: Duration,
    retry_max: Duration,
    late_after: Duration,
    time: Arc<dyn TimeSource>,
}

/// The span a row's sending is logged in.
fn row_span(row: &Claimed) -> tracing::Span {
    tracing::info_span!("escalation", escalation.id = %row.id, message_id = %row.message_id, step = %row.step)
}

impl Sender {
    async fn deliver_one(
        self,
        one: Single,
        incidents: &HashMap<IncidentId, Incident>,
        permit: OwnedSemaphorePermit,
    ) -> Outcome {
        let Single { row, composed } = one;
        let span = row_span(&row);
        async {
            let composed = match composed {
                Some(composed) => composed,
                None => match self.ready(&row, incidents, self.time.now()).await {
                    Ok(composed) => composed,
                    Err(outcome) => return outcome,
                },
            };
            self.send_and_record(row, composed, permit).await
        }
        .instrument(span)
        .await
    }

    /// Composes a row's message as of `now` and takes its send slot; or, when it is not
    /// to be sent now, records why and says so.
    async fn ready(
        &self,
        row: &Claimed,
        incidents: &HashMap<IncidentId, Incident>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Composed, Outcome> {
        let about = match self.about_of(row, incidents, now) {
            Ok(about) => about,
            Err(result) => return Err(self.finish(row, result).await),
        };
        let composed = self.channels.compose(&Outgoing {
            escalation_id: row.id.as_str(),
            message_id: &row.message_id,
            step: &row.step,
            recipient_name: &row.recipient_name,
            channel: row.channel,
            address: &row.address,
            about,
        });
        let composed = match composed {
            Ok(composed) => composed,
            Err(e) => return Err(self.settle(row, Err(e), 0).await),
        };
        match self.wait_for_slot(row).await {
            Some(waiting) => Err(waiting),
            None => Ok(composed),
        }
    }

    async fn send_and_record(
        &self,
        row: Claimed,
        message: Composed,
        permit: OwnedSemaphorePermit,
    ) -> Outcome {
        if !self.lease.held() {
            // Waited for a send slot or its turn past the lease: another process may hold
            // it now.
            tracing::warn!("lease ran out before sending; the next holder sends it");
            return lost_lease();
        }
        let started = std::time::Instant::now();
        let Ok(result) = self.lease.within(self.channels.send(message)).await else {
            // Dropping the send closes the connection before the mail is accepted.
            tracing::warn!("lease ran out while sending; the next holder sends it");
            return lost_lease();
        };
        drop(permit);
        let duration_ms = started.elapsed().as_millis() as u64;
        self.settle(&row, result, duration_ms).await
    }

    /// Counts and records what became of a message: accepted (to the recorder), to be
    /// tried again, or failed for good.
    async fn settle(
        &self,
        row: &Claimed,
        result: Result<(), SendError>,
        duration_ms: u64,
    ) -> Outcome {
        let counted = |outcome: &str| {
            crate::metrics::CHANNEL_SENDS
                .with_label_values(&[row.channel.as_str(), outcome])
                .inc();
        };
        match result {
            Ok(()) => {
                counted("sent");
                tracing::info!(duration_ms, late = row.late, channel = %row.channel, "escalation sent");
                if !self
                    .accepted
                    .hand_in(row.id.clone(), row.lease_token.clone())
                {
                    tracing::error!("sent mail could not be recorded; its lease will expire");
                }
                Outcome::Accepted
            }
            Err(SendError::Transient(e)) => {
                counted("retry");
                let wait = backoff(self.retry_initial, self.retry_max, row.attempts);
                tracing::warn!(duration_ms, attempts = row.attempts, retry_in_s = wait.num_seconds(), error = %e, "not accepted; will retry");
                let retry = SendResult::Retry {
                    error: e,
                    at: self.time.now() + wait,
                };
                self.finish(row, retry).await
            }
            Err(SendError::Permanent(e)) => {
                counted("failed");
                tracing::error!(duration_ms, error = %e, "not delivered, and will not be for this recipient");
                self.finish(row, SendResult::Failed(e)).await
            }
        }
    }

    /// What a claimed row is about, from the incidents loaded for the batch; or the result
    /// to record without sending (its incident or clock gone, its clock stopped).
    pub(super) fn about_of<'a>(
        &self,
        row: &'a Claimed,
        incidents: &'a HashMap<IncidentId, Incident>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<About<'a>, SendResult> {
        Ok(match (&row.incident_id, &row.clock_id) {
            (Some(incident_id), Some(clock_id)) => {
                let Some(incident) = incidents.get(incident_id) else {
                    return Err(SendResult::Failed("incident not found".into()));
                };
                let Some(clock) = incident.clocks.iter().find(|c| &c.id == clock_id) else {
                    return Err(SendResult::Failed("clock not found".into()));
                };
                if !clock.state.is_running() && row.step.is_reminder() {
                    let reason = StopReason::ClockStopped(clock.state).key();
                    return Err(SendResult::Cancelled(reason));
                }
                let lateness = Lateness::of(
                    &SendFacts {
                        due_at: row.due_at,
                        planned_at: row.planned_at,
                        attempts: row.attempts,
                        discovered_at: incident.discovered_at,
                        logged_at: incident.created_at,
                        now,
                    },
                    self.late_after,
                );
                About::Reminder {
                    incident,
                    clock,
                    planned_at: row.due_at,
                    lateness,
                    now,
                }
            }
            _ => match (&row.step, &row.context) {
                (Step::Report { kind, .. }, Some(context)) => About::Report {
                    kind: *kind,
                    context,
                },
                _ => {
                    let e = format!("step {} is neither a reminder nor a report", row.step);
                    tracing::error!(error = %e, "nothing to send");
                    return Err(SendResult::Failed(e));
                }
            },
        })
    }

    /// Records a result other than acceptance (those go through the recorder).
    async fn finish(&self, row: &Claimed, result: SendResult) -> Outcome {
        let (outcome, label) = match &result {
            SendResult::Retry { .. } => (Outcome::Retried, "retry"),
            SendResult::Failed(_) => (Outcome::Failed, "failed"),
            SendResult::Cancelled(_) => (Outcome::Cancelled, "cancelled"),
            // Acceptance goes through the recorder; were it recorded here, it would say so.
            SendResult::Sent => (Outcome::Accepted, "sent"),
        };
        let (id, token, now) = (row.id.clone(), row.lease_token.clone(), self.time.now());
        let marked = self
            .store
            .write(move |c| escalations::record(c, &[id], &token, &result, now))
            .await;
        match marked {
            Ok(1) => {
                crate::metrics::MAIL_ATTEMPTS
                    .with_label_values(&[label])
                    .inc();
                outcome
            }
            Ok(_) => {
                tracing::warn!("lease lost before the result was recorded; the new holder decides");
                lost_lease()
            }
            Err(e) => {
                // The lease runs out and the row is tried again (same Message-ID).
                tracing::error!(error = %e.chain(), "could not record the send result");
                Outcome::MarkFailed
            }
        }
    }
}

/// The incidents of claimed rows, by id.
type Incidents = HashMap<IncidentId, Incident>;

/// Rows whose incidents are loaded together: small enough that sending starts soon after
/// the claim, large enough that a thousand rows take ten queries, not a thousand.
const LOAD_CHUNK: usize = 100;

fn in_chunks(rows: Vec<Claimed>) -> Vec<Vec<Claimed>> {
    let mut chunks: Vec<Vec<Claimed>> = Vec::new();
    for row in rows {
        match chunks.last_mut() {
            Some(chunk) if chunk.len() < LOAD_CHUNK => chunk.push(row),
            _ => chunks.push(vec![row]),
        }
    }
    chunks
}

async fn load_incidents(store: &Store, claimed: &[Claimed]) -> Result<Incidents, AppError> {
    let started = std::time::Instant::now();
    let mut ids: Vec<IncidentId> = claimed
        .iter()
        .filter_map(|c| c.incident_id.clone())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let found = store
        .run(move |conn| {
            let now = escalations::db_now(conn)?;
            let found = incidents::load_many(conn, &ids, now)?;
            Ok(found.into_iter().map(|i| (i.id.clone(), i)).collect())
        })
        .await;
    tracing::debug!(
        rows = claimed.len(),
        load_ms = started.elapsed().as_millis() as u64,
        "incidents loaded"
    );
    found
}

/// A row given up because its lease ran out (counted: a replica paused or cut off
/// from the database shows here).
fn lost_lease() -> Outcome {
    crate::metrics::MAIL_ATTEMPTS
        .with_label_values(&["lease_lost"])
        .inc();
    Outcome::LostLease
}

async fn release(store: &Store, row: &Claimed) -> Outcome {
    let (id, token, send_at) = (row.id.clone(), row.lease_token.clone(), row.send_at);
    let released = store
        .write(move |c| {
            let now = escalations::db_now(c)?;
            let release = SendResult::Retry {
                error: "released at shutdown before sending".into(),
                at: now.max(send_at),
            };
            escalations::record(c, &[id], &token, &release, now)
        })
        .await;
    if let Err(e) = released {
        tracing::error!(error = %e.chain(), "could not release a claimed escalation; its lease will expire");
    }
    Outcome::Released
}

/// Exponential: initial, 2×, 4× … up to max.
fn backoff(initial: Duration, max: Duration, attempts: i32) -> Duration {
    let exp = attempts.saturating_sub(1).clamp(0, 16) as u32;
    (initial * 2i32.pow(exp)).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let (i, m) = (Duration::seconds(5), Duration::seconds(300));
        let waits: Vec<i64> = (1..=8).map(|a| backoff(i, m, a).num_seconds()).collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 300, 300]);
    }
}
