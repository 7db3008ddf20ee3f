//! CSV the service writes opens safely in Excel and WPS.

use super::*;

async fn a_formula_in_a_unit_name_is_text_in_the_csv(backend: Backend) {
    let app = spawn_app(backend).await;
    let evil = "=HYPERLINK(\"http://evil.example\",\"点此\")";
    let res = app
        .post(
            "/api/v1/units",
            &app.admin,
            &json!({ "code": "EVIL1", "name": evil, "level": "city_bureau" }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let mut body = incident_body("EVIL1");
    body["discovered_at"] = json!((Utc::now() - Duration::hours(6)).to_rfc3339());
    logged(&app, &app.admin, &body).await;
    let today = Utc::now().date_naive();
    let path = format!(
        "/api/v1/reports/timeliness?from={}&to={}&format=csv&lang=en",
        today - chrono::Days::new(1),
        today + chrono::Days::new(2)
    );
    let csv = app.get(&path, &app.admin).await.text().await.unwrap();
    let row = csv
        .lines()
        .find(|l| l.starts_with("EVIL1,"))
        .unwrap_or_else(|| panic!("no EVIL1 row in {csv}"));
    assert!(
        row.starts_with("EVIL1,\"'=HYPERLINK("),
        "the cell must start with a quote mark: {row}"
    );
}

crate::on_both_backends!(a_formula_in_a_unit_name_is_text_in_the_csv);
