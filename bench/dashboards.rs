//! Dashboard API and console benchmark (not a test): with N incidents seeded, the release
//! build of the service is loaded with oha; every scenario is measured beside the same load
//! on a trivial actix endpoint of the same binary (/healthz) as the baseline, and each
//! console page beside the JSON API call that reads the same data.
//!
//!   cargo bench --bench dashboards -- [sqlite|postgres|both] [N,N,…] [SECONDS]
//!
//! Needs `oha` on PATH (cargo install oha). PostgreSQL: TEST_DATABASE_URL or
//! postgres://postgres@127.0.0.1:5432/postgres.

// Tests and benchmarks stop at the first surprise: a panic names it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, SubsecRound, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};
use serde_json::{Value, json};
use yuqing_tracker::config::DbTarget;
use yuqing_tracker::config::Settings;
use yuqing_tracker::domain::access::Role;
use yuqing_tracker::domain::time::SystemClock;
use yuqing_tracker::startup::Application;
use yuqing_tracker::store::{Connector, DbConn, Store, tokens, write_tx};

fn pg_admin() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

/// `base` minus `seconds` (an SQL expression), in each backend's dialect.
fn minus(pg: bool, base: &str, seconds: &str) -> String {
    if pg {
        format!("(TIMESTAMP '{base}' - ({seconds}) * INTERVAL '1 second')")
    } else {
        format!("strftime('%Y-%m-%d %H:%M:%f', '{base}', (-({seconds})) || ' seconds')")
    }
}

/// N major incidents across ten district units, one a second up to now, each with both
/// clocks: the newest 500 running (every seventh of them breached), the rest met.
fn seed(conn: &mut DbConn, pg: bool, n: usize, now: DateTime<Utc>) {
    let settings = Settings::load(None).unwrap();
    let policy = |kind: &str| {
        let kind = yuqing_tracker::domain::clock::ClockKind::parse(kind).unwrap();
        serde_json::to_string(&settings.clocks.kinds[&kind]).unwrap()
    };
    let (statement, press) = (
        policy("authoritative_statement"),
        policy("press_conference"),
    );
    let now = ts(now);
    let s =
        format!("WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {n}) ");
    let age = format!("({n} - g)");
    let created = minus(pg, &now, &age);
    // Breached ones were discovered six hours before they were logged.
    let discovered = minus(
        pg,
        &now,
        &format!("{age} + 600 + CASE WHEN g % 7 = 0 THEN 21600 ELSE 0 END"),
    );
    let due = |minutes: i64| {
        minus(
            pg,
            &now,
            &format!(
                "{age} + 600 + CASE WHEN g % 7 = 0 THEN 21600 ELSE 0 END - {}",
                minutes * 60
            ),
        )
    };
    let running = format!("g > {n} - 500");
    let mut sql = format!(
        "INSERT INTO units VALUES ('u0', '4401', '广州市税务局', 'city_bureau', NULL, '/u0/', TRUE, 1, '{now}', '{now}');"
    );
    for k in 1..=10 {
        sql += &format!(
            "INSERT INTO units VALUES ('u{k}', '4401{k:02}', '第{k}区税务局', 'district_bureau', 'u0', '/u0/u{k}/', TRUE, 1, '{now}', '{now}');"
        );
    }
    sql += &format!(
        "INSERT INTO api_tokens VALUES ('seed', '基准', 'admin', NULL, 'seed', '{now}', NULL, NULL);
         {s} INSERT INTO incidents SELECT 'inc-' || g, 'YQ-B-' || g, '基准测试舆情 ' || g,
           '网传某地税务部门执法不规范，话题阅读量上升。', 'weibo', NULL, {discovered}, 'seed', '基准',
           'major', 'misunderstanding', NULL, 'responding', NULL, NULL, NULL, 1, {created}, {created},
           CASE WHEN {running} THEN {due300} ELSE NULL END FROM s;
         {s} INSERT INTO incident_units SELECT 'inc-' || g, 'u' || (1 + g % 10), TRUE FROM s;
         {s} INSERT INTO clocks SELECT 'a-' || g, 'inc-' || g, 'authoritative_statement',
           CASE WHEN {running} THEN 'running' ELSE 'met' END, {discovered}, {due300}, '{statement}',
           CASE WHEN {running} THEN NULL ELSE {due60} END, NULL, {created}, {due180}, 'on_time' FROM s;
         {s} INSERT INTO clocks SELECT 'p-' || g, 'inc-' || g, 'press_conference',
           CASE WHEN {running} THEN 'running' ELSE 'met' END, {discovered}, {due1440}, '{press}',
           CASE WHEN {running} THEN NULL ELSE {due600} END, NULL, {created}, {due1080}, 'on_time' FROM s;",
        due300 = due(300),
        due180 = due(180),
        due60 = due(60),
        due1440 = due(1440),
        due1080 = due(1080),
        due600 = due(600),
    );
    conn.batch_execute(&format!("BEGIN; {sql} COMMIT;"))
        .expect("seed");
}

