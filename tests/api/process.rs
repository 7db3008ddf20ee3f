//! The real binary as operators run it: killed with -9 mid-send, stopped with SIGTERM
//! mid-send, and three replicas on one PostgreSQL. Mail goes to a real SMTP server.

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use yuqing_tracker::domain::access::Role;
use yuqing_tracker::store::{Store, tokens, write_tx};

use crate::helpers::{Backend, TestDb, incident_body};
use crate::smtp::{Faults, TestSmtp, free_port};

const BIN: &str = env!("CARGO_BIN_EXE_yuqing-tracker");

pub(crate) struct Service {
    child: Option<Child>,
    pub(crate) base: String,
}

/// Starts the binary; what it logs goes to `service.log` in `workdir`.
pub(crate) fn start(
    db: &TestDb,
    smtp_port: u16,
    workdir: &std::path::Path,
    extra: &[(&str, &str)],
) -> Service {
    let port = free_port();
    let mut cmd = Command::new(BIN);
    cmd.current_dir(workdir)
        .env("DATABASE_URL", db.url())
        .env("YUQING__SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("YUQING__SERVER__WORKERS", "2")
        .env("YUQING__MAIL__TRANSPORT", "smtp")
        .env("YUQING__MAIL__SMTP__HOST", "127.0.0.1")
        .env("YUQING__MAIL__SMTP__PORT", smtp_port.to_string())
        .env("YUQING__ENGINE__POLL_INTERVAL_MS", "200")
        .env("YUQING__ENGINE__SEND_TIMEOUT_SECONDS", "3")
        .env("YUQING__ENGINE__LEASE_SECONDS", "4")
        .env("YUQING__ENGINE__RETRY_INITIAL_SECONDS", "1")
        .env("YUQING__ENGINE__RETRY_MAX_SECONDS", "2")
        .env("YUQING__LOG__FILTER", "warn")
        .stdout(Stdio::null())
        .stderr(log_file(workdir));
    for (k, v) in extra {
        cmd.env(k, v);
    }
    Service {
        child: Some(cmd.spawn().expect("start the binary")),
        base: format!("http://127.0.0.1:{port}"),
    }
}

fn log_file(workdir: &std::path::Path) -> Stdio {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(workdir.join("service.log"))
        .map_or_else(|_| Stdio::null(), Stdio::from)
}

impl Service {
    pub(crate) async fn ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(res) = reqwest::get(format!("{}/readyz", self.base)).await
                && res.status() == 200
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "service at {} not ready",
                self.base
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends `sig` and keeps the process (SIGSTOP, SIGCONT).
    fn pause_or_resume(&self, sig: &str) {
        let id = self.child.as_ref().unwrap().id().to_string();
        let status = Command::new("kill").args([sig, &id]).status().unwrap();
        assert!(status.success());
    }

    /// A counter of this process's `/metrics` (0 when not yet counted).
    async fn counter(&self, series: &str) -> f64 {
        let text = reqwest::get(format!("{}/metrics", self.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find(|l| l.starts_with(series))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }

    pub(crate) fn signal(&mut self, sig: &str) -> Child {
        let child = self.child.take().unwrap();
        let status = Command::new("kill")
            .args([sig, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        child
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub(crate) fn wait_exit(mut child: Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "process did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub(crate) async fn admin_token(db: &TestDb) -> String {
    let mut settings = yuqing_tracker::config::Settings::load(None).unwrap();
    settings.database.url = yuqing_tracker::config::DbTarget::parse(&db.url()).unwrap();
    let store = Store::open(&settings.database).await.unwrap();
    store
        .run(|conn| {
            write_tx(conn, |conn| {
                tokens::create(
                    conn,
                    &tokens::NewToken {
                        name: "运维",
                        role: Role::Admin,
                        unit_code: None,
                        expires_at: None,
                    },
                    chrono::Utc::now(),
                )
            })
        })
        .await
        .unwrap()
        .1
}

/// Rows the database holds as being sent under a lease (read while no service runs).
pub(crate) async fn leased(db: &TestDb) -> usize {
    let mut settings = yuqing_tracker::config::Settings::load(None).unwrap();
    settings.database.url = yuqing_tracker::config::DbTarget::parse(&db.url()).unwrap();
    let store = Store::open(&settings.database).await.unwrap();
    store
        .run(|conn| {
            use diesel::prelude::*;
            use yuqing_tracker::store::schema::escalations as e;
            Ok(e::table
                .filter(e::status.eq("sending"))
                .count()
                .get_result::<i64>(conn)? as usize)
        })
        .await
        .unwrap()
}

/// POSTs `body` to the running binary as `token`; it must be created (201). What was.
pub(crate) async fn create(base: &str, token: &str, path: &str, body: Value) -> Value {
    let res = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "POST {path}");
    res.json().await.unwrap()
}

/// The city bureau (4401) the process tests' people and incidents belong to.
pub(crate) async fn create_city(base: &str, token: &str) {
    let unit = json!({ "code": "4401", "name": "广州市税务局", "level": "city_bureau" });
    create(base, token, "/api/v1/units", unit).await;
}

/// A unit with `n` principal leaders and a major incident: `n` notices due at once.
async fn seed(base: &str, token: &str, n: usize) -> String {
    create_city(base, token).await;
    for i in 0..n {
        let body = json!({ "name": format!("领导{i}"), "email": format!("leader{i}@example.org"), "unit_code": "4401", "roles": ["principal_leader"] });
        create(base, token, "/api/v1/contacts", body).await;
    }
    let incident = create(base, token, "/api/v1/incidents", incident_body("4401")).await;
    incident["id"].as_str().unwrap().to_owned()
}

async fn notices(base: &str, token: &str, incident: &str) -> Vec<Value> {
    let res = reqwest::Client::new()
        .get(format!("{base}/api/v1/incidents/{incident}/notifications"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["step"] == "new_major")
        .cloned()
        .collect()
}

pub(crate) async fn wait_all_sent(base: &str, token: &str, incident: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let rows = notices(base, token, incident).await;
        if rows.len() == n && rows.iter().all(|r| r["status"] == "sent") {
            return rows;
        }
        assert!(
            Instant::now() < deadline,
            "not all sent: {:?}",
            rows.iter().map(|r| r["status"].clone()).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Per recipient, the Message-IDs that arrived: a duplicate must repeat the same ID.
fn by_recipient(smtp: &TestSmtp) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for mail in smtp.received() {
        out.entry(mail.to.join(","))
            .or_default()
            .push(mail.message_id);
    }
    out
}

async fn kill_9_mid_send_loses_nothing(backend: Backend) {
    const N: usize = 30;
    let db = TestDb::create(backend);
    let dir = tempfile::tempdir().unwrap();
    let smtp = TestSmtp::start();
    smtp.set_faults(Faults {
        data_delay: Some(Duration::from_millis(150)),
        ..Faults::default()
    });
    let slow = [("YUQING__ENGINE__MAX_CONCURRENT_SENDS", "3")];
    let mut service = start(&db, smtp.port, dir.path(), &slow);
    service.ready().await;
    let token = admin_token(&db).await;
    let incident = seed(&service.base, &token, N).await;
    smtp.wait_for("the first mails", Duration::from_secs(30), |r| r.len() >= 5)
        .await;
    let killed = service.signal("-KILL");
    wait_exit(killed, Duration::from_secs(10));
    let before = smtp.received().len();
    assert!(before < N, "killed while sending ({before} of {N} sent)");
    assert!(
        leased(&db).await > 0,
        "the kill came while mail was claimed and being sent"
    );

    let service = start(&db, smtp.port, dir.path(), &slow);
    service.ready().await;
    let rows = wait_all_sent(&service.base, &token, &incident, N).await;
    let got = by_recipient(&smtp);
    assert_eq!(got.len(), N, "every recipient got the notice");
    for row in &rows {
        let ids = &got[row["address"].as_str().unwrap()];
        assert!(
            ids.iter()
                .all(|id| id == row["message_id"].as_str().unwrap()),
            "a duplicate carries the same Message-ID: {ids:?}"
        );
    }
}

async fn sigterm_mid_send_leaves_nothing_stuck(backend: Backend) {
    const N: usize = 30;
    let db = TestDb::create(backend);
    let dir = tempfile::tempdir().unwrap();
    let smtp = TestSmtp::start();
    smtp.set_faults(Faults {
        data_delay: Some(Duration::from_millis(150)),
        ..Faults::default()
    });
    let slow = [
        ("YUQING__ENGINE__MAX_CONCURRENT_SENDS", "3"),
        ("YUQING__ENGINE__LEASE_SECONDS", "60"),
    ];
    let mut service = start(&db, smtp.port, dir.path(), &slow);
    service.ready().await;
    let token = admin_token(&db).await;
    let incident = seed(&service.base, &token, N).await;
    smtp.wait_for("the first mails", Duration::from_secs(30), |r| r.len() >= 5)
        .await;
    let stopping = service.signal("-TERM");
    let status = wait_exit(stopping, Duration::from_secs(20));
    assert!(status.success(), "clean exit: {status}");
    assert!(smtp.received().len() < N, "stopped while sending");
    assert_eq!(leased(&db).await, 0, "nothing left leased by a clean stop");

    // Nothing is left leased: sends in flight were recorded, the rest handed back, so a
    // restart delivers at once instead of waiting out a 60 s lease.
    let service = start(&db, smtp.port, dir.path(), &slow);
    service.ready().await;
    let rows = notices(&service.base, &token, &incident).await;
    assert!(
        rows.iter()
            .all(|r| r["status"] != "sending" || r["attempts"].as_i64().unwrap() > 1),
        "stuck in sending: {rows:#?}"
    );
    let started = Instant::now();
    wait_all_sent(&service.base, &token, &incident, N).await;
    assert!(
        started.elapsed() < Duration::from_secs(50),
        "did not wait for leases"
    );
    let got = by_recipient(&smtp);
    assert_eq!(got.len(), N);
    assert!(
        got.values().all(|ids| ids.len() == 1),
        "exactly once after a clean stop: {got:?}"
    );
}

/// With the default lease, a burst killed mid-send is delivered within seconds of the
/// restart: the dead process stops renewing, and its claims are free within one lease.
async fn after_kill_9_the_burst_resumes_within_seconds(backend: Backend) {
    const N: usize = 200;
    let db = TestDb::create(backend);
    let dir = tempfile::tempdir().unwrap();
    let smtp = TestSmtp::start();
    smtp.set_faults(Faults {
        data_delay: Some(Duration::from_millis(100)),
        ..Faults::default()
    });
    // The defaults for the lease and the send time-out, not the tests' short ones.
    let defaults = [
        ("YUQING__ENGINE__MAX_CONCURRENT_SENDS", "8"),
        ("YUQING__ENGINE__LEASE_SECONDS", "10"),
        ("YUQING__ENGINE__SEND_TIMEOUT_SECONDS", "30"),
    ];
    let mut service = start(&db, smtp.port, dir.path(), &defaults);
    service.ready().await;
    let token = admin_token(&db).await;
    let incident = seed(&service.base, &token, N).await;
    smtp.wait_for("the first mails", Duration::from_secs(30), |r| {
        r.len() >= 16
    })
    .await;
    let killed = service.signal("-KILL");
    wait_exit(killed, Duration::from_secs(10));
    let before = smtp.received().len();
    assert!(before < N, "killed while sending ({before} of {N} sent)");

    let service = start(&db, smtp.port, dir.path(), &defaults);
    service.ready().await;
    // Measured from when the new process serves (its start-up is not the promise).
    let restarted = Instant::now();
    smtp.wait_for("every mail", Duration::from_secs(60), |r| {
        by_recipient_of(r).len() == N
    })
    .await;
    let took = restarted.elapsed();
    eprintln!(
        "kill -9 with {} of {N} sent: the rest arrived {took:?} after the restart",
        before
    );
    // The promise: the dead process's claims are free within one lease (10 s by
    // default); 5 s more covers sending what it left (200 mails, 100 ms each, 64 at once).
    assert!(
        took <= Duration::from_secs(10 + 5),
        "{took:?} after the restart"
    );
    wait_all_sent(&service.base, &token, &incident, N).await;
}

fn by_recipient_of(received: &[crate::smtp::Received]) -> HashSet<String> {
    received.iter().map(|m| m.to.join(",")).collect()
}

/// Three replicas on one PostgreSQL, 1,000 notices due in the same second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_send_each_mail_exactly_once() {
    const N: usize = 1000;
    let db = TestDb::create(Backend::Postgres);
    let dir = tempfile::tempdir().unwrap();
    let smtp = TestSmtp::start();
    // Small batches so the replicas interleave; 3 × 16 connections stay within the test
    // server's threads, so no send times out and every row takes exactly one attempt.
    let batch = [
        ("YUQING__ENGINE__BATCH_SIZE", "50"),
        ("YUQING__ENGINE__MAX_CONCURRENT_SENDS", "16"),
    ];
    // Started together: the migrations run once, under the advisory lock.
    let replicas: Vec<Service> = (0..3)
        .map(|_| start(&db, smtp.port, dir.path(), &batch))
        .collect();
    for r in &replicas {
        r.ready().await;
    }
    let token = admin_token(&db).await;
    let incident = seed(&replicas[0].base, &token, N).await;
    let rows = wait_all_sent(&replicas[1].base, &token, &incident, N).await;
    // A duplicate would come from a lease taken over: wait one lease (4 s here) past the
    // last recorded send before counting.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let received = smtp.received();
    assert_eq!(received.len(), N, "each mail once");
    for (i, r) in replicas.iter().enumerate() {
        let sent = r
            .counter("yuqing_mail_attempts_total{outcome=\"sent\"}")
            .await;
        assert!(
            sent > 0.0,
            "replica {i} sent nothing: the test proves nothing about sharing"
        );
    }
    let ids: HashSet<&str> = received.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids.len(), N);
    let expected: HashSet<&str> = rows
        .iter()
        .map(|r| r["message_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, expected);
    assert!(rows.iter().all(|r| r["attempts"] == 1));
}

/// A replica frozen mid-send (SIGSTOP: a VM paused, a process swapped out) stops renewing
/// its lease; another replica takes the mail over when the lease ends and sends it. When
/// the frozen one wakes up it sends nothing more: what it had not started is given up,
/// and what it had in flight cannot be recorded (the row's lease is no longer its own).
/// Only a send already in flight at the freeze may reach the server twice, with the same
/// Message-ID. PostgreSQL: replicas share one database only there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_replicas_mail_is_taken_over_and_never_sent_again_by_it() {
    const N: usize = 6;
    const IN_FLIGHT: usize = 2;
    let db = TestDb::create(Backend::Postgres);
    let dir = tempfile::tempdir().unwrap();
    let smtp = TestSmtp::start();
    smtp.set_faults(Faults {
        data_delay: Some(Duration::from_secs(2)),
        ..Faults::default()
    });
    let env = [
        ("YUQING__ENGINE__LEASE_SECONDS", "3"),
        ("YUQING__ENGINE__MAX_CONCURRENT_SENDS", "2"),
    ];
    let frozen = start(&db, smtp.port, dir.path(), &env);
    frozen.ready().await;
    let token = admin_token(&db).await;
    let incident = seed(&frozen.base, &token, N).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while leased(&db).await == 0 {
        assert!(
            Instant::now() < deadline,
            "the first replica claimed nothing"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    frozen.pause_or_resume("-STOP");

    // The other replica takes over once the frozen one's lease has ended.
    let other = start(&db, smtp.port, dir.path(), &env);
    other.ready().await;
    let rows = wait_all_sent(&other.base, &token, &incident, N).await;
    assert!(
        other
            .counter("yuqing_mail_attempts_total{outcome=\"sent\"}")
            .await
            >= (N - IN_FLIGHT) as f64,
        "the other replica sent what the frozen one held"
    );

    // Awake again: every row it held is given up, none sent or recorded by it.
    frozen.pause_or_resume("-CONT");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let lost = frozen
            .counter("yuqing_mail_attempts_total{outcome=\"lease_lost\"}")
            .await;
        if lost >= (N - IN_FLIGHT) as f64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the frozen replica gave up {lost} of the {N} rows it held"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        frozen
            .counter("yuqing_mail_attempts_total{outcome=\"sent\"}")
            .await,
        0.0,
        "the frozen replica recorded nothing"
    );
    let received = smtp.received();
    assert!(
        received.len() <= N + IN_FLIGHT,
        "{} copies of {N} mails: the frozen replica sent after waking",
        received.len()
    );
    let got = by_recipient(&smtp);
    assert_eq!(got.len(), N, "every recipient got the notice");
    for row in &rows {
        let ids = &got[row["address"].as_str().unwrap()];
        assert!(
            ids.iter()
                .all(|id| id == row["message_id"].as_str().unwrap()),
            "a duplicate carries the same Message-ID: {ids:?}"
        );
    }
}

/// SIGTERM with live event streams open: the streams end at once (their clients
/// reconnect elsewhere) and the process exits within 3 s, well inside docker stop's 10 s.
async fn sigterm_with_open_event_streams_stops_within_three_seconds(backend: Backend) {
    let db = TestDb::create(backend);
    let dir = tempfile::tempdir().unwrap();
    let smtp = TestSmtp::start();
    let mut service = start(&db, smtp.port, dir.path(), &[]);
    service.ready().await;
    let token = admin_token(&db).await;
    let mut streams = Vec::new();
    for _ in 0..3 {
        let mut res = reqwest::Client::new()
            .get(format!("{}/api/v1/events", service.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let first = res.chunk().await.unwrap().unwrap();
        assert!(first.starts_with(b"retry:"), "{first:?}");
        streams.push(res);
    }
    let stopping = service.signal("-TERM");
    let started = Instant::now();
    let status = tokio::task::spawn_blocking(move || wait_exit(stopping, Duration::from_secs(20)))
        .await
        .unwrap();
    let took = started.elapsed();
    assert!(status.success(), "clean exit: {status}");
    assert!(took < Duration::from_secs(3), "stopped in {took:?}");
    for mut stream in streams {
        // Ended by the server: the body finishes (or the connection closes) at once.
        let rest = tokio::time::timeout(Duration::from_secs(5), async {
            while let Ok(Some(_)) = stream.chunk().await {}
        })
        .await;
        assert!(rest.is_ok(), "the stream was ended");
    }
}

crate::on_both_backends!(
    kill_9_mid_send_loses_nothing,
    after_kill_9_the_burst_resumes_within_seconds,
    sigterm_mid_send_leaves_nothing_stuck,
    sigterm_with_open_event_streams_stops_within_three_seconds
);
