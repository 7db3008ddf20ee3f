//! What dashboards use: listing filters and sorts, 304 polling, the board, the live
//! event stream and the timeliness report.

use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use yuqing_tracker::domain::access::Role;

use crate::helpers::{
    Backend, TestApp, error_code, field, incident_body, spawn_app, spawn_app_with,
};

mod listing;
mod live;
mod operations;
mod polling;
mod report;
mod streams;
mod tickets;

pub fn ago(d: Duration) -> String {
    (Utc::now() - d).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// An incident at `unit` with `severity`, discovered `discovered` ago.
pub fn incident(unit: &str, severity: &str, discovered: Duration, title: &str) -> Value {
    let mut body = incident_body(unit);
    body["severity"] = json!(severity);
    body["title"] = json!(title);
    body["discovered_at"] = json!(ago(discovered));
    body
}

pub async fn create(app: &TestApp, body: Value) -> String {
    app.create_incident(&app.admin, &body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Records the authoritative statement `after` the incident's discovery.
pub async fn statement_after(app: &TestApp, id: &str, after: Duration) {
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

pub async fn statement(app: &TestApp, id: &str, at: chrono::DateTime<Utc>) {
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
pub async fn page(app: &TestApp, query: &str) -> (Vec<String>, Option<String>) {
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

pub async fn all_pages(app: &TestApp, query: &str) -> Vec<String> {
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

pub fn urlencoding(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

/// GET with If-None-Match; returns the status and the ETag.
pub async fn poll(app: &TestApp, path: &str, token: &str, tag: Option<&str>) -> (u16, String) {
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

/// Reads server-sent events until `want` of them arrived (or the deadline passed).
pub async fn read_events(res: reqwest::Response, want: usize) -> Vec<(i64, String, Value)> {
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

pub async fn open_stream(app: &TestApp, token: &str, last: Option<i64>) -> reqwest::Response {
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
