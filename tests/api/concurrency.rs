//! Many requests at once: one update wins, creates never collide or lock.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::helpers::{Backend, incident_body, spawn_app};

async fn concurrent_updates_one_wins(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let incident = app
        .create_incident(&app.admin, &incident_body("440106"))
        .await;
    let url = format!(
        "{}/api/v1/incidents/{}",
        app.base,
        incident["id"].as_str().unwrap()
    );
    let mut set = JoinSet::new();
    for i in 0..8 {
        let req = app
            .client
            .request(Method::PATCH, &url)
            .bearer_auth(&app.admin)
            .header("If-Match", "\"v1\"")
            .json(&json!({ "title": format!("标题 {i}") }));
        set.spawn(async move { req.send().await.unwrap().status().as_u16() });
    }
    let statuses: Vec<u16> = set.join_all().await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 412).count(),
        7,
        "{statuses:?}"
    );
    let current: Value = app
        .get(
            &format!("/api/v1/incidents/{}", incident["id"].as_str().unwrap()),
            &app.admin,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(current["version"], 2);
}

async fn concurrent_creates_get_unique_references(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let mut set = JoinSet::new();
    for _ in 0..40 {
        let req = app
            .client
            .post(format!("{}/api/v1/incidents", app.base))
            .bearer_auth(&app.admin)
            .json(&incident_body("440106"));
        set.spawn(async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            (status, body)
        });
    }
    let results = set.join_all().await;
    for (status, body) in &results {
        assert_eq!(*status, 201, "no 'database is locked': {body}");
    }
    let refs: HashSet<String> = results
        .iter()
        .map(|(_, b)| b["reference"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(refs.len(), 40);
    let mut seqs: Vec<u32> = refs
        .iter()
        .map(|r| r.rsplit('-').next().unwrap().parse().unwrap())
        .collect();
    seqs.sort();
    assert_eq!(seqs, (1..=40).collect::<Vec<_>>(), "no gaps, no repeats");
}

async fn concurrent_retries_with_one_key_create_one(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let body = incident_body("440106");
    let mut set = JoinSet::new();
    for _ in 0..10 {
        let req = app
            .client
            .post(format!("{}/api/v1/incidents", app.base))
            .bearer_auth(&app.admin)
            .header("Idempotency-Key", "double-click")
            .json(&body);
        set.spawn(async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 201);
            res.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        });
    }
    let ids: HashSet<String> = set.join_all().await.into_iter().collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let list: Value = app
        .get("/api/v1/incidents", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

crate::on_both_backends!(
    concurrent_updates_one_wins,
    concurrent_creates_get_unique_references,
    concurrent_retries_with_one_key_create_one,
);
