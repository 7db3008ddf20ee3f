//! What dashboards use: listing filters and sorts, 304 polling, the board, the live
//! event stream and the timeliness report.

use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use yuqing_tracker::domain::access::Role;

use crate::helpers::{Backend, TestApp, error_code, incident_body, spawn_app, spawn_app_with};
use crate::on_both_backends;

on_both_backends!(
    listing_filters_sorts_and_pages,
    polling_gets_304_until_something_changes,
    clock_phases_reach_the_board_and_the_event_stream,
    timeliness_report_matches_a_hand_count,
    metrics_and_cross_origin_access,
);

fn ago(d: Duration) -> String {
    (Utc::now() - d).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// An incident at `unit` with `severity`, discovered `discovered` ago.
fn incident(unit: &str, severity: &str, discovered: Duration, title: &str) -> Value {
    let mut body = incident_body(unit);
    body["severity"] = json!(severity);
    body["title"] = json!(title);
    body["discovered_at"] = json!(ago(discovered));
    body
}

async fn create(app: &TestApp, body: Value) -> String {
    app.create_incident(&app.admin, &body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Records the authoritative statement `after` the incident's discovery.
async fn statement_after(app: &TestApp, id: &str, after: Duration) {
    let incident: Value = app
        .get(&format!("/api/v1/incidents/{id}"), &app.admin)
        .await
        .json()
        .await
        .unwrap();
    let discovered: chrono::DateTime<Utc> =
        incident["discovered_at"].as_str().unwrap().parse().unwrap();
    statement(app, id, discovered + after).await;
}

async fn statement(app: &TestApp, id: &str, at: chrono::DateTime<Utc>) {
    let body = json!({ "kind": "authoritative_statement", "occurred_at": at.to_rfc3339(),
                       "channel": "官网", "url": "https://example.org/statement" });
    let res = app
        .post(
            &format!("/api/v1/incidents/{id}/milestones"),
            &app.admin,
            &body,
        )
        .await;
    assert_eq!(res.status(), 201);
}

/// The ids of one listing page (asserting 200) and its next cursor.
async fn page(app: &TestApp, query: &str) -> (Vec<String>, Option<String>) {
    let res = app
        .get(&format!("/api/v1/incidents?{query}"), &app.admin)
        .await;
    assert_eq!(res.status(), 200, "{query}");
    let body: Value = res.json().await.unwrap();
    let ids = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    (ids, body["next_cursor"].as_str().map(str::to_owned))
}

async fn all_pages(app: &TestApp, query: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("{query}&cursor={c}"),
            None => query.to_owned(),
        };
        let (ids, next) = page(app, &q).await;
        out.extend(ids);
        match next {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

async fn listing_filters_sorts_and_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    // a: statement at risk (due in 1 h); b: statement breached; c: no clocks;
    // d: statement met, press conference running.
    let a = create(
        &app,
        incident("440106", "major", Duration::hours(4), "A 退税舆情"),
    )
    .await;
    let b = create(
        &app,
        incident("440111", "major", Duration::hours(6), "B 社保费舆情"),
    )
    .await;
    let c = create(
        &app,
        incident("440106", "general", Duration::hours(1), "C 增值税发票"),
    )
    .await;
    let d = create(
        &app,
        incident("440106", "major", Duration::hours(1), "D 个税舆情"),
    )
    .await;
    statement(&app, &d, Utc::now()).await;

    let ids = |v: &[&String]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    for (query, expected) in [
        ("severity=general", ids(&[&c])),
        ("unit=440111", ids(&[&b])),
        ("clock_state=breached", ids(&[&b])),
        (
            "clock_kind=authoritative_statement&clock_state=at_risk",
            ids(&[&a]),
        ),
        ("clock_state=met", ids(&[&d])),
        (
            "clock_kind=press_conference&clock_state=running",
            ids(&[&a, &b, &d]),
        ),
        ("clock_kind=press_conference&clock_state=breached", vec![]),
        ("q=%E5%8F%91%E7%A5%A8", ids(&[&c])), // 发票
        ("q=%25", vec![]),                    // a literal %, not a wildcard
        ("q=YQ-", ids(&[&a, &b, &c, &d])),
    ] {
        let (found, _) = page(&app, query).await;
        assert_eq!(sorted(found), sorted(expected), "{query}");
    }
    let since = urlencoding(&ago(Duration::minutes(150)));
    let (found, _) = page(&app, &format!("discovered_from={since}")).await;
    assert_eq!(sorted(found), sorted(ids(&[&c, &d])));
    let (found, _) = page(&app, &format!("discovered_to={since}")).await;
    assert_eq!(sorted(found), sorted(ids(&[&a, &b])));
    let (found, _) = page(
        &app,
        &format!("updated_since={}", urlencoding(&ago(Duration::zero()))),
    )
    .await;
    assert!(found.is_empty(), "nothing changed after now");

    // Nearest running deadline first, then the incidents without one, newest first;
    // one page at a time gives the same order with nothing twice.
    let order = ids(&[&b, &a, &d, &c]);
    assert_eq!(page(&app, "sort=deadline").await.0, order);
    assert_eq!(all_pages(&app, "sort=deadline&limit=1").await, order);
    assert_eq!(all_pages(&app, "sort=deadline&limit=3").await, order);

    // Newest first stays stable while new incidents arrive.
    let (first, cursor) = page(&app, "limit=2").await;
    assert_eq!(first, ids(&[&d, &c]));
    let e = create(
        &app,
        incident("440106", "general", Duration::hours(1), "E 新舆情"),
    )
    .await;
    let (second, cursor) = page(&app, &format!("limit=2&cursor={}", cursor.unwrap())).await;
    assert_eq!(second, ids(&[&b, &a]));
    assert!(cursor.is_none());
    assert_eq!(page(&app, "limit=1").await.0, ids(&[&e]));

    // Each item carries both clocks.
    let res: Value = app
        .get("/api/v1/incidents?q=A%20", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    let clocks = res["items"][0]["clocks"].as_array().unwrap();
    assert_eq!(clocks.len(), 2);
    assert!(
        clocks
            .iter()
            .any(|c| c["state"] == "at_risk" && c["remaining_seconds"].as_i64().unwrap() > 0)
    );

    // Bad input names the parameter.
    let (_, deadline_cursor) = page(&app, "sort=deadline&limit=1").await;
    for (query, field) in [
        ("sort=oldest".to_owned(), "sort"),
        ("clock_state=late".to_owned(), "clock_state"),
        ("clock_kind=hearing".to_owned(), "clock_kind"),
        (format!("cursor={}", deadline_cursor.unwrap()), "cursor"),
        ("cursor=nonsense".to_owned(), "cursor"),
        (format!("q={}", "税".repeat(101)), "q"),
        (
            format!("discovered_from={since}&discovered_to={since}"),
            "discovered_to",
        ),
        ("discovered_from=yesterday".to_owned(), "discovered_from"),
        ("unit=9999".to_owned(), "unit"),
    ] {
        let res = app
            .get(&format!("/api/v1/incidents?{query}"), &app.admin)
            .await;
        let (_, details) = error_code(res, 422).await;
        assert_eq!(details["field"], field, "{query}");
    }
}

fn urlencoding(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

/// GET with If-None-Match; returns the status and the ETag.
async fn poll(app: &TestApp, path: &str, token: &str, tag: Option<&str>) -> (u16, String) {
    let mut req = app.request(Method::GET, path, token);
    if let Some(tag) = tag {
        req = req.header("If-None-Match", tag);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    if status == 200 {
        let cache = res.headers()["cache-control"].to_str().unwrap();
        assert!(cache.contains("no-cache"), "{path}: {cache}");
    }
    let tag = res.headers()["etag"].to_str().unwrap().to_owned();
    (status, tag)
}

async fn polling_gets_304_until_something_changes(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let id = create(
        &app,
        incident("440106", "major", Duration::hours(1), "轮询"),
    )
    .await;
    let one = format!("/api/v1/incidents/{id}");
    let paths = [
        "/api/v1/incidents".to_owned(),
        "/api/v1/incidents?severity=major&sort=deadline".to_owned(),
        "/api/v1/board".to_owned(),
        "/api/v1/reports/timeliness".to_owned(),
        one.clone(),
    ];
    let mut tags = Vec::new();
    for path in &paths {
        let (status, tag) = poll(&app, path, &app.admin, None).await;
        assert_eq!(status, 200, "{path}");
        for _ in 0..3 {
            assert_eq!(
                poll(&app, path, &app.admin, Some(&tag)).await,
                (304, tag.clone()),
                "{path}"
            );
        }
        tags.push(tag);
    }
    // Another view, another scope: another tag.
    assert_ne!(tags[0], tags[1]);
    let scoped = app.token(Role::Viewer, Some("440106")).await;
    assert_eq!(poll(&app, &paths[0], &scoped, Some(&tags[0])).await.0, 200);

    // Something changes: every view answers in full again, then 304 again.
    let other_id = create(
        &app,
        incident("440111", "general", Duration::hours(1), "新的"),
    )
    .await;
    for (path, old) in paths.iter().zip(&tags) {
        let (status, tag) = poll(&app, path, &app.admin, Some(old)).await;
        assert_eq!(status, 200, "{path} after a change");
        assert_ne!(&tag, old);
        assert_eq!(
            poll(&app, path, &app.admin, Some(&tag)).await.0,
            304,
            "{path}"
        );
    }

    // The single incident's read tag still serves If-Match.
    let (_, tag) = poll(&app, &one, &app.admin, None).await;
    let res = app
        .request(Method::PATCH, &one, &app.admin)
        .header("If-Match", &tag)
        .json(&json!({ "title": "改过的标题" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (status, _) = poll(&app, &one, &app.admin, Some(&tag)).await;
    assert_eq!(status, 200);

    // One incident's tag is not another's.
    let (_, fresh) = poll(&app, &one, &app.admin, None).await;
    let other_path = format!("/api/v1/incidents/{other_id}");
    assert_eq!(
        poll(&app, &other_path, &app.admin, Some(&fresh)).await.0,
        200
    );

    // A token outside the incident's scope gets no 304 for it.
    let other = app.token(Role::Viewer, Some("440111")).await;
    let (_, fresh) = poll(&app, &one, &app.admin, None).await;
    let res = app
        .request(Method::GET, &one, &other)
        .header("If-None-Match", &fresh)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

/// Reads server-sent events until `want` of them arrived (or the deadline passed).
async fn read_events(res: reqwest::Response, want: usize) -> Vec<(i64, String, Value)> {
    let mut stream = res.bytes_stream();
    let mut text = String::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + StdDuration::from_secs(20);
    while events.len() < want {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .unwrap_or_else(|_| panic!("only {} of {want} events: {events:?}", events.len()))
            .expect("stream open")
            .expect("chunk");
        text.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = text.find("\n\n") {
            let frame: String = text.drain(..end + 2).collect();
            let field = |name: &str| {
                frame
                    .lines()
                    .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                    .map(str::to_owned)
            };
            if let (Some(id), Some(kind), Some(data)) = (field("id"), field("event"), field("data"))
            {
                events.push((
                    id.parse().unwrap(),
                    kind,
                    serde_json::from_str(&data).unwrap(),
                ));
            }
        }
    }
    events
}

async fn open_stream(app: &TestApp, token: &str, last: Option<i64>) -> reqwest::Response {
    let mut req = app.request(Method::GET, "/api/v1/events", token);
    if let Some(last) = last {
        req = req.header("Last-Event-ID", last.to_string());
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    res
}

async fn clock_phases_reach_the_board_and_the_event_stream(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let live = open_stream(&app, &app.admin, None).await;
    let scoped = app.token(Role::Viewer, Some("440111")).await;
    let scoped_live = open_stream(&app, &scoped, None).await;

    // Discovered 6 hours ago: the statement deadline has passed.
    let id = create(
        &app,
        incident("440106", "major", Duration::hours(6), "超时的"),
    )
    .await;
    let engine = app.engine.as_ref().expect("engine").clone();
    // The scheduler's sweep may get there first; either way it is recorded once.
    engine.record_phases().await.unwrap();
    assert_eq!(engine.record_phases().await.unwrap(), 0, "recorded once");
    let other = create(
        &app,
        incident("440111", "general", Duration::hours(1), "白云区的"),
    )
    .await;

    let events = read_events(live, 4).await;
    let kinds: Vec<&str> = events.iter().map(|(_, k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        ["created", "clocks_started", "clock_breached", "created"]
    );
    assert!(events.windows(2).all(|w| w[0].0 < w[1].0), "ids grow");
    assert_eq!(events[2].2["incident_id"], id.as_str());
    assert_eq!(events[2].2["changes"]["kind"], "authoritative_statement");
    assert_eq!(events[2].2["changes"]["phase"]["after"], "breached");
    assert_eq!(events[2].2["actor"], "系统");

    // The scoped stream only carries its unit's incidents.
    let mine = read_events(scoped_live, 1).await;
    assert_eq!(mine[0].2["incident_id"], other.as_str());

    // Reconnecting after the first event resumes right after it.
    let resumed = read_events(open_stream(&app, &app.admin, Some(events[0].0)).await, 3).await;
    assert_eq!(
        resumed.iter().map(|e| e.0).collect::<Vec<_>>(),
        events[1..].iter().map(|e| e.0).collect::<Vec<_>>()
    );
    let res = app
        .request(Method::GET, "/api/v1/events", &app.admin)
        .header("Last-Event-ID", "yesterday")
        .send()
        .await
        .unwrap();
    error_code(res, 400).await;

    // The board shows it as breached, and the scoped board does not see it.
    let board: Value = app
        .get("/api/v1/board", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(board["clocks"]["breached"]["major"], 1);
    assert_eq!(
        board["clocks"]["running"]["major"], 1,
        "the press conference clock"
    );
    assert_eq!(board["open_incidents"]["major"], 1);
    assert_eq!(board["open_incidents"]["general"], 1);
    assert_eq!(board["breached"][0]["incident_id"], id.as_str());
    assert_eq!(board["breached"][0]["units"][0], "天河区税务局");
    assert!(board["breached"][0]["remaining_seconds"].as_i64().unwrap() < -3500);
    assert_eq!(board["next_deadlines"][0]["clock"], "press_conference");
    assert_eq!(board["mails_failed"]["count"], 0);
    let board: Value = app
        .get("/api/v1/board", &scoped)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(board["clocks"]["breached"]["major"], 0);
    assert_eq!(board["open_incidents"]["general"], 1);
    assert!(board["breached"].as_array().unwrap().is_empty());

    // The timeline records the crossing too.
    assert!(
        app.timeline_kinds(&id)
            .await
            .iter()
            .any(|k| k == "clock_breached")
    );
}

async fn timeliness_report_matches_a_hand_count(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let now = Utc::now();
    // 440106: A met (240 min), B met late (420 min); 440111: C breached; D at both,
    // not yet due; E has no clocks; F's clocks were cancelled.
    let a = create(&app, incident("440106", "major", Duration::hours(6), "A")).await;
    statement_after(&app, &a, Duration::minutes(240)).await;
    let b = create(&app, incident("440106", "major", Duration::hours(7), "B")).await;
    statement_after(&app, &b, Duration::minutes(420)).await;
    create(
        &app,
        incident("440111", "extremely_major", Duration::hours(6), "C"),
    )
    .await;
    let mut d = incident("440106", "major", Duration::hours(2), "D");
    d["responsible_units"] = json!([{ "code": "440106" }, { "code": "440111" }]);
    create(&app, d).await;
    create(&app, incident("440106", "general", Duration::hours(2), "E")).await;
    let f = create(&app, incident("440111", "major", Duration::hours(1), "F")).await;
    let res = app
        .patch(
            &format!("/api/v1/incidents/{f}"),
            &app.admin,
            &json!({ "severity": "general", "version": 1 }),
        )
        .await;
    assert_eq!(res.status(), 200);

    let zone = chrono_tz::Asia::Shanghai;
    let today = now.with_timezone(&zone).date_naive();
    let period = format!(
        "from={}&to={}",
        today - chrono::Days::new(1),
        today + chrono::Days::new(2)
    );
    let res = app
        .get(&format!("/api/v1/reports/timeliness?{period}"), &app.admin)
        .await;
    assert_eq!(res.status(), 200);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["time_zone"], "Asia/Shanghai");
    let groups = report["groups"].as_array().unwrap();
    let row = |v: &Value| {
        (
            v["key"].as_str().unwrap().to_owned(),
            v["clocks_due"].as_i64().unwrap(),
            v["met_on_time"].as_i64().unwrap(),
            v["met_late"].as_i64().unwrap(),
            v["breached_open"].as_i64().unwrap(),
            v["not_yet_due"].as_i64().unwrap(),
        )
    };
    assert_eq!(row(&groups[0]), ("440106".into(), 6, 1, 1, 0, 4));
    assert_eq!(groups[0]["label"], "天河区税务局");
    assert_eq!(groups[0]["on_time_rate"], 0.5);
    assert_eq!(groups[0]["statement"]["median_minutes"], 240);
    assert_eq!(groups[0]["statement"]["p90_minutes"], 420);
    assert!(groups[0]["press_conference"]["median_minutes"].is_null());
    assert_eq!(row(&groups[1]), ("440111".into(), 4, 0, 0, 1, 3));
    assert_eq!(groups[1]["on_time_rate"], 0.0);
    assert_eq!(row(&report["total"]), ("total".into(), 8, 1, 1, 1, 5));
    let rate = report["total"]["on_time_rate"].as_f64().unwrap();
    assert!((rate - 1.0 / 3.0).abs() < 1e-9);

    // One unit; by month; a scoped token sees its own units only.
    let one: Value = app
        .get(
            &format!("/api/v1/reports/timeliness?{period}&unit=440111"),
            &app.admin,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["groups"].as_array().unwrap().len(), 1);
    assert_eq!(row(&one["total"]), ("total".into(), 4, 0, 0, 1, 3));
    let months: Value = app
        .get(
            &format!("/api/v1/reports/timeliness?{period}&group_by=month"),
            &app.admin,
        )
        .await
        .json()
        .await
        .unwrap();
    let sum: i64 = months["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["clocks_due"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, 8);
    let scoped = app.token(Role::Viewer, Some("440106")).await;
    let mine: Value = app
        .get(&format!("/api/v1/reports/timeliness?{period}"), &scoped)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(row(&mine["total"]), ("total".into(), 6, 1, 1, 0, 4));

    // CSV: Chinese headers with a byte-order mark by default, English on request.
    let res = app
        .get(
            &format!("/api/v1/reports/timeliness?{period}&format=csv"),
            &app.admin,
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = res.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with(
        "\u{feff}单位代码,单位名称,到期时限数,按时完成,超时完成,已超时未完成,未到期,按时率"
    ));
    assert_eq!(lines[1], "440106,天河区税务局,6,1,1,0,4,50.0%,240,420,,");
    assert_eq!(lines[2], "440111,白云区税务局,4,0,0,1,3,0.0%,,,,");
    assert_eq!(lines[3], "total,合计,8,1,1,1,5,33.3%,240,420,,");
    let res = app
        .request(
            Method::GET,
            &format!("/api/v1/reports/timeliness?{period}&lang=en"),
            &app.admin,
        )
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    let text = res.text().await.unwrap();
    assert!(text.starts_with("unit_code,unit_name,clocks_due,met_on_time,met_late,breached_open,not_yet_due,on_time_rate,"));
    assert!(
        text.contains("\ntotal,total,8,1,1,1,5,0.3333,240,420,,\n"),
        "{text}"
    );

    for (query, field) in [
        (
            format!("from={today}&to={}", today - chrono::Days::new(1)),
            "to",
        ),
        ("group_by=week".to_owned(), "group_by"),
        ("unit=9999".to_owned(), "unit"),
        ("from=2026-13-01".to_owned(), "from"),
        ("from=2020-01-01&to=2026-01-01".to_owned(), "from"),
        ("format=xlsx".to_owned(), "format"),
    ] {
        let res = app
            .get(&format!("/api/v1/reports/timeliness?{query}"), &app.admin)
            .await;
        let (_, details) = error_code(res, 422).await;
        assert_eq!(details["field"], field, "{query}");
    }
}

async fn metrics_and_cross_origin_access(backend: Backend) {
    let screen = "https://screen.example.org";
    let app = spawn_app_with(backend, |s| {
        s.server.cors_origins = vec![screen.to_owned().try_into().unwrap()]
    })
    .await;
    app.seed_units().await;
    let id = create(
        &app,
        incident("440106", "major", Duration::hours(6), "超时的"),
    )
    .await;
    assert_eq!(app.get("/api/v1/incidents", &app.admin).await.status(), 200);
    let one = format!("/api/v1/incidents/{id}");
    assert_eq!(app.get(&one, &app.admin).await.status(), 200);

    let res = app.get("/metrics", "").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();
    for line in [
        "yuqing_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/incidents\",status=\"200\",le=",
        "yuqing_open_clocks{state=\"breached\"} 1",
        "yuqing_open_clocks{state=\"running\"} 1",
        "yuqing_mails{status=\"pending\"}",
        "yuqing_engine_lag_seconds ",
    ] {
        assert!(text.contains(line), "missing {line}");
    }
    assert!(text.contains("route=\"/api/v1/incidents/{id}\""));
    assert!(!text.contains(&id), "routes are patterns, not paths");

    // A dashboard on a configured origin may call the API from a browser.
    let preflight = app
        .client
        .request(Method::OPTIONS, format!("{}/api/v1/board", app.base))
        .header("Origin", screen)
        .header("Access-Control-Request-Method", "GET")
        .header(
            "Access-Control-Request-Headers",
            "authorization, if-none-match",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    assert_eq!(preflight.headers()["access-control-allow-origin"], screen);
    let res = app
        .request(Method::GET, "/api/v1/board", &app.admin)
        .header("Origin", screen)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], screen);
    let exposed = res.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(exposed.contains("etag"), "{exposed}");
    // Another origin is not allowed.
    let other = app
        .client
        .request(Method::OPTIONS, format!("{}/api/v1/board", app.base))
        .header("Origin", "https://elsewhere.example.org")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    assert!(other.status().is_client_error());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_every_operation_with_auth_and_errors() {
    let app = spawn_app(Backend::Sqlite).await;
    let res = app.get("/api/v1/openapi.json", "").await;
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let responses = op["responses"].as_object().unwrap();
            for status in ["400", "401", "403", "404", "422", "500"] {
                let error = &responses[status]["content"]["application/json"]["schema"]["$ref"];
                assert_eq!(
                    error, "#/components/schemas/ErrorBody",
                    "{method} {path} {status}"
                );
            }
            // Operations under /api/v1 need the token; health and metrics do not.
            let open = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.as_object().unwrap().is_empty()));
            assert_eq!(open, !path.starts_with("/api/v1"), "{method} {path}");
        }
    }
    // Every route but the acknowledgement pages (HTML for mail links) and this document.
    assert_eq!(operations, 25);
    for schema in [
        "Incident",
        "ClockView",
        "Board",
        "TimelinessReport",
        "StreamEvent",
        "ErrorBody",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
}
