//! Roles and unit scopes.

use serde_json::{Value, json};
use yuqing_tracker::domain::access::Role;

use crate::helpers::{Backend, error_code, incident_body, spawn_app};

async fn roles_limit_what_a_token_may_do(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let viewer = app.token(Role::Viewer, None).await;
    let duty = app.token(Role::DutyOfficer, None).await;
    let leader = app.token(Role::Leader, None).await;

    let (code, _) = error_code(
        app.post("/api/v1/incidents", &viewer, &incident_body("440106"))
            .await,
        403,
    )
    .await;
    assert_eq!(code, "forbidden");
    let incident = app.create_incident(&duty, &incident_body("440106")).await;
    let path = format!("/api/v1/incidents/{}", incident["id"].as_str().unwrap());
    assert_eq!(app.get(&path, &viewer).await.status(), 200, "viewers read");
    let res = app
        .patch(&path, &viewer, &json!({ "title": "x", "version": 1 }))
        .await;
    error_code(res, 403).await;
    let res = app
        .post(
            &format!("{path}/status"),
            &leader,
            &json!({ "status": "assessing", "version": 1 }),
        )
        .await;
    assert_eq!(res.status(), 200, "leaders move incidents along");

    let unit = json!({ "code": "4402", "name": "x", "level": "city_bureau" });
    for token in [&viewer, &duty, &leader] {
        error_code(app.post("/api/v1/units", token, &unit).await, 403).await;
    }
    let contact =
        json!({ "name": "x", "email": "x@example.org", "unit_code": "4401", "roles": ["liaison"] });
    error_code(app.post("/api/v1/contacts", &duty, &contact).await, 403).await;
}

async fn scoped_tokens_see_only_their_units(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let tianhe = app.token(Role::DutyOfficer, Some("440106")).await;
    let city = app.token(Role::Viewer, Some("4401")).await;

    let own = app.create_incident(&tianhe, &incident_body("440106")).await;
    let other = app
        .create_incident(&app.admin, &incident_body("440111"))
        .await;
    let mut joint = incident_body("440111");
    joint["responsible_units"] = json!([{ "code": "440111" }, { "code": "440106" }]);
    let joint = app.create_incident(&app.admin, &joint).await;

    let (code, _) = error_code(
        app.post("/api/v1/incidents", &tianhe, &incident_body("440111"))
            .await,
        403,
    )
    .await;
    assert_eq!(code, "forbidden");

    let list: Value = app
        .get("/api/v1/incidents", &tianhe)
        .await
        .json()
        .await
        .unwrap();
    let mut ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    ids.sort();
    let mut expected = vec![own["id"].as_str().unwrap(), joint["id"].as_str().unwrap()];
    expected.sort();
    assert_eq!(ids, expected, "own and jointly responsible incidents only");

    let other_path = format!("/api/v1/incidents/{}", other["id"].as_str().unwrap());
    error_code(app.get(&other_path, &tianhe).await, 403).await;
    error_code(
        app.get(&format!("{other_path}/timeline"), &tianhe).await,
        403,
    )
    .await;
    error_code(
        app.patch(&other_path, &tianhe, &json!({ "title": "x", "version": 1 }))
            .await,
        403,
    )
    .await;

    // Handing an own incident entirely to another office is outside the scope too.
    let own_path = format!("/api/v1/incidents/{}", own["id"].as_str().unwrap());
    let res = app
        .patch(
            &own_path,
            &tianhe,
            &json!({ "responsible_units": [{ "code": "440111" }], "version": 1 }),
        )
        .await;
    error_code(res, 403).await;
    let kept: Value = app.get(&own_path, &app.admin).await.json().await.unwrap();
    assert_eq!(kept["version"], 1, "refused: nothing written");
    assert_eq!(kept["responsible_units"][0]["code"], "440106");

    let list: Value = app
        .get("/api/v1/incidents", &city)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        3,
        "the city sees its districts"
    );

    let scoped_admin = app.token(Role::Admin, Some("440106")).await;
    let top = json!({ "code": "4402", "name": "x", "level": "city_bureau" });
    error_code(app.post("/api/v1/units", &scoped_admin, &top).await, 403).await;
    let below = json!({ "code": "44010602", "name": "二所", "level": "tax_office", "parent_code": "440106" });
    assert_eq!(
        app.post("/api/v1/units", &scoped_admin, &below)
            .await
            .status(),
        201
    );
    let sibling =
        json!({ "code": "44011101", "name": "x", "level": "tax_office", "parent_code": "440111" });
    error_code(
        app.post("/api/v1/units", &scoped_admin, &sibling).await,
        403,
    )
    .await;
    for refused in ["4402", "44011101"] {
        let res = app
            .get(&format!("/api/v1/units/{refused}"), &app.admin)
            .await;
        assert_eq!(res.status(), 404, "refused: {refused} was not created");
    }
}

crate::on_both_backends!(
    roles_limit_what_a_token_may_do,
    scoped_tokens_see_only_their_units
);