/// A console account and its session cookie, signed in over HTTP as a browser would.
async fn sign_in(service: &yuqing_tracker::app::App, base: &str) -> String {
    use yuqing_tracker::domain::account::{AccountProfile, NewAccount};
    let profile = AccountProfile::parse("基准", Role::Admin, None, None).unwrap();
    let new = NewAccount::parse("bench", profile, "benchmark-password").unwrap();
    service.create_account(None, new).await.unwrap();
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{base}/login"))
        .form(&[
            ("login", "bench"),
            ("password", "benchmark-password"),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "signed in");
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    cookie
        .trim_start_matches("yq_session=")
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// One oha run; returns its JSON summary.
fn oha(args: &[&str]) -> Value {
    let out = Command::new("oha")
        .args(["--no-tui", "--output-format", "json"])
        .args(args)
        .output()
        .expect("oha on PATH (cargo install oha)");
    assert!(
        out.status.success(),
        "oha: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("oha JSON")
}

struct Load {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    statuses: String,
}

fn load(v: &Value) -> Load {
    let ms = |k: &str| v["latencyPercentiles"][k].as_f64().unwrap_or(f64::NAN) * 1000.0;
    let statuses = v["statusCodeDistribution"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, n)| format!("{k}×{n}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    Load {
        rps: v["summary"]["requestsPerSec"].as_f64().unwrap_or(f64::NAN),
        p50_ms: ms("p50"),
        p99_ms: ms("p99"),
        statuses,
    }
}

fn row(backend: &str, n: usize, scenario: &str, measured: &Load, baseline: &Load) {
    println!(
        "| {backend} | {n} | {scenario} | {:.0} | {:.1} | {:.1} | {} | {:.0} | {:.1} | {:.1} |",
        measured.rps,
        measured.p50_ms,
        measured.p99_ms,
        measured.statuses,
        baseline.rps,
        baseline.p50_ms,
        baseline.p99_ms
    );
}

/// Mean and 99th-percentile bound of the console's render histogram, per template, from
/// the service's own /metrics: the template alone, without the queries before it.
async fn render_times(base: &str, backend: &str, n: usize) -> Vec<String> {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |line: &str| line.rsplit(' ').next().unwrap().parse::<f64>().unwrap();
    let mut rows = Vec::new();
    for template in ["board.html", "incidents.html", "incident.html"] {
        let label = format!("template=\"{template}\"");
        let series = |name: &str| {
            text.lines()
                .filter(|l| l.starts_with(name) && l.contains(&label))
                .collect::<Vec<_>>()
        };
        let count = value(series("yuqing_console_render_seconds_count")[0]);
        let sum = value(series("yuqing_console_render_seconds_sum")[0]);
        let p99 = series("yuqing_console_render_seconds_bucket")
            .into_iter()
            .find(|l| value(l) >= 0.99 * count)
            .and_then(|l| {
                l.split("le=\"")
                    .nth(1)?
                    .split('"')
                    .next()
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        rows.push(format!(
            "| {backend} | {n} | {template} | {count:.0} | {:.2} | ≤ {} |",
            sum / count * 1000.0,
            p99.parse::<f64>()
                .map_or(p99.clone(), |s| format!("{:.2}", s * 1000.0))
        ));
    }
    rows
}

async fn run(backend: &str, n: usize, seconds: u64) -> Vec<String> {
    let workdir = tempfile::tempdir().unwrap();
    let pg = backend == "postgres";
    let (url, drop_pg) = if pg {
        let name = format!("yq_bench_{}", uuid::Uuid::new_v4().simple());
        let admin = pg_admin();
        let mut c = diesel::PgConnection::establish(&admin).unwrap();
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut c)
            .unwrap();
        let base = admin.rsplit_once('/').unwrap().0;
        (format!("{base}/{name}"), Some((admin, name)))
    } else {
        (
            format!("sqlite://{}", workdir.path().join("bench.db").display()),
            None,
        )
    };
    let mut settings = Settings::load(None).unwrap();
    settings.database.url = DbTarget::parse(&url).unwrap();
    settings.server.bind = "127.0.0.1:0".parse().unwrap();
    settings.mail.file_dir = workdir.path().join("mail");
    settings.log.filter = "error".into();
    yuqing_tracker::telemetry::init(&settings.log);
    let store = Store::open(&settings.database).await.unwrap();
    let now = Utc::now().trunc_subsecs(6);
    let started = Instant::now();
    {
        let mut conn = Connector::new(
            settings.database.url.clone(),
            std::time::Duration::from_secs(5),
        )
        .connect()
        .unwrap();
        seed(&mut conn, pg, n, now);
        if pg {
            conn.batch_execute("ANALYZE").unwrap();
        }
    }
    let seed_s = started.elapsed().as_secs_f64();
    let token = store
        .run(|conn| {
            write_tx(conn, |c| {
                tokens::create(
                    c,
                    &tokens::NewToken {
                        name: "bench",
                        role: Role::Admin,
                        unit_code: None,
                        expires_at: None,
                    },
                    Utc::now(),
                )
            })
        })
        .await
        .unwrap()
        .1;
    let app = Application::build(&settings, Arc::new(SystemClock))
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    // Record the seeded clocks' phases first, as the sweep would, so the counter is still.
    let engine = app.engine().expect("engine");
    let service = app.service();
    while engine.record_phases().await.unwrap() > 0 {}
    let handle = app.handle();
    let server = tokio::spawn(app.run_until_stopped());

    let auth = format!("Authorization: Bearer {token}");
    let list = format!("{base}/api/v1/incidents?limit=50");
    let board = format!("{base}/api/v1/board");
    let health = format!("{base}/healthz");
    let client = reqwest::Client::new();
    let first = client.get(&list).bearer_auth(&token).send().await.unwrap();
    let tag = first.headers()["etag"].to_str().unwrap().to_owned();
    let page: Value = first.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 50);
    let secs = format!("{seconds}s");
    let inm = format!("If-None-Match: {tag}");
    let blocking = |args: Vec<String>| {
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            load(&oha(&args))
        })
    };
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    eprintln!("{backend} {n}: seeded in {seed_s:.1} s; measuring");

    // Throughput: the 304 revalidation path against the trivial endpoint.
    let base_max = blocking(v(&["-z", &secs, "-c", "32", &health]))
        .await
        .unwrap();
    let revalidate = blocking(v(&[
        "-z", &secs, "-c", "32", "-H", &auth, "-H", &inm, &list,
    ]))
    .await
    .unwrap();
    row(
        backend,
        n,
        "GET /incidents, 304 (max rate)",
        &revalidate,
        &base_max,
    );

    // One client, one request after another: the cost of a request alone.
    let single = blocking(v(&["-n", "300", "-c", "1", "-H", &auth, &list]))
        .await
        .unwrap();
    let base_single = blocking(v(&["-n", "300", "-c", "1", &health]))
        .await
        .unwrap();
    row(
        backend,
        n,
        "GET /incidents first 50, one client",
        &single,
        &base_single,
    );

    // Latency at a fixed 500 requests/s (corrected for coordinated omission).
    let fixed = |url: &str, headers: bool| {
        let mut a = v(&["-z", &secs, "-q", "500", "-c", "32", "--latency-correction"]);
        if headers {
            a.extend(v(&["-H", &auth]));
        }
        a.push(url.to_owned());
        a
    };
    let base_500 = blocking(fixed(&health, false)).await.unwrap();
    let listed = blocking(fixed(&list, true)).await.unwrap();
    row(
        backend,
        n,
        "GET /incidents first 50, 200 (500/s)",
        &listed,
        &base_500,
    );
    let deadline = format!("{list}&sort=deadline");
    let by_deadline = blocking(fixed(&deadline, true)).await.unwrap();
    row(
        backend,
        n,
        "GET /incidents?sort=deadline first 50 (500/s)",
        &by_deadline,
        &base_500,
    );
    let boarded = blocking(fixed(&board, true)).await.unwrap();
    row(backend, n, "GET /board, 200 (500/s)", &boarded, &base_500);

    // Creating incidents: throughput.
    let body = json!({
        "title": "基准测试新舆情",
        "summary": "网传某地税务部门执法不规范。",
        "source_channel": "weibo",
        "discovered_at": ts(now - chrono::Duration::minutes(5)).replace(' ', "T") + "Z",
        "severity": "major",
        "category": "misunderstanding",
        "responsible_units": [{ "code": "440101" }],
    })
    .to_string();
    let created = blocking(v(&[
        "-z",
        &secs,
        "-c",
        "16",
        "-m",
        "POST",
        "-H",
        &auth,
        "-H",
        "Content-Type: application/json",
        "-d",
        &body,
        &format!("{base}/api/v1/incidents"),
    ]))
    .await
    .unwrap();
    let base_16 = blocking(v(&["-z", &secs, "-c", "16", &health]))
        .await
        .unwrap();
    row(
        backend,
        n,
        "POST /incidents (16 concurrent)",
        &created,
        &base_16,
    );

    // The console: one signed-in browser, one page after another (the cost of a page
    // alone), beside the API call that reads the same incidents as JSON.
    let cookie = sign_in(&service, &base).await;
    let cookie = format!("Cookie: yq_session={cookie}");
    let one =
        |url: String, header: &str| blocking(v(&["-n", "300", "-c", "1", "-H", header, &url]));
    let pairs = [
        (
            "console GET / (board: 200 open, by deadline)",
            format!("{base}/"),
            "API GET /incidents?open=true&sort=deadline&limit=200",
            format!("{base}/api/v1/incidents?open=true&sort=deadline&limit=200"),
        ),
        (
            "console GET /incidents (50 newest)",
            format!("{base}/incidents"),
            "API GET /incidents?limit=50",
            format!("{base}/api/v1/incidents?limit=50"),
        ),
        (
            "console GET /incidents/{ref} (incident page)",
            format!("{base}/incidents/YQ-B-{n}"),
            "API GET /incidents/{ref} (the incident alone)",
            format!("{base}/api/v1/incidents/YQ-B-{n}"),
        ),
    ];
    for (page_name, page_url, api_name, api_url) in pairs {
        let page = one(page_url, &cookie).await.unwrap();
        let api = one(api_url, &auth).await.unwrap();
        row(backend, n, page_name, &page, &base_single);
        row(backend, n, api_name, &api, &base_single);
    }
    let renders = render_times(&base, backend, n).await;

    handle.stop(true).await;
    let _ = server.await;
    if let Some((admin, name)) = drop_pg {
        let mut c = diesel::PgConnection::establish(&admin).unwrap();
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut c);
    }
    renders
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let which = args.first().map(String::as_str).unwrap_or("both");
    let sizes: Vec<usize> = args
        .get(1)
        .map(|s| s.split(',').map(|n| n.parse().unwrap()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000]);
    let seconds: u64 = args.get(2).map(|s| s.parse().unwrap()).unwrap_or(10);
    let backends: &[&str] = match which {
        "sqlite" => &["sqlite"],
        "postgres" => &["postgres"],
        _ => &["sqlite", "postgres"],
    };
    println!(
        "| backend | incidents | scenario | req/s | p50 ms | p99 ms | statuses | baseline req/s | baseline p50 ms | baseline p99 ms |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut renders = Vec::new();
    for backend in backends {
        for &n in &sizes {
            renders.extend(run(backend, n, seconds).await);
        }
    }
    println!();
    println!(
        "| backend | incidents | console template (render alone) | renders | mean ms | p99 ms (bucket bound) |"
    );
    println!("|---|---|---|---|---|---|");
    for line in renders {
        println!("{line}");
    }
}
