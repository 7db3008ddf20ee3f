//! Escalation latency benchmark (not a test): with 100,000 running clocks, 1,000 steps
//! fall due in the same second; how long after the due time does the SMTP server
//! accept each mail? Baselines, same run: the same 1,000 mails sent with the same
//! concurrency and no database or engine, through the service's SMTP client and through
//! lettre's own pooled transport.
//!
//!   cargo bench --bench escalation -- [sqlite|postgres|both] [CLOCKS] [DUE]
//!
//! PostgreSQL: TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres.

// Tests and benchmarks stop at the first surprise: a panic names it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/api/smtp.rs"]
#[allow(dead_code)]
mod smtp;
#[path = "../tests/api/tls.rs"]
#[allow(dead_code)]
mod tls;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, SubsecRound, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use yuqing_tracker::config::DbTarget;
use yuqing_tracker::config::{MailTransport, Settings};
use yuqing_tracker::domain::time::SystemClock;
use yuqing_tracker::mail::Mailer;
use yuqing_tracker::startup::Application;
use yuqing_tracker::store::{Connector, DbConn, Store};

fn pg_admin() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

/// Bulk rows with one recursive CTE, the same SQL on both backends.
fn seed(conn: &mut DbConn, clocks: usize, due: usize, now: DateTime<Utc>, due_at: DateTime<Utc>) {
    let kind = yuqing_tracker::domain::clock::ClockKind::parse("authoritative_statement").unwrap();
    let policy = serde_json::to_string(&Settings::load(None).unwrap().clocks.kinds[&kind]).unwrap();
    let series = |n: usize| {
        format!("WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {n}) ")
    };
    let (n, far) = (ts(now), ts(now + chrono::Duration::hours(4)));
    let risk = ts(now + chrono::Duration::hours(2));
    let mut sql = format!(
        "INSERT INTO units VALUES ('u1', '4401', '广州市税务局', 'city_bureau', NULL, '/u1/', TRUE, 1, '{n}', '{n}');
         INSERT INTO api_tokens VALUES ('bench', '基准', 'admin', NULL, 'x', '{n}', NULL, NULL);
         {s} INSERT INTO incidents SELECT 'inc-' || g, 'YQ-BENCH-' || g, '基准测试舆情 ' || g, '摘要', 'weibo', NULL,
           '{n}', 'bench', '基准', 'major', 'other', NULL, 'reported', NULL, NULL, NULL, 1, '{n}', '{n}', '{far}' FROM s;
         {s} INSERT INTO incident_units SELECT 'inc-' || g, 'u1', TRUE FROM s;
         {s} INSERT INTO clocks SELECT 'clk-' || g, 'inc-' || g, 'authoritative_statement', 'running', '{n}', '{far}',
           '{policy}', NULL, NULL, '{n}', '{risk}', 'on_time' FROM s;",
        s = series(clocks)
    );
    // Columns named: the backends' tables list them in different orders.
    let cols = ESCALATION_COLUMNS;
    // Four future reminders per clock: the queue the claim query must look past.
    for k in 1..=4 {
        let at = ts(now + chrono::Duration::minutes(60 + 10 * k));
        sql += &format!(
            "{s} INSERT INTO escalations {cols} SELECT 'esc-' || g || '-{k}', 'clk-' || g, 'inc-' || g, 'before_{k}m', {r},
               '{at}', 'leader' || g, 'email', 'leader' || g || '@example.org', '领导', 'principal_leader', '4401', 'pending', 0, '{at}',
               NULL, NULL, NULL, FALSE, '<esc-' || g || '-{k}@bench>', NULL, NULL, '{n}', '{n}' FROM s;",
            s = series(clocks),
            r = k - 1,
        );
    }
    let d = ts(due_at);
    sql += &format!(
        "{s} INSERT INTO escalations {cols} SELECT 'due-' || g, 'clk-' || g, 'inc-' || g, 'before_30m', 10,
           '{d}', 'r' || g, 'email', 'r' || g || '@example.org', '领导', 'principal_leader', '4401', 'pending', 0, '{d}',
           NULL, NULL, NULL, FALSE, '<due-' || g || '@bench>', NULL, NULL, '{n}', '{n}' FROM s;",
        s = series(due)
    );
    conn.batch_execute(&format!("BEGIN; {sql} COMMIT;"))
        .expect("seed");
}

const ESCALATION_COLUMNS: &str = "(id, clock_id, incident_id, step, rank, due_at, contact_id, channel, address, recipient_name, recipient_role, recipient_unit, status, attempts, next_attempt_at, last_error, lease_token, lease_until, late, message_id, sent_at, context, created_at, updated_at)";

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

struct Stats {
    p50: f64,
    p99: f64,
    max: f64,
}

fn stats(mut ms: Vec<f64>) -> Stats {
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    Stats {
        p50: percentile(&ms, 0.5),
        p99: percentile(&ms, 0.99),
        max: *ms.last().unwrap(),
    }
}

/// How the baseline's mails leave: lettre's own pooled transport (Nagle on), or the
/// service's SMTP client with no database or engine around it.
#[derive(Clone, Copy)]
enum Floor {
    Lettre,
    Service,
}

