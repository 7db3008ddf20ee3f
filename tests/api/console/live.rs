//! Live screens in a real browser: the board follows the event stream with the session
//! cookie (a change shows long before the 10 s poll would bring it), falls back to the
//! poll when the stream is refused, and a dashboard page of an office's own opens the
//! API's stream with a ticket through the browser's `EventSource`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use yuqing_tracker::domain::access::Role;

use super::PASSWORD;
use super::browser::{Browser, Engine};
use crate::helpers::{Backend, TestApp, major_incident, spawn_app, spawn_app_with};
use crate::in_browsers;

async fn signed_in_board(app: &TestApp, engine: Engine) -> Browser {
    app.seed_units().await;
    app.account("duty", "值班员甲", Role::DutyOfficer, None)
        .await;
    let browser = Browser::start(engine, 1366, 768).await;
    browser.goto(&format!("{}/login", app.base)).await;
    browser.fill("#login", "duty").await;
    browser.fill("#password", PASSWORD).await;
    browser.click_and_wait("button[type=submit]").await;
    assert_eq!(browser.path().await, "/");
    browser
}

/// Waits until the board says how it is kept fresh (`stream` or `poll`).
async fn wait_for_mode(browser: &Browser, mode: &str) {
    let css = format!("#board-live[data-mode='{mode}']");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !browser.exists(&css).await {
        assert!(
            Instant::now() < deadline,
            "the board never said {mode}: {}",
            browser.text("body").await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn log(app: &TestApp, title: &str) {
    let mut body = major_incident(chrono::Duration::minutes(30));
    body["title"] = json!(title);
    app.create_incident(&app.admin, &body).await;
}

/// How long until the board's rows show `title`, within `limit`.
async fn shows_within(browser: &Browser, title: &str, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        if browser.text("#board-rows").await.contains(title) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "{title} not on the board after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn the_board_shows_a_change_from_the_stream(backend: Backend, engine: Engine) {
    let app = spawn_app(backend).await;
    let browser = signed_in_board(&app, engine).await;
    wait_for_mode(&browser, "stream").await;
    assert_eq!(browser.text("#board-live").await, "实时更新");
    // The page polls every 10 s only while the stream is down; the stream is up, so a
    // row that shows within a few seconds came through it.
    log(&app, "实时推送到看板的舆情").await;
    let took = shows_within(&browser, "实时推送到看板的舆情", Duration::from_secs(5)).await;
    eprintln!("board showed the new incident after {took:?}");
    // The wall screen too.
    browser.goto(&format!("{}/?wall=1", app.base)).await;
    wait_for_mode(&browser, "stream").await;
    log(&app, "大屏上实时出现的舆情").await;
    shows_within(&browser, "大屏上实时出现的舆情", Duration::from_secs(5)).await;
    browser.close().await;
}

async fn the_board_polls_when_the_stream_is_refused(backend: Backend, engine: Engine) {
    // No stream may open on this replica: every one is answered 503.
    let app = spawn_app_with(backend, |s| s.server.max_event_streams = 0).await;
    let browser = signed_in_board(&app, engine).await;
    wait_for_mode(&browser, "poll").await;
    assert_eq!(browser.text("#board-live").await, "每 10 秒刷新");
    log(&app, "轮询带来的舆情").await;
    // The next poll is at most 10 s away.
    shows_within(&browser, "轮询带来的舆情", Duration::from_secs(20)).await;
    browser.close().await;
}

/// A 大屏 page an office builds on the API: it mints a ticket with its token and opens
/// the stream with the browser's own EventSource.
async fn a_dashboard_page_opens_the_api_stream_with_a_ticket(backend: Backend, engine: Engine) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let viewer = app.token(Role::Viewer, None).await;
    let browser = Browser::start(engine, 1366, 768).await;
    // Any page of the service's origin will do as the dashboard's host.
    browser.goto(&format!("{}/login", app.base)).await;
    let script = r#"
        const [token, done] = arguments;
        window.seen = [];
        fetch("/api/v1/events/tickets", { method: "POST", headers: { Authorization: "Bearer " + token } })
          .then(r => r.json())
          .then(t => {
            const source = new EventSource("/api/v1/events?ticket=" + encodeURIComponent(t.ticket));
            source.addEventListener("created", e => window.seen.push(JSON.parse(e.data)));
            source.onopen = () => done("open");
            source.onerror = () => done("error " + source.readyState);
          });
    "#;
    let opened = browser
        .client
        .execute_async(script, vec![json!(viewer)])
        .await
        .unwrap();
    assert_eq!(opened, json!("open"));
    log(&app, "大屏经票据订阅到的舆情").await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let seen = loop {
        let seen: Value = browser
            .client
            .execute("return window.seen;", vec![])
            .await
            .unwrap();
        if seen.as_array().is_some_and(|s| !s.is_empty()) {
            break seen;
        }
        assert!(
            Instant::now() < deadline,
            "no event reached the EventSource"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(seen[0]["kind"], "created", "{seen}");
    browser.close().await;
}

in_browsers!(
    the_board_shows_a_change_from_the_stream,
    the_board_polls_when_the_stream_is_refused,
    a_dashboard_page_opens_the_api_stream_with_a_ticket,
);
