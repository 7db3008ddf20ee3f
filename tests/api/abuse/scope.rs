//! A unit-scoped token stays within its units: it cannot charge other units with an
//! incident, and a replayed request shows nothing it may no longer see.

use super::*;

async fn a_scoped_token_cannot_make_other_units_responsible(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let district = app.token(Role::DutyOfficer, Some("440106")).await;
    let mut body = incident_body("440106");
    body["responsible_units"] = json!([{ "code": "440106" }, { "code": "440111" }]);
    let res = app.post("/api/v1/incidents", &district, &body).await;
    let (code, _) = error_code(res, 403).await;
    assert_eq!(code, "forbidden");
    let res = app.post("/api/v1/incidents", &district, &body).await;
    let error: Value = res.json().await.unwrap();
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("440111") && message.contains("common parent"),
        "{message}"
    );
    // Nothing was written for the other unit.
    let list: Value = app
        .get("/api/v1/incidents?unit=440111", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());

    // Nor by adding it later; the city, which covers both, may.
    let id = logged(&app, &district, &incident_body("440106")).await;
    let both =
        json!({ "responsible_units": [{ "code": "440106" }, { "code": "440111" }], "version": 1 });
    let res = app
        .patch(&format!("/api/v1/incidents/{id}"), &district, &both)
        .await;
    error_code(res, 403).await;
    let unchanged: Value = app
        .get(&format!("/api/v1/incidents/{id}"), &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unchanged["version"], 1, "refused: nothing written");
    let units: Vec<&str> = unchanged["responsible_units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert_eq!(units, ["440106"]);
    let city = app.token(Role::DutyOfficer, Some("4401")).await;
    let res = app
        .patch(&format!("/api/v1/incidents/{id}"), &city, &both)
        .await;
    assert_eq!(res.status(), 200);
    // A unit already responsible stays when the district edits the incident.
    let retitle = json!({ "title": "改了标题", "version": 2 });
    let res = app
        .patch(&format!("/api/v1/incidents/{id}"), &district, &retitle)
        .await;
    assert_eq!(res.status(), 200);
}

async fn a_replay_checks_the_scope_again(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let district = app.token(Role::DutyOfficer, Some("440106")).await;
    let body = incident_body("440106");
    let post = || {
        app.request(Method::POST, "/api/v1/incidents", &district)
            .header("Idempotency-Key", "replay-1")
            .json(&body)
    };
    let first = post().send().await.unwrap();
    assert_eq!(first.status(), 201);
    let id = first.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // An admin moves it to another district and retitles it.
    let moved = json!({
        "title": "已移交白云区",
        "responsible_units": [{ "code": "440111" }],
        "version": 1,
    });
    let res = app
        .patch(&format!("/api/v1/incidents/{id}"), &app.admin, &moved)
        .await;
    assert_eq!(res.status(), 200);
    let replay = post().send().await.unwrap();
    let status = replay.status().as_u16();
    let text = replay.text().await.unwrap();
    assert_eq!(status, 403, "{text}");
    assert!(!text.contains("已移交白云区"), "{text}");
}

async fn a_viewer_is_refused_before_its_body_is_read(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let viewer = app.token(Role::Viewer, None).await;
    for (path, body) in [
        ("/api/v1/incidents", json!({ "title": 1 })),
        ("/api/v1/units", json!({ "code": "" })),
        ("/api/v1/contacts", json!({})),
    ] {
        let (code, _) = error_code(app.post(path, &viewer, &body).await, 403).await;
        assert_eq!(code, "forbidden", "{path}");
    }
    for (path, before) in [
        ("/api/v1/incidents", 0),
        ("/api/v1/units", 3),
        ("/api/v1/contacts", 0),
    ] {
        let list: Value = app.get(path, &app.admin).await.json().await.unwrap();
        assert_eq!(
            list["items"].as_array().unwrap().len(),
            before,
            "nothing written at {path}"
        );
    }
}

crate::on_both_backends!(
    a_scoped_token_cannot_make_other_units_responsible,
    a_replay_checks_the_scope_again,
    a_viewer_is_refused_before_its_body_is_read,
);