async fn baseline(floor: Floor, settings: &Settings, n: usize) -> Stats {
    let concurrency = settings.engine.max_concurrent_sends;
    let server = smtp::TestSmtp::start();
    let mut mail = settings.mail.clone();
    mail.smtp.port = server.port;
    let lettre = Arc::new(
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(server.port)
            .pool_config(lettre::transport::smtp::PoolConfig::new().max_size(concurrency as u32))
            .build(),
    );
    let service =
        Arc::new(Mailer::new(&mail, Duration::from_secs(30), concurrency as u32).unwrap());
    let start = Utc::now();
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        let (lettre, service, permit) = (
            lettre.clone(),
            service.clone(),
            sem.clone().acquire_owned().await.unwrap(),
        );
        set.spawn(async move {
            let _p = permit;
            let msg = Message::builder()
                .from("bench <bench@localhost>".parse().unwrap())
                .to(format!("r{i}@example.org").parse().unwrap())
                .subject("基准")
                .body("基准测试".to_owned())
                .unwrap();
            match floor {
                Floor::Lettre => lettre.send(msg).await.map(|_| ()).unwrap(),
                Floor::Service => service.send(msg).await.unwrap(),
            }
        });
    }
    set.join_all().await;
    let got = server
        .wait_for("baseline", Duration::from_secs(60), |r| r.len() >= n)
        .await;
    stats(
        got.iter()
            .map(|m| (m.at - start).num_microseconds().unwrap() as f64 / 1000.0)
            .collect(),
    )
}

async fn run(backend: &str, clocks: usize, due: usize) {
    let workdir = tempfile::tempdir().unwrap();
    let (url, cleanup) = match backend {
        "sqlite" => (
            format!("sqlite://{}/bench.db", workdir.path().display()),
            None,
        ),
        _ => {
            let name = format!("yq_bench_{}", uuid::Uuid::new_v4().simple());
            let mut admin = diesel::PgConnection::establish(&pg_admin()).unwrap();
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .unwrap();
            let base = pg_admin().rsplit_once('/').unwrap().0.to_owned();
            (format!("{base}/{name}"), Some(name))
        }
    };
    let smtp = smtp::TestSmtp::start();
    let mut settings = Settings::load(None).unwrap();
    settings.database.url = DbTarget::parse(&url).unwrap();
    settings.server.bind = "127.0.0.1:0".parse().unwrap();
    settings.mail.transport = MailTransport::Smtp;
    settings.mail.smtp.host = "127.0.0.1".into();
    settings.mail.smtp.port = smtp.port;
    // BENCH_LOG=yuqing_tracker::engine=debug shows the engine's batch timings.
    settings.log.filter = std::env::var("BENCH_LOG").unwrap_or_else(|_| "error".into());
    yuqing_tracker::telemetry::init(&settings.log);

    let now = Utc::now().trunc_subsecs(0);
    let db = settings.database.clone();
    let seeded = Instant::now();
    Store::open(&db).await.unwrap(); // applies the migrations
    // Seeded an hour ahead; once the database has settled (statistics, vacuum), the
    // due rows are moved to a moment a few seconds after the service starts.
    let due_at = tokio::task::spawn_blocking(move || {
        let mut conn = Connector::new(db.url.clone(), Duration::from_secs(5))
            .connect()
            .unwrap();
        seed(
            &mut conn,
            clocks,
            due,
            now,
            now + chrono::Duration::hours(1),
        );
        let settle = match conn {
            DbConn::Pg(_) => "VACUUM ANALYZE",
            DbConn::Sqlite(_) => "ANALYZE",
        };
        conn.batch_execute(settle).expect("settle");
        let due_at = Utc::now().trunc_subsecs(0) + chrono::Duration::seconds(10);
        conn.batch_execute(&format!(
            "UPDATE escalations SET due_at = '{d}', next_attempt_at = '{d}' WHERE id LIKE 'due-%'",
            d = ts(due_at)
        ))
        .expect("set the due time");
        due_at
    })
    .await
    .unwrap();
    let seed_s = seeded.elapsed().as_secs_f64();

    let app = Application::build(&settings, Arc::new(SystemClock))
        .await
        .unwrap();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    let got = smtp
        .wait_for("due mail", Duration::from_secs(120), |r| r.len() >= due)
        .await;
    let engine = stats(
        got.iter()
            .map(|m| (m.at - due_at).num_microseconds().unwrap() as f64 / 1000.0)
            .collect(),
    );
    handle.stop(true).await;
    let floor = baseline(Floor::Service, &settings, due).await;
    let stock = baseline(Floor::Lettre, &settings, due).await;
    println!(
        "| {backend} | {clocks} | {due} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {seed_s:.1} |",
        engine.p50, engine.p99, engine.max, floor.p50, floor.p99, floor.max, stock.p50, stock.p99
    );
    if let Some(name) = cleanup {
        let mut admin = diesel::PgConnection::establish(&pg_admin()).unwrap();
        diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)"))
            .execute(&mut admin)
            .unwrap();
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let which = args.first().map_or("both", String::as_str).to_owned();
    let clocks: usize = args.get(1).map_or(100_000, |a| a.parse().unwrap());
    let due: usize = args.get(2).map_or(1_000, |a| a.parse().unwrap());
    println!(
        "| backend | running clocks | due in one second | p50 ms | p99 ms | max ms | baseline p50 ms | baseline p99 ms | baseline max ms | lettre transport p50 ms | lettre transport p99 ms | seed s |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for backend in ["sqlite", "postgres"] {
        if which == "both" || which == backend {
            run(backend, clocks, due).await;
        }
    }
}
