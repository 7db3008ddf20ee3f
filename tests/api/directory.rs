//! Units and contacts.

use serde_json::{Value, json};

use crate::helpers::{Backend, error_code, incident_body, spawn_app};

async fn units_form_a_hierarchy_and_are_deactivated_not_deleted(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;

    let unit: Value = app
        .get("/api/v1/units/440106", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unit["parent_code"], "4401");
    assert_eq!(unit["level"], "district_bureau");

    let list: Value = app
        .get("/api/v1/units", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    let codes: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 3);
    assert_eq!(codes[0], "4401", "parents come first");

    let res = app
        .patch(
            "/api/v1/units/440106",
            &app.admin,
            &json!({ "name": "天河区税务局（新）" }),
        )
        .await;
    assert_eq!(res.status(), 200);
    let unit: Value = res.json().await.unwrap();
    assert_eq!(unit["name"], "天河区税务局（新）");
    assert_eq!(unit["version"], 2);

    let res = app
        .request(reqwest::Method::DELETE, "/api/v1/units/440111", &app.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let unit: Value = res.json().await.unwrap();
    assert_eq!(unit["active"], false);
    let unit: Value = app
        .get("/api/v1/units/440111", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unit["active"], false, "still there after deactivation");

    // A deactivated unit takes no new incidents.
    let res = app
        .post("/api/v1/incidents", &app.admin, &incident_body("440111"))
        .await;
    let (code, details) = error_code(res, 422).await;
    assert_eq!(code, "validation_failed");
    assert_eq!(details["field"], "responsible_units[0].code");
}

async fn unit_rules_are_enforced(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;

    let dup = json!({ "code": "4401", "name": "重复", "level": "city_bureau" });
    let (code, _) = error_code(app.post("/api/v1/units", &app.admin, &dup).await, 409).await;
    assert_eq!(code, "unit_code_taken");

    let orphan =
        json!({ "code": "9999", "name": "无上级", "level": "tax_office", "parent_code": "nope" });
    let (_, details) = error_code(app.post("/api/v1/units", &app.admin, &orphan).await, 422).await;
    assert_eq!(details["field"], "parent_code");

    // A city bureau cannot sit below a district bureau.
    let upside =
        json!({ "code": "4402", "name": "倒置", "level": "city_bureau", "parent_code": "440106" });
    let (_, details) = error_code(app.post("/api/v1/units", &app.admin, &upside).await, 422).await;
    assert_eq!(details["field"], "parent_code");

    // Moving a unit below its own child would make a cycle.
    let office = json!({ "code": "44010601", "name": "第一税务所", "level": "tax_office", "parent_code": "440106" });
    assert_eq!(
        app.post("/api/v1/units", &app.admin, &office)
            .await
            .status(),
        201
    );
    let res = app
        .patch(
            "/api/v1/units/440106",
            &app.admin,
            &json!({ "parent_code": "44010601" }),
        )
        .await;
    error_code(res, 422).await;
    for (code, parent) in [("440106", "4401"), ("44010601", "440106")] {
        let unit: Value = app
            .get(&format!("/api/v1/units/{code}"), &app.admin)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(unit["parent_code"], parent, "refused: {code} did not move");
        assert_eq!(unit["version"], 1, "refused: nothing written to {code}");
    }

    let bad_code = json!({ "code": "有空 格", "name": "x", "level": "tax_office" });
    let (_, details) =
        error_code(app.post("/api/v1/units", &app.admin, &bad_code).await, 422).await;
    assert_eq!(details["field"], "code");
}

async fn moving_a_unit_moves_its_subtree(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let office = json!({ "code": "44010601", "name": "第一税务所", "level": "tax_office", "parent_code": "440106" });
    assert_eq!(
        app.post("/api/v1/units", &app.admin, &office)
            .await
            .status(),
        201
    );
    let incident = app
        .create_incident(&app.admin, &incident_body("44010601"))
        .await;

    // A token scoped to 440111 sees the office's incident once the office moves there.
    let scoped = app
        .token(yuqing_tracker::domain::access::Role::Viewer, Some("440111"))
        .await;
    let path = format!("/api/v1/incidents/{}", incident["id"].as_str().unwrap());
    assert_eq!(app.get(&path, &scoped).await.status(), 403);
    let res = app
        .patch(
            "/api/v1/units/44010601",
            &app.admin,
            &json!({ "parent_code": "440111" }),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.get(&path, &scoped).await.status(), 200);

    // Under a provincial bureau and back to the top: kept, not only answered.
    let province = json!({ "code": "44", "name": "广东省税务局", "level": "provincial_bureau" });
    assert_eq!(
        app.post("/api/v1/units", &app.admin, &province)
            .await
            .status(),
        201
    );
    for parent in [json!("44"), Value::Null] {
        let body = json!({ "parent_code": parent });
        let res = app.patch("/api/v1/units/4401", &app.admin, &body).await;
        assert_eq!(res.status(), 200);
        let unit: Value = app
            .get("/api/v1/units/4401", &app.admin)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(unit["parent_code"], parent, "{unit}");
    }
}

async fn contacts_carry_roles(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let body = json!({
        "name": "李局长", "email": "li@example.org", "unit_code": "440106",
        "roles": ["principal_leader", "press_officer", "principal_leader"],
    });
    let res = app.post("/api/v1/contacts", &app.admin, &body).await;
    assert_eq!(res.status(), 201);
    let contact: Value = res.json().await.unwrap();
    assert_eq!(
        contact["roles"],
        json!(["principal_leader", "press_officer"])
    );
    let id = contact["id"].as_str().unwrap();

    let other = json!({ "name": "王主任", "email": "wang@example.org", "unit_code": "4401", "roles": ["office_director"] });
    assert_eq!(
        app.post("/api/v1/contacts", &app.admin, &other)
            .await
            .status(),
        201
    );

    let list: Value = app
        .get("/api/v1/contacts?role=principal_leader", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let list: Value = app
        .get("/api/v1/contacts?unit_code=4401", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["name"], "王主任");

    let res = app
        .patch(
            &format!("/api/v1/contacts/{id}"),
            &app.admin,
            &json!({ "phone": "020-12366", "unit_code": "440111" }),
        )
        .await;
    assert_eq!(res.status(), 200);
    let contact: Value = res.json().await.unwrap();
    assert_eq!(contact["unit_code"], "440111");
    assert_eq!(contact["phone"], "020-12366");

    let res = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/contacts/{id}"),
            &app.admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let list: Value = app
        .get("/api/v1/contacts?active=true", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let contact: Value = app
        .get(&format!("/api/v1/contacts/{id}"), &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(contact["active"], false);
}

async fn contact_input_is_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    for (body, field) in [
        (
            json!({ "name": "x", "email": "not-an-address", "unit_code": "4401", "roles": ["liaison"] }),
            "email",
        ),
        (
            json!({ "name": "x", "email": "x@example.org", "unit_code": "0000", "roles": ["liaison"] }),
            "unit_code",
        ),
        (
            json!({ "name": "x", "email": "x@example.org", "unit_code": "4401", "roles": [] }),
            "roles",
        ),
        (
            json!({ "name": "x", "email": "x@example.org", "unit_code": "4401", "roles": ["boss"] }),
            "roles[0]",
        ),
        (
            json!({ "name": " ", "email": "x@example.org", "unit_code": "4401", "roles": ["liaison"] }),
            "name",
        ),
    ] {
        let (_, details) =
            error_code(app.post("/api/v1/contacts", &app.admin, &body).await, 422).await;
        assert_eq!(details["field"], field, "{body}");
    }
    let list: Value = app
        .get("/api/v1/contacts", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "nothing stored");
}

crate::on_both_backends!(
    units_form_a_hierarchy_and_are_deactivated_not_deleted,
    unit_rules_are_enforced,
    moving_a_unit_moves_its_subtree,
    contacts_carry_roles,
    contact_input_is_checked,
);
