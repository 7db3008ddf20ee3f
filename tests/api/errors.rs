//! Bad input: always a 4xx with a JSON body naming what is wrong, and nothing stored.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, error_code, incident_body, spawn_app};

async fn bad_incident_input_is_refused_and_nothing_is_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let future = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let cases: Vec<(&str, Value, &str)> = vec![
        ("severity", json!("huge"), "severity"),
        ("category", json!(7), "category"),
        ("discovered_at", json!(future), "discovered_at"),
        ("discovered_at", json!("yesterday"), "discovered_at"),
        ("title", json!("   "), "title"),
        ("title", json!("长".repeat(201)), "title"),
        ("source_url", json!("ftp://example.org/x"), "source_url"),
        ("responsible_units", json!([]), "responsible_units"),
        (
            "responsible_units",
            json!([{ "code": "440106" }, { "code": "0000" }]),
            "responsible_units[1].code",
        ),
        (
            "responsible_units",
            json!([{ "code": "440106", "first_responsible": true }, { "code": "440111", "first_responsible": true }]),
            "responsible_units",
        ),
        (
            "responsible_units",
            json!([{ "code": "440106", "bogus": 1 }]),
            "responsible_units[0].bogus",
        ),
        ("unexpected", json!(1), "unexpected"),
    ];
    for (key, value, field) in cases {
        let mut body = incident_body("440106");
        body[key] = value.clone();
        let res = app.post("/api/v1/incidents", &app.admin, &body).await;
        let (code, details) = error_code(res, 422).await;
        assert_eq!(code, "validation_failed", "{key}={value}");
        assert_eq!(details["field"], field, "{key}={value}");
    }
    let mut missing = incident_body("440106");
    missing.as_object_mut().unwrap().remove("summary");
    let (_, details) = error_code(
        app.post("/api/v1/incidents", &app.admin, &missing).await,
        422,
    )
    .await;
    assert_eq!(details["field"], "summary", "a missing field is named");

    let res = app
        .request(Method::POST, "/api/v1/incidents", &app.admin)
        .header("Content-Type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(res, 400).await.0, "bad_request");

    let res = app
        .request(Method::POST, "/api/v1/incidents", &app.admin)
        .header("Content-Type", "text/plain")
        .body(incident_body("440106").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(res, 415).await.0, "unsupported_media_type");

    let mut huge = incident_body("440106");
    huge["summary"] = json!("x".repeat(100_000));
    let res = app.post("/api/v1/incidents", &app.admin, &huge).await;
    assert_eq!(error_code(res, 413).await.0, "payload_too_large");

    // None of the above left anything behind, not even a reference number.
    let list: Value = app
        .get("/api/v1/incidents", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    let created = app
        .create_incident(&app.admin, &incident_body("440106"))
        .await;
    assert!(created["reference"].as_str().unwrap().ends_with("-000001"));
}

async fn tokens_and_routes_are_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app
        .client
        .get(format!("{}/api/v1/incidents", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert_eq!(error_code(res, 401).await.0, "unauthorized");
    for token in ["yqt_0000", "not-a-token", ""] {
        let res = app.get("/api/v1/units", token).await;
        assert_eq!(error_code(res, 401).await.0, "unauthorized", "{token:?}");
    }
    let res = app.get("/api/v1/nothing-here", &app.admin).await;
    assert_eq!(error_code(res, 404).await.0, "not_found");
    let res = app
        .get(
            "/api/v1/incidents/00000000-0000-0000-0000-000000000000",
            &app.admin,
        )
        .await;
    assert_eq!(error_code(res, 404).await.0, "not_found");
    let res = app
        .request(Method::PATCH, "/api/v1/incidents/x", &app.admin)
        .header("If-Match", "W/\"whatever\"")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(res, 400).await.0, "bad_request");
}

async fn health_and_readiness(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .client
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-request-id"));
    let body: Value = res.json().await.unwrap();
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(body["database"], expected);
}

crate::on_both_backends!(
    bad_incident_input_is_refused_and_nothing_is_stored,
    tokens_and_routes_are_checked,
    health_and_readiness,
);
