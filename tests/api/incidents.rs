//! Logging, reading, updating and closing incidents; the timeline.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, error_code, field, incident_body, spawn_app};

async fn creates_with_sequential_references(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let mut body = incident_body("440106");
    body["responsible_units"] =
        json!([{ "code": "440106" }, { "code": "440111", "first_responsible": true }]);
    body["special_topic"] = json!("two_sessions");
    let first = app.create_incident(&app.admin, &body).await;
    let second = app
        .create_incident(&app.admin, &incident_body("440106"))
        .await;

    let year = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y")
        .to_string();
    assert_eq!(first["reference"], format!("YQ-{year}-000001"));
    assert_eq!(second["reference"], format!("YQ-{year}-000002"));
    assert_eq!(first["status"], "reported");
    assert_eq!(first["version"], 1);
    assert_eq!(first["reported_by"]["name"], "测试用户");
    assert_eq!(first["special_topic"], "two_sessions");
    let units = first["responsible_units"].as_array().unwrap();
    assert_eq!(
        units[0]["code"], "440111",
        "first-responsible unit listed first"
    );
    assert_eq!(units[0]["first_responsible"], true);
    assert_eq!(units[1]["first_responsible"], false);

    // By id and by reference; times come back as RFC 3339 in UTC.
    let by_id: Value = app
        .get(
            &format!("/api/v1/incidents/{}", first["id"].as_str().unwrap()),
            &app.admin,
        )
        .await
        .json()
        .await
        .unwrap();
    let by_ref: Value = app
        .get(
            &format!("/api/v1/incidents/{}", first["reference"].as_str().unwrap()),
            &app.admin,
        )
        .await
        .json()
        .await
        .unwrap();
    // The same incident; `remaining_seconds` counts down between the two reads.
    let settled = |mut v: Value| {
        for clock in v["clocks"].as_array_mut().unwrap() {
            clock.as_object_mut().unwrap().remove("remaining_seconds");
        }
        v
    };
    assert_eq!(settled(by_id.clone()), settled(by_ref));
    assert_eq!(by_id["discovered_at"], body["discovered_at"]);
    assert!(chrono::DateTime::parse_from_rfc3339(by_id["created_at"].as_str().unwrap()).is_ok());

    let res = app
        .get("/api/v1/incidents/YQ-1999-000001", &app.admin)
        .await;
    assert_eq!(error_code(res, 404).await.0, "not_found");
}

