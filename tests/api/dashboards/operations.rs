//! Operations endpoints: metrics, cross-origin access, the OpenAPI document.

use super::*;

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
        // The press conference and the first report (an hour from logging).
        "yuqing_open_clocks{state=\"running\"} 2",
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
            // Operations under /api/v1 need the token; health and metrics do not; the
            // event stream takes the token or, from a browser, a ticket minted with it.
            let open = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.as_object().unwrap().is_empty()));
            let ticketed = path == "/api/v1/events";
            assert_eq!(
                open,
                !path.starts_with("/api/v1") || ticketed,
                "{method} {path}"
            );
        }
    }
    // Enums are documented as the text on the wire.
    assert_eq!(
        doc["components"]["schemas"]["Severity"]["enum"],
        json!(["extremely_major", "major", "significant", "general"])
    );
    assert_eq!(
        doc["components"]["schemas"]["Role"]["enum"],
        json!(["admin", "duty_officer", "leader", "viewer"])
    );
    // Every route but the acknowledgement pages (HTML for mail links) and this document.
    assert_eq!(operations, 39);
    for schema in [
        "Incident",
        "ClockView",
        "Board",
        "TimelinessReport",
        "StreamEvent",
        "ErrorBody",
        "Briefing",
        "BriefingInput",
        "Robot",
        "TestOutcome",
        "NotifyRule",
        "QuietHours",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
}

crate::on_both_backends!(metrics_and_cross_origin_access,);
