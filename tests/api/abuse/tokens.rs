//! Token lifecycle: admins list and revoke tokens within their scope; a revoked token,
//! an expired one or one of a deactivated unit stops working.

use super::*;

async fn tokens_are_listed_and_revoked_within_scope(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let city_admin = app.token(Role::Admin, Some("4401")).await;
    let district = app.token(Role::DutyOfficer, Some("440106")).await;
    let other = app.token(Role::DutyOfficer, Some("440111")).await;
    assert_eq!(app.get("/api/v1/incidents", &district).await.status(), 200);

    // The city admin sees the tokens of its units, not the unscoped admin's.
    let listed: Value = app
        .get("/api/v1/tokens", &city_admin)
        .await
        .json()
        .await
        .unwrap();
    let units: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["unit_code"].as_str().unwrap_or("-"))
        .collect();
    assert!(
        !units.contains(&"-"),
        "no unscoped token for a scoped admin: {units:?}"
    );
    assert_eq!(units.len(), 3, "{units:?}");
    assert!(listed.to_string().find("yqt_").is_none(), "never a secret");

    // Revoked: refused at once on this replica.
    let id = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["unit_code"] == "440106")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .request(Method::DELETE, &format!("/api/v1/tokens/{id}"), &city_admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let revoked: Value = res.json().await.unwrap();
    assert!(field(&revoked, "revoked_at").is_string());
    error_code(app.get("/api/v1/incidents", &district).await, 401).await;
    // A viewer token may not manage tokens; a scoped admin not beyond its scope.
    error_code(app.get("/api/v1/tokens", &other).await, 403).await;
    let admin_tokens: Value = app
        .get("/api/v1/tokens", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    let unscoped = admin_tokens["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["unit_code"].is_null())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/tokens/{unscoped}"),
            &city_admin,
        )
        .send()
        .await
        .unwrap();
    error_code(res, 403).await;
    let after: Value = app
        .get("/api/v1/tokens", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    let kept = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == unscoped.as_str())
        .unwrap();
    assert!(kept["revoked_at"].is_null(), "refused: not revoked: {kept}");
}

async fn created_tokens_expire_and_die_with_their_unit(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let res = app
        .post(
            "/api/v1/tokens",
            &app.admin,
            &json!({ "name": "大屏", "role": "viewer", "unit_code": "440111", "expires_in_days": 1 }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("yqt_"));
    assert!(field(&created, "expires_at").is_string());
    assert_eq!(app.get("/api/v1/board", &secret).await.status(), 200);
    // A day later it is refused (the service's clock moved on, nobody waited).
    app.clock.advance(Duration::days(1) + Duration::minutes(1));
    let fresh = app.token(Role::Viewer, Some("440111")).await;
    error_code(app.get("/api/v1/board", &secret).await, 401).await;

    // A deactivated unit's tokens stop working (here: at once, nothing cached it).
    let res = app
        .request(Method::DELETE, "/api/v1/units/440111", &app.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    error_code(app.get("/api/v1/board", &fresh).await, 401).await;
}

async fn a_scoped_admin_cannot_deactivate_its_own_unit(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let district_admin = app.token(Role::Admin, Some("440106")).await;
    let res = app
        .request(Method::DELETE, "/api/v1/units/440106", &district_admin)
        .send()
        .await
        .unwrap();
    let (code, _) = error_code(res, 403).await;
    assert_eq!(code, "forbidden");
    let res = app
        .patch(
            "/api/v1/units/440106",
            &district_admin,
            &json!({ "active": false }),
        )
        .await;
    error_code(res, 403).await;
    assert_eq!(
        app.get("/api/v1/units", &district_admin).await.status(),
        200
    );
    let unit: Value = app
        .get("/api/v1/units/440106", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unit["active"], true, "refused: still active");
    assert_eq!(unit["version"], 1, "refused: nothing written");
}

crate::on_both_backends!(
    tokens_are_listed_and_revoked_within_scope,
    created_tokens_expire_and_die_with_their_unit,
    a_scoped_admin_cannot_deactivate_its_own_unit,
);
