//! Who is told: reminders follow the responsible units and the discovery time.

use super::*;

async fn reminders_follow_responsible_units_and_discovery(backend: Backend) {
    let smtp = TestSmtp::start();
    let app = smtp_app(backend, smtp.port).await;
    for (email, role) in [
        ("principal@440111.example.org", "principal_leader"),
        ("director@440111.example.org", "office_director"),
    ] {
        let body = json!({ "name": role, "email": email, "unit_code": "440111", "roles": [role] });
        assert_eq!(
            app.post("/api/v1/contacts", &app.admin, &body)
                .await
                .status(),
            201
        );
    }
    let incident = app
        .create_incident(&app.admin, &major_incident(Duration::hours(1)))
        .await;
    let id = incident["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/incidents/{id}");
    let statement = clock(&incident, "authoritative_statement").clone();
    let breach_to = |rows: &[Value], status: &str| -> Vec<String> {
        let mut to: Vec<String> = rows
            .iter()
            .filter(|r| {
                r["clock_id"] == statement["id"] && r["step"] == "breach" && r["status"] == status
            })
            .map(|r| r["address"].as_str().unwrap().to_owned())
            .collect();
        to.sort();
        to
    };

    // A second office becomes responsible: its people join the future reminders.
    let both =
        json!({ "responsible_units": [{ "code": "440106" }, { "code": "440111" }], "version": 1 });
    assert_eq!(app.patch(&path, &app.admin, &both).await.status(), 200);
    let rows = app.notifications(&id).await;
    assert!(breach_to(&rows, "pending").contains(&"principal@440111.example.org".to_owned()));
    assert!(breach_to(&rows, "pending").contains(&"director@440111.example.org".to_owned()));

    // The first office steps back: its people's future reminders are cancelled.
    let only = json!({ "responsible_units": [{ "code": "440111" }], "version": 2 });
    assert_eq!(app.patch(&path, &app.admin, &only).await.status(), 200);
    let rows = app.notifications(&id).await;
    assert_eq!(
        breach_to(&rows, "pending"),
        [
            "director@4401.example.org",
            "director@440111.example.org",
            "principal@440111.example.org"
        ]
    );
    assert!(breach_to(&rows, "cancelled").contains(&"principal@440106.example.org".to_owned()));

    // Discovery was earlier than logged: the clock and its reminders move with it.
    let earlier = at(&incident["discovered_at"]) - Duration::hours(1);
    let res = app
        .patch(
            &path,
            &app.admin,
            &json!({ "discovered_at": earlier.to_rfc3339(), "version": 3 }),
        )
        .await;
    assert_eq!(res.status(), 200);
    let moved: Value = res.json().await.unwrap();
    let new_due = at(&clock(&moved, "authoritative_statement")["due_at"]);
    assert_eq!(new_due, at(&statement["due_at"]) - Duration::hours(1));
    let rows = app.notifications(&id).await;
    let breach = rows
        .iter()
        .find(|r| {
            r["clock_id"] == statement["id"] && r["step"] == "breach" && r["status"] == "pending"
        })
        .unwrap();
    assert_eq!(at(&breach["due_at"]), new_due);
    let kinds = app.timeline_kinds(&id).await;
    assert!(kinds.iter().any(|k| k == "clocks_retimed"));
}

crate::on_both_backends!(reminders_follow_responsible_units_and_discovery,);
