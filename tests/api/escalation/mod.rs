//! Clocks and escalation mail end to end: the real App, a real SMTP server over TCP.

use std::collections::{HashMap, HashSet};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use yuqing_tracker::config::CronExpr;

use crate::helpers::{
    Backend, TestApp, error_code, field, major_incident, spawn_app_with, use_smtp, wait_rows,
};
use crate::smtp::{Faults, Received, Silent, TestSmtp, free_port};

mod acknowledgement;
mod ahead;
mod briefings;
mod catch_up;
mod delivery;
mod kinds;
mod ladder;
mod quiet_hours;
mod recipients;
mod releases;
mod reports;
mod response;
mod robots;
mod rules;
mod templates;
mod test_messages;
mod wecom;

/// Changes the contact with `email` as an admin would (PATCH); returns it.
pub async fn change_contact(app: &TestApp, email: &str, change: &Value) -> Value {
    let list: Value = app
        .get("/api/v1/contacts", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    let contact = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["email"] == email)
        .unwrap_or_else(|| panic!("no contact {email}"));
    let res = app
        .patch(
            &format!("/api/v1/contacts/{}", contact["id"].as_str().unwrap()),
            &app.admin,
            change,
        )
        .await;
    assert_eq!(res.status(), 200, "{change}");
    res.json().await.unwrap()
}

/// Acknowledges through the link in a message's text, as its confirm page's button does.
pub async fn acknowledge_from(app: &TestApp, text: &str) {
    let start = text.find("/ack/").expect("an acknowledgement link");
    let link = format!(
        "{}{}",
        app.base,
        text[start..].split_whitespace().next().unwrap()
    );
    let (path, query) = link.split_once('?').unwrap();
    let form: HashMap<&str, &str> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    let post = app.client.post(path).form(&form).send().await.unwrap();
    assert_eq!(post.status(), 200);
}

/// Publishes the incident's authoritative statement now (its milestone); the response.
pub async fn publish_statement(app: &TestApp, incident_id: &str) -> reqwest::Response {
    let milestone = json!({
        "kind": "authoritative_statement",
        "occurred_at": Utc::now().to_rfc3339(),
        "channel": "市税务局官方微博",
        "url": "https://weibo.com/gzstax/2",
    });
    app.post(
        &format!("/api/v1/incidents/{incident_id}/milestones"),
        &app.admin,
        &milestone,
    )
    .await
}

/// Waits until the engine has claimed again after `moment`: it works through one claim
/// at a time, so whatever it claimed ahead for that moment has been decided.
pub async fn engine_past(app: &TestApp, moment: DateTime<Utc>) {
    let deadline = std::time::Instant::now() + StdDuration::from_secs(30);
    loop {
        let ready: Value = app
            .client
            .get(format!("{}/readyz", app.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if ready["engine"]["last_sweep_at"]
            .as_str()
            .is_some_and(|t| t.parse::<DateTime<Utc>>().unwrap() > moment)
        {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the engine did not claim again after {moment}"
        );
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
}

pub fn clock<'a>(incident: &'a Value, kind: &str) -> &'a Value {
    incident["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == kind && c["state"] != "cancelled")
        .unwrap_or_else(|| panic!("no live {kind} clock in {incident}"))
}

pub fn at(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

/// step → recipients, from what the SMTP server received, via the Message-IDs the
/// service recorded.
pub fn delivered(rows: &[Value], received: &[Received]) -> HashMap<String, Vec<String>> {
    let by_id: HashMap<&str, &Value> = rows
        .iter()
        .map(|r| (r["message_id"].as_str().unwrap(), r))
        .collect();
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for mail in received {
        let row = by_id
            .get(mail.message_id.as_str())
            .unwrap_or_else(|| panic!("unknown Message-ID {}", mail.message_id));
        out.entry(row["step"].as_str().unwrap().to_owned())
            .or_default()
            .push(mail.to.join(","));
    }
    for recipients in out.values_mut() {
        recipients.sort();
    }
    out
}

/// "step address" of the rows `pick` keeps, sorted.
pub fn steps_to(rows: &[Value], pick: impl Fn(&Value) -> bool) -> Vec<String> {
    let mut out: Vec<String> = rows
        .iter()
        .filter(|r| pick(r))
        .map(|r| {
            format!(
                "{} {}",
                r["step"].as_str().unwrap(),
                r["address"].as_str().unwrap()
            )
        })
        .collect();
    out.sort();
    out
}

/// Statuses of one step of one clock.
pub fn statuses<'a>(rows: &'a [Value], clock: &Value, step: &str) -> Vec<&'a str> {
    rows.iter()
        .filter(|r| r["step"] == step && r["clock_id"] == clock["id"])
        .map(|r| r["status"].as_str().unwrap())
        .collect()
}

/// An app whose major incidents get the statement and press-conference clocks only, no
/// reports up the hierarchy: for tests that count one ladder's mail by hand (the report
/// kinds are tested in `briefings`).
pub async fn smtp_app_without_reports(backend: Backend, smtp_port: u16) -> TestApp {
    smtp_app_without_reports_and(backend, smtp_port, |_| {}).await
}

/// The same, with more settings changed by `configure`.
pub async fn smtp_app_without_reports_and(
    backend: Backend,
    smtp_port: u16,
    configure: impl FnOnce(&mut yuqing_tracker::config::Settings),
) -> TestApp {
    let app = spawn_app_with(backend, |s| {
        use_smtp(s, smtp_port);
        s.clocks
            .kinds
            .retain(|_, p| p.milestone != yuqing_tracker::domain::clock::MilestoneForm::Briefing);
        configure(s);
    })
    .await;
    app.seed_directory().await;
    app
}

pub async fn smtp_app(backend: Backend, smtp_port: u16) -> TestApp {
    let app = spawn_app_with(backend, |s| use_smtp(s, smtp_port)).await;
    app.seed_directory().await;
    app
}