async fn lists_with_filters_and_stable_cursor(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    for i in 0..5 {
        let mut body = incident_body(if i % 2 == 0 { "440106" } else { "440111" });
        if i == 4 {
            body["severity"] = json!("general");
        }
        app.create_incident(&app.admin, &body).await;
    }
    let page: Value = app
        .get("/api/v1/incidents?limit=2", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let newest = page["items"][0]["reference"].clone();
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();

    // A new incident arriving between pages does not shift the next page.
    app.create_incident(&app.admin, &incident_body("440106"))
        .await;
    let next: Value = app
        .get(
            &format!("/api/v1/incidents?limit=2&cursor={cursor}"),
            &app.admin,
        )
        .await
        .json()
        .await
        .unwrap();
    let refs: Vec<&str> = next["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reference"].as_str().unwrap())
        .collect();
    assert_eq!(refs.len(), 2);
    assert!(refs.iter().all(|r| *r < newest.as_str().unwrap()));
    assert!(!refs.contains(&page["items"][1]["reference"].as_str().unwrap()));

    let by_unit: Value = app
        .get("/api/v1/incidents?unit=440111", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_unit["items"].as_array().unwrap().len(), 2);
    let by_city: Value = app
        .get("/api/v1/incidents?unit=4401", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        by_city["items"].as_array().unwrap().len(),
        6,
        "sub-units included"
    );
    let general: Value = app
        .get("/api/v1/incidents?severity=general", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(general["items"].as_array().unwrap().len(), 1);
    assert!(field(&general, "next_cursor").is_null());

    let (_, details) = error_code(
        app.get("/api/v1/incidents?severity=huge", &app.admin).await,
        422,
    )
    .await;
    assert_eq!(details["field"], "severity");
    let (_, details) =
        error_code(app.get("/api/v1/incidents?limit=0", &app.admin).await, 422).await;
    assert_eq!(details["field"], "limit");
    let (_, details) = error_code(
        app.get("/api/v1/incidents?colour=red", &app.admin).await,
        422,
    )
    .await;
    assert_eq!(details["field"], "colour", "unknown parameters are named");
}

async fn idempotency_key_never_creates_two(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let body = incident_body("440106");
    let send = |key: &'static str, body: Value| {
        app.request(Method::POST, "/api/v1/incidents", &app.admin)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let first = send("feed-123", body.clone()).await.unwrap();
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("Idempotent-Replayed").is_none());
    let first: Value = first.json().await.unwrap();

    let again = send("feed-123", body.clone()).await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["Idempotent-Replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);

    let mut changed = body.clone();
    changed["title"] = json!("另一条");
    let (code, _) = error_code(send("feed-123", changed).await.unwrap(), 409).await;
    assert_eq!(code, "idempotency_key_reused");

    let list: Value = app
        .get("/api/v1/incidents", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

async fn flags_possible_duplicate_by_source_url(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let first = app
        .create_incident(&app.admin, &incident_body("440106"))
        .await;
    let mut body = incident_body("440111");
    body["source_url"] = first["source_url"].clone();
    let second = app.create_incident(&app.admin, &body).await;
    assert_eq!(second["possible_duplicate_of"], first["reference"]);
    assert!(field(&first, "possible_duplicate_of").is_null());
}

async fn updates_need_the_current_version(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let incident = app
        .create_incident(&app.admin, &incident_body("440106"))
        .await;
    let path = format!("/api/v1/incidents/{}", incident["id"].as_str().unwrap());

    let (code, _) = error_code(
        app.patch(&path, &app.admin, &json!({ "title": "新标题" }))
            .await,
        428,
    )
    .await;
    assert_eq!(code, "precondition_required");

    let res = app
        .request(Method::PATCH, &path, &app.admin)
        .header("If-Match", "\"v1\"")
        .json(&json!({ "severity": "extremely_major", "special_topic": "emergency" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], "\"v2\"");
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["severity"], "extremely_major");
    assert_eq!(updated["version"], 2);

    let res = app
        .request(Method::PATCH, &path, &app.admin)
        .header("If-Match", "\"v1\"")
        .json(&json!({ "title": "过期" }))
        .send()
        .await
        .unwrap();
    let (code, details) = error_code(res, 412).await;
    assert_eq!(code, "version_mismatch");
    assert_eq!(details["current_version"], 2);
    let (_, _) = error_code(
        app.patch(&path, &app.admin, &json!({ "title": "过期", "version": 1 }))
            .await,
        409,
    )
    .await;

    // null clears an optional field.
    let res = app
        .patch(
            &path,
            &app.admin,
            &json!({ "special_topic": null, "version": 2 }),
        )
        .await;
    assert_eq!(res.status(), 200);
    let updated: Value = res.json().await.unwrap();
    assert!(field(&updated, "special_topic").is_null());

    // Conditional GET: the read's tag carries the version and the change counter.
    let res = app.get(&path, &app.admin).await;
    let tag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert!(tag.starts_with("\"v3.r"), "{tag}");
    let res = app
        .request(Method::GET, &path, &app.admin)
        .header("If-None-Match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    assert_eq!(res.headers()["etag"], tag.as_str());

    let timeline: Value = app
        .get(&format!("{path}/timeline"), &app.admin)
        .await
        .json()
        .await
        .unwrap();
    let items = timeline["items"].as_array().unwrap();
    let kinds: Vec<&str> = items.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["created", "clocks_started", "updated", "updated"]);
    assert_eq!(
        items[2]["changes"]["severity"],
        json!({ "before": "major", "after": "extremely_major" })
    );
    assert_eq!(items[2]["actor"], "测试用户");
    assert_eq!(
        items[3]["changes"]["special_topic"],
        json!({ "before": "emergency", "after": null })
    );
    assert!(
        items[2].get("changes").unwrap().get("title").is_none(),
        "only what changed"
    );
}

async fn walks_the_handling_flow_to_closed(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let mut body = incident_body("440106");
    body["category"] = json!("false_information");
    let incident = app.create_incident(&app.admin, &body).await;
    let path = format!("/api/v1/incidents/{}", incident["id"].as_str().unwrap());
    let status = |to: &str, version: i64| json!({ "status": to, "version": version });

    let (code, details) = error_code(
        app.post(&format!("{path}/status"), &app.admin, &status("closed", 1))
            .await,
        409,
    )
    .await;
    assert_eq!(code, "invalid_transition");
    assert_eq!(details["allowed"], json!(["assessing", "dismissed"]));

    let mut version = 1;
    for to in ["assessing", "verifying", "responding", "evaluating"] {
        let res = app
            .post(&format!("{path}/status"), &app.admin, &status(to, version))
            .await;
        assert_eq!(res.status(), 200, "to {to}");
        version += 1;
    }
    let (_, details) = error_code(
        app.post(
            &format!("{path}/status"),
            &app.admin,
            &status("closed", version),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(details["field"], "publication");

    let publication = json!({
        "summary": "已发布辟谣声明，说明汇算退税政策未变。",
        "channel": "市税务局官方微博",
        "url": "https://weibo.com/gzstax/1",
        "published_at": chrono::Utc::now().to_rfc3339(),
    });
    let close = json!({ "status": "closed", "version": version, "publication": publication });
    let (code, _) = error_code(
        app.post(&format!("{path}/status"), &app.admin, &close)
            .await,
        409,
    )
    .await;
    assert_eq!(
        code, "referral_required",
        "false information is referred before closing"
    );

    let referral = json!({ "authority": "cyberspace", "referred_at": chrono::Utc::now().to_rfc3339(), "their_reference": "网信-2026-88" });
    let res = app
        .post(&format!("{path}/referrals"), &app.admin, &referral)
        .await;
    assert_eq!(res.status(), 201);
    let referred: Value = res.json().await.unwrap();
    assert_eq!(referred["referrals"][0]["authority"], "cyberspace");
    version = referred["version"].as_i64().unwrap();

    let close = json!({ "status": "closed", "version": version, "publication": publication, "note": "舆情平息" });
    let res = app
        .post(&format!("{path}/status"), &app.admin, &close)
        .await;
    assert_eq!(res.status(), 200);
    let closed: Value = res.json().await.unwrap();
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["publication"]["channel"], "市税务局官方微博");

    let (code, _) = error_code(
        app.patch(
            &path,
            &app.admin,
            &json!({ "title": "改", "version": closed["version"] }),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(code, "incident_closed");

    let timeline: Value = app
        .get(&format!("{path}/timeline"), &app.admin)
        .await
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "created",
            "clocks_started",
            "status_changed",
            "status_changed",
            "status_changed",
            "status_changed",
            "referral_recorded",
            "status_changed",
            "clocks_cancelled",
            // The final report (终报), due a day after closing.
            "clocks_started",
        ]
    );
    assert_eq!(
        timeline["items"][7]["changes"]["status"],
        json!({ "before": "evaluating", "after": "closed" })
    );
    assert_eq!(timeline["items"][7]["note"], "舆情平息");
}

async fn dismissal_needs_a_reason(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let incident = app
        .create_incident(&app.admin, &incident_body("440106"))
        .await;
    let path = format!(
        "/api/v1/incidents/{}/status",
        incident["id"].as_str().unwrap()
    );
    let (_, details) = error_code(
        app.post(
            &path,
            &app.admin,
            &json!({ "status": "dismissed", "version": 1 }),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(details["field"], "reason");
    let res = app
        .post(
            &path,
            &app.admin,
            &json!({ "status": "dismissed", "version": 1, "reason": "与税务无关" }),
        )
        .await;
    assert_eq!(res.status(), 200);
    let dismissed: Value = res.json().await.unwrap();
    assert_eq!(dismissed["dismissal_reason"], "与税务无关");

    // A dismissed incident no longer counts as an open duplicate.
    let mut body = incident_body("440106");
    body["source_url"] = incident["source_url"].clone();
    let again = app.create_incident(&app.admin, &body).await;
    assert!(field(&again, "possible_duplicate_of").is_null());
}

crate::on_both_backends!(
    creates_with_sequential_references,
    lists_with_filters_and_stable_cursor,
    idempotency_key_never_creates_two,
    flags_possible_duplicate_by_source_url,
    updates_need_the_current_version,
    walks_the_handling_flow_to_closed,
    dismissal_needs_a_reason,
);
