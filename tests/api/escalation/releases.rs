//! Continued releases (持续发布): after the first statement on a major incident, an update is
//! due every 24 hours until one is marked final or the incident ends.

use super::*;

async fn post_milestone(app: &TestApp, id: &str, body: Value) -> Value {
    let res = app
        .post(
            &format!("/api/v1/incidents/{id}/milestones"),
            &app.admin,
            &body,
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

fn release(at: DateTime<Utc>, last: bool) -> Value {
    json!({ "kind": "continued_release", "occurred_at": at.to_rfc3339(),
            "channel": "区税务局官方微博", "url": "https://weibo.example/update", "final": last })
}

/// The incident's clocks of `kind` that have not stopped.
fn running<'a>(incident: &'a Value, kind: &str) -> Vec<&'a Value> {
    incident["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == kind && c["stopped_at"].is_null())
        .collect()
}

async fn each_release_starts_the_next_until_one_is_final(backend: Backend) {
    let smtp = TestSmtp::start();
    let app = smtp_app(backend, smtp.port).await;
    let incident = app
        .create_incident(&app.admin, &major_incident(Duration::hours(1)))
        .await;
    let id = incident["id"].as_str().unwrap();
    assert!(
        running(&incident, "continued_release").is_empty(),
        "not before a statement"
    );

    // The first statement starts the first release clock, from the statement.
    let stated = Utc::now() - Duration::minutes(10);
    let body = json!({ "kind": "authoritative_statement", "occurred_at": stated.to_rfc3339(),
                       "channel": "官网", "url": "https://example.org/statement" });
    let after_statement = post_milestone(&app, id, body.clone()).await;
    let first = running(&after_statement, "continued_release");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["label"], "持续发布进展");
    let started = at(&first[0]["started_at"]);
    assert!(
        (started - stated).num_milliseconds().abs() < 1000,
        "{started} {stated}"
    );
    assert_eq!(at(&first[0]["due_at"]), started + Duration::hours(24));
    // A second statement is recorded too, but starts nothing new.
    let again = post_milestone(&app, id, body).await;
    assert_eq!(
        again["clocks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["kind"] == "continued_release")
            .count(),
        1
    );

    // An update meets it and starts the next, 24 hours after the update.
    let updated = Utc::now();
    let next = post_milestone(&app, id, release(updated, false)).await;
    let releases: Vec<&Value> = next["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "continued_release")
        .collect();
    assert_eq!(releases.len(), 2);
    assert_eq!(releases.iter().filter(|c| c["state"] == "met").count(), 1);
    let second = running(&next, "continued_release");
    assert_eq!(second.len(), 1);
    assert!(
        (at(&second[0]["due_at"]) - (updated + Duration::hours(24)))
            .num_milliseconds()
            .abs()
            < 1000
    );
    // Its reminders are planned for the press officer and office director, then the
    // deputy leader.
    let rows = app.notifications(id).await;
    assert_eq!(
        steps_to(&rows, |r| r["clock_id"] == second[0]["id"]),
        [
            "before_120m director@440106.example.org",
            "before_120m press@440106.example.org",
            "breach deputy@440106.example.org"
        ]
    );

    // The final release meets it and starts nothing.
    let last = post_milestone(&app, id, release(Utc::now(), true)).await;
    assert!(running(&last, "continued_release").is_empty());
    let rows = app.notifications(id).await;
    assert!(
        rows.iter()
            .filter(|r| r["clock_id"] == second[0]["id"])
            .all(|r| r["status"] == "cancelled"),
        "no reminder for a release that is no longer due"
    );
    let timeline: Value = app
        .get(&format!("/api/v1/incidents/{id}/timeline"), &app.admin)
        .await
        .json()
        .await
        .unwrap();
    let entries = timeline["items"].as_array().unwrap();
    let last_entry = entries.last().unwrap();
    assert_eq!(last_entry["kind"], "milestone_recorded");
    assert_eq!(last_entry["changes"]["final"], true);
}

async fn a_slipping_release_reminds_the_deputy_leader(backend: Backend) {
    let smtp = TestSmtp::start();
    let app = smtp_app(backend, smtp.port).await;
    let incident = app
        .create_incident(&app.admin, &major_incident(Duration::hours(30)))
        .await;
    let id = incident["id"].as_str().unwrap();
    // A statement 25 hours ago: the next release was due an hour ago.
    let body = json!({ "kind": "authoritative_statement",
                       "occurred_at": (Utc::now() - Duration::hours(25)).to_rfc3339(),
                       "channel": "官网", "url": "https://example.org/statement" });
    let stated = post_milestone(&app, id, body).await;
    let release = running(&stated, "continued_release");
    assert_eq!(release.len(), 1);
    assert_eq!(release[0]["state"], "breached");
    let release_id = release[0]["id"].clone();
    let rows = wait_rows(&app, id, "the release's mail sent", |rows| {
        rows.iter()
            .filter(|r| r["clock_id"] == release_id)
            .all(|r| r["status"] == "sent" || r["status"] == "superseded")
    })
    .await;
    assert_eq!(
        steps_to(&rows, |r| r["clock_id"] == release_id
            && r["status"] == "sent"),
        [
            "before_120m director@440106.example.org",
            "before_120m press@440106.example.org",
            "breach deputy@440106.example.org"
        ]
    );
    let breach_row = rows
        .iter()
        .find(|r| r["clock_id"] == release_id && r["step"] == "breach")
        .unwrap();
    let mail = smtp
        .wait_for("the breach mail", StdDuration::from_secs(15), |r| {
            r.iter().any(|m| m.message_id == breach_row["message_id"])
        })
        .await;
    let breach = mail
        .iter()
        .find(|m| m.message_id == breach_row["message_id"])
        .unwrap();
    assert_eq!(breach.to, ["deputy@440106.example.org"]);
    assert!(
        breach.subject.contains("持续发布进展已超时"),
        "{}",
        breach.subject
    );

    // Closing the incident ends it.
    let version = stated["version"].as_i64().unwrap();
    let closed: Value = app
        .post(
            &format!("/api/v1/incidents/{id}/status"),
            &app.admin,
            &json!({ "status": "dismissed", "reason": "经核实不属实", "version": version }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(running(&closed, "continued_release").is_empty(), "{closed}");
}

crate::on_both_backends!(
    each_release_starts_the_next_until_one_is_final,
    a_slipping_release_reminds_the_deputy_leader,
);
