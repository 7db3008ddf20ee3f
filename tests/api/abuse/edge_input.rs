//! Input PostgreSQL cannot take (NUL characters, times out of its range) and races on
//! unique keys: a 4xx with the JSON error on both backends, never a 500.

use super::*;

async fn nul_characters_are_refused_everywhere(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    for path in [
        "/api/v1/incidents?q=%00",
        "/api/v1/incidents/abc%00def",
        "/api/v1/incidents?unit=44%0001",
        "/api/v1/units/44%0001",
    ] {
        let (code, _) = error_code(app.get(path, &app.admin).await, 400).await;
        assert_eq!(code, "bad_request", "{path}");
    }
    for field_name in ["title", "summary", "source_url"] {
        let mut body = incident_body("440106");
        body[field_name] = json!("标题\u{0}尾巴");
        let res = app.post("/api/v1/incidents", &app.admin, &body).await;
        let (code, details) = error_code(res, 422).await;
        assert_eq!(code, "validation_failed");
        assert_eq!(details["field"], field_name);
    }
    let mut body = incident_body("440106");
    body["responsible_units"] = json!([{ "code": "440106\u{0}" }]);
    let res = app.post("/api/v1/incidents", &app.admin, &body).await;
    let (_, details) = error_code(res, 422).await;
    assert_eq!(details["field"], "responsible_units[0].code");
}

async fn a_made_up_cursor_is_a_validation_error(backend: Backend) {
    let app = spawn_app(backend).await;
    for cursor in [
        "n-8334601228800000000_x",
        "n9223372036854775807_x",
        "d-1_x",
        "u253402300800000000_x",
    ] {
        let res = app
            .get(&format!("/api/v1/incidents?cursor={cursor}"), &app.admin)
            .await;
        let (code, details) = error_code(res, 422).await;
        assert_eq!(
            (code.as_str(), &details["field"]),
            ("validation_failed", &json!("cursor")),
            "{cursor}"
        );
    }
}

async fn concurrent_creates_of_one_unit_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({ "code": "RACE1", "name": "竞争单位", "level": "city_bureau" });
    let sends = (0..8).map(|_| app.post("/api/v1/units", &app.admin, &body));
    let statuses: Vec<u16> = futures_util::future::join_all(sends)
        .await
        .into_iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
}

async fn dates_and_characters_that_only_look_right(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let mut body = incident_body("440106");
    body["discovered_at"] = json!("0000-01-01T00:00:00Z");
    let (_, details) =
        error_code(app.post("/api/v1/incidents", &app.admin, &body).await, 422).await;
    assert_eq!(details["field"], "discovered_at");
    for title in ["\u{202E}gpj.exe", "\u{FEFF}", "退税\u{200B}暂停"] {
        let mut body = incident_body("440106");
        body["title"] = json!(title);
        let (_, details) =
            error_code(app.post("/api/v1/incidents", &app.admin, &body).await, 422).await;
        assert_eq!(details["field"], "title", "{title:?}");
    }
    let res = app
        .post(
            "/api/v1/units",
            &app.admin,
            &json!({ "code": "BIDI1", "name": "\u{202E}局务税", "level": "city_bureau" }),
        )
        .await;
    let (_, details) = error_code(res, 422).await;
    assert_eq!(details["field"], "name");
}

crate::on_both_backends!(
    nul_characters_are_refused_everywhere,
    a_made_up_cursor_is_a_validation_error,
    concurrent_creates_of_one_unit_code,
    dates_and_characters_that_only_look_right,
);
