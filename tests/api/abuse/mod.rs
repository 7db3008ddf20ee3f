//! What a reachable port invites: each reproduction from the hardening issue, as a test.

use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use yuqing_tracker::domain::access::Role;

use crate::helpers::{Backend, TestApp, error_code, field, incident_body, spawn_app};

mod edge_input;
mod html_pages;
mod metrics_labels;
mod scope;
mod spreadsheet;
mod tokens;

/// An incident at `unit` discovered an hour ago, logged with `token`; returns its id.
async fn logged(app: &TestApp, token: &str, body: &Value) -> String {
    let res = app.post("/api/v1/incidents", token, body).await;
    assert_eq!(res.status(), 201, "log incident");
    let created: Value = res.json().await.unwrap();
    created["id"].as_str().unwrap().to_owned()
}
