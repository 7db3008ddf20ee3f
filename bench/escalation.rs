//! Escalation latency benchmark (not a test): with 100,000 running clocks, 1,000 steps
//! fall due in the same second; how long after the due time does the SMTP server
//! accept each mail? Baselines, same run: the same 1,000 mails sent with the same
//! concurrency and no database or engine, through the service's SMTP client and through
//! lettre's own pooled transport.
//!
//!   cargo bench --bench escalation -- [sqlite|postgres|both] [CLOCKS] [DUE]
//!   cargo bench --bench escalation -- channels [sqlite|postgres|both] [CLOCKS] [DUE]
//!
//! `channels`: a third each by mail, 企业微信 and SMS (the tests' stand-ins); floors, same
//! run: each channel's third alone, and the whole burst at once through one bound.
//!
//! PostgreSQL: TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres.

// Tests and benchmarks stop at the first surprise: a panic names it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/api/sms.rs"]
#[allow(dead_code)]
mod sms;
#[path = "../tests/api/smtp.rs"]
#[allow(dead_code)]
mod smtp;
#[path = "../tests/api/stand_in.rs"]
#[allow(dead_code)]
mod stand_in;
#[path = "../tests/api/tls.rs"]
#[allow(dead_code)]
mod tls;
#[path = "../tests/api/wecom.rs"]
#[allow(dead_code)]
mod wecom;

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
fn seed(
    conn: &mut DbConn,
    (clocks, due, across_channels): (usize, usize, bool),
    now: DateTime<Utc>,
    due_at: DateTime<Utc>,
) {
    let kind = yuqing_tracker::domain::clock::ClockKind::parse("authoritative_statement").unwrap();
    let policy = serde_json::to_string(&Settings::load(None).unwrap().clocks.kinds[&kind]).unwrap();
    let series = |n: usize| {
        format!("WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {n}) ")
    };
    let (n, far) = (ts(now), ts(now + chrono::Duration::hours(4)));
    let risk = ts(now + chrono::Duration::hours(2));
    let mut sql = format!(
        "INSERT INTO units (id, code, name, level, parent_id, path, active, version, created_at, updated_at)
           VALUES ('u1', '4401', '广州市税务局', 'city_bureau', NULL, '/u1/', TRUE, 1, '{n}', '{n}');
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
    // Mail only, or a third each by mail, 企业微信 (member u<g>) and SMS (139…<g>).
    let (channel, address, id) = if across_channels {
        (
            "CASE g % 3 WHEN 0 THEN 'email' WHEN 1 THEN 'wecom' ELSE 'sms' END",
            "CASE g % 3 WHEN 0 THEN 'r' || g || '@example.org' WHEN 1 THEN 'u' || g ELSE '' || (13900000000 + g) END",
            "CASE g % 3 WHEN 0 THEN '<due-' || g || '@bench>' ELSE 'due' || g END",
        )
    } else {
        (
            "'email'",
            "'r' || g || '@example.org'",
            "'<due-' || g || '@bench>'",
        )
    };
    sql += &format!(
        "{s} INSERT INTO escalations {cols} SELECT 'due-' || g, 'clk-' || g, 'inc-' || g, 'before_30m', 10,
           '{d}', 'r' || g, {channel}, {address}, '领导', 'principal_leader', '4401', 'pending', 0, '{d}',
           NULL, NULL, NULL, FALSE, {id}, NULL, NULL, '{n}', '{n}' FROM s;",
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

/// The stand-ins' own floor: the messages of `which` channels (message `g` of 1..=`due`
/// goes by mail, 企业微信 or SMS as `g % 3` says, as in the seed) sent straight to fresh
/// stand-ins (mail through the service's SMTP client, the others posted with the same
/// bodies) through one bound of the engine's concurrency, no database or engine around
/// them; each receipt counted from the start.
async fn stand_in_floor(which: &[&str], settings: &Settings, due: usize) -> Stats {
    let concurrency = settings.engine.max_concurrent_sends;
    let client = reqwest::Client::new();
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let mut set = tokio::task::JoinSet::new();
    let text = "【舆情时限预警】YQ-BENCH-1 距发布权威信息时限还剩30分钟：基准测试舆情 1 确认知悉：http://127.0.0.1:8080/ack/x";
    let (smtp, wecom, sms) = (
        smtp::TestSmtp::start(),
        wecom::TestWecom::start(&[]),
        sms::TestSms::start(),
    );
    wecom.add_users(&(0..=due).map(|i| format!("u{i}")).collect::<Vec<_>>());
    let mut mail = settings.mail.clone();
    mail.smtp.port = smtp.port;
    let mailer = Arc::new(Mailer::new(&mail, Duration::from_secs(30), concurrency as u32).unwrap());
    let token: serde_json::Value = client
        .get(format!("{}/cgi-bin/gettoken", wecom.base))
        .query(&[("corpid", wecom::CORP_ID), ("corpsecret", wecom::SECRET)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    let channel_of = |g: usize| ["email", "wecom", "sms"][g % 3];
    let picked: Vec<usize> = (1..=due)
        .filter(|g| which.contains(&channel_of(*g)))
        .collect();
    let start = Utc::now();
    for &g in &picked {
        let permit = sem.clone().acquire_owned().await.unwrap();
        let request = match channel_of(g) {
            "email" => {
                let (mailer, msg) = (
                    mailer.clone(),
                    Message::builder()
                        .from("bench <bench@localhost>".parse().unwrap())
                        .to(format!("r{g}@example.org").parse().unwrap())
                        .subject("基准")
                        .body(text.to_owned())
                        .unwrap(),
                );
                set.spawn(async move {
                    let _p = permit;
                    mailer.send(msg).await.unwrap();
                });
                continue;
            }
            "wecom" => client
                .post(format!("{}/cgi-bin/message/send", wecom.base))
                .query(&[("access_token", token.as_str())])
                .json(&serde_json::json!({ "touser": format!("u{g}"), "msgtype": "text",
                    "agentid": wecom::AGENT_ID, "text": { "content": text } })),
            _ => client
                .post(&sms.url)
                .bearer_auth(sms::SECRET)
                .json(&serde_json::json!({ "PhoneNumbers": format!("{}", 13_900_000_000u64 + g as u64),
                    "SignName": sms::SIGN_NAME, "TemplateCode": sms::TEMPLATE_CODE,
                    "TemplateParam": serde_json::json!({"reference": "YQ", "step": "s", "deadline": "d", "link": "l"}).to_string(),
                    "OutId": format!("floor{g}") })),
        };
        set.spawn(async move {
            let _p = permit;
            request.send().await.unwrap().error_for_status().unwrap();
        });
    }
    set.join_all().await;
    let mailed = picked.iter().filter(|g| channel_of(**g) == "email").count();
    let mail_at = smtp
        .wait_for("floor mail", Duration::from_secs(60), |r| r.len() >= mailed)
        .await;
    let at: Vec<DateTime<Utc>> = mail_at
        .iter()
        .map(|m| m.at)
        .chain(wecom.received().iter().map(|m| m.at))
        .chain(sms.received().iter().map(|m| m.at))
        .collect();
    assert_eq!(at.len(), picked.len(), "floor: every message taken");
    stats(
        at.iter()
            .map(|t| (*t - start).num_microseconds().unwrap() as f64 / 1000.0)
            .collect(),
    )
}

/// Every channel's messages (`across`: a third each by mail, 企业微信 and SMS against the
/// stand-ins), or mail only.
async fn run(backend: &str, clocks: usize, due: usize, across: bool) {
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
    let stand_ins = across.then(|| (wecom::TestWecom::start(&[]), sms::TestSms::start()));
    let channels = stand_ins.as_ref();
    if let Some((w, m)) = channels {
        w.add_users(&(0..=due).map(|g| format!("u{g}")).collect::<Vec<_>>());
        let c = &mut settings.channels.wecom;
        c.enabled = true;
        c.api_base = w.base.clone();
        c.corp_id = wecom::CORP_ID.into();
        c.agent_id = wecom::AGENT_ID;
        c.secret = wecom::SECRET.to_owned().into();
        m.configure(&mut settings);
        settings.channels.sms.timeout_seconds = 30;
    }
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
            (clocks, due, across),
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
    let Some((w, m)) = channels else {
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
            engine.p50,
            engine.p99,
            engine.max,
            floor.p50,
            floor.p99,
            floor.max,
            stock.p50,
            stock.p99
        );
        drop_database(cleanup);
        return;
    };
    let counts = |g: usize| (1..=due).filter(|i| i % 3 == g).count();
    let (n_mail, n_chat, n_sms) = (counts(0), counts(1), counts(2));
    let deadline = Instant::now() + Duration::from_secs(180);
    while smtp.received().len() < n_mail
        || w.received().len() < n_chat
        || m.received().len() < n_sms
    {
        assert!(Instant::now() < deadline, "not everything arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    handle.stop(true).await;
    let since = |t: DateTime<Utc>| (t - due_at).num_microseconds().unwrap() as f64 / 1000.0;
    let all: Vec<f64> = smtp
        .received()
        .iter()
        .map(|r| since(r.at))
        .chain(w.received().iter().map(|r| since(r.at)))
        .chain(m.received().iter().map(|r| since(r.at)))
        .collect();
    let rows = [
        (
            "email",
            stats(smtp.received().iter().map(|r| since(r.at)).collect()),
            stand_in_floor(&["email"], &settings, due).await,
        ),
        (
            "wecom",
            stats(w.received().iter().map(|r| since(r.at)).collect()),
            stand_in_floor(&["wecom"], &settings, due).await,
        ),
        (
            "sms",
            stats(m.received().iter().map(|r| since(r.at)).collect()),
            stand_in_floor(&["sms"], &settings, due).await,
        ),
    ];
    for (channel, engine, floor) in &rows {
        println!(
            "| {backend} | {channel} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} |",
            match *channel {
                "email" => n_mail,
                "wecom" => n_chat,
                _ => n_sms,
            },
            engine.p50,
            engine.p99,
            engine.max,
            floor.p50,
            floor.p99,
            floor.max,
            engine.p99 / floor.p99
        );
    }
    let all = stats(all);
    // The floor of the whole burst: the same 1,000 messages at once, through one bound.
    let floor = stand_in_floor(&["email", "wecom", "sms"], &settings, due).await;
    println!(
        "| {backend} | all | {due} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} |",
        all.p50,
        all.p99,
        all.max,
        floor.p50,
        floor.p99,
        floor.max,
        all.p99 / floor.p99
    );
    drop_database(cleanup);
}

fn drop_database(cleanup: Option<String>) {
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
    // `channels` first: a third each by mail, 企业微信 and SMS.
    let across = args.first().is_some_and(|a| a == "channels");
    let args = &args[usize::from(across)..];
    let which = args.first().map_or("both", String::as_str).to_owned();
    let clocks: usize = args.get(1).map_or(100_000, |a| a.parse().unwrap());
    let due: usize = args.get(2).map_or(1_000, |a| a.parse().unwrap());
    if across {
        println!(
            "| backend | channel | messages | p50 ms | p99 ms | max ms | floor p50 ms | floor p99 ms | floor max ms | p99 / floor p99 |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|");
    } else {
        println!(
            "| backend | running clocks | due in one second | p50 ms | p99 ms | max ms | baseline p50 ms | baseline p99 ms | baseline max ms | lettre transport p50 ms | lettre transport p99 ms | seed s |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    }
    for backend in ["sqlite", "postgres"] {
        if which == "both" || which == backend {
            run(backend, clocks, due, across).await;
        }
    }
}
