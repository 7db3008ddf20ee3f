//! Claiming ahead (`engine.claim_ahead_ms`): a step due soon is claimed and made ready
//! early, goes out at its moment and never before it, and one stopped, acknowledged or
//! moved in between is taken back and not sent.

use super::*;

/// The real App whose engine claims steps due within the next 8 seconds: wide enough
/// that the test acts between the claim and the moment on a loaded machine.
async fn claiming_ahead(backend: Backend, smtp_port: u16) -> TestApp {
    smtp_app_without_reports_and(backend, smtp_port, |s| {
        s.engine.lease_seconds = 20;
        s.engine.claim_ahead_ms = 8_000;
    })
    .await
}

/// A major incident whose statement breaches in 6 s, once the engine has claimed the
/// breach (ahead of its moment); the incident and its statement clock.
async fn breach_claimed_ahead(app: &TestApp) -> (Value, Value) {
    let incident = app
        .create_incident(
            &app.admin,
            &major_incident(Duration::hours(5) - Duration::seconds(6)),
        )
        .await;
    let id = incident["id"].as_str().unwrap();
    let statement = clock(&incident, "authoritative_statement").clone();
    wait_rows(app, id, "the breach claimed ahead", |rows| {
        let breach: Vec<&Value> = rows
            .iter()
            .filter(|r| r["step"] == "breach" && r["clock_id"] == statement["id"])
            .collect();
        !breach.is_empty() && breach.iter().all(|r| r["status"] == "sending")
    })
    .await;
    assert!(
        Utc::now() < at(&statement["due_at"]),
        "the test came too late to act before the moment"
    );
    (incident, statement)
}

fn message_ids(rows: &[Value], pick: impl Fn(&Value) -> bool) -> HashSet<&str> {
    rows.iter()
        .filter(|r| pick(r))
        .map(|r| r["message_id"].as_str().unwrap())
        .collect()
}

/// None of the rows `pick` keeps reached the SMTP server.
fn none_sent(smtp: &TestSmtp, rows: &[Value], pick: impl Fn(&Value) -> bool, what: &str) {
    let ids = message_ids(rows, pick);
    assert!(
        smtp.received()
            .iter()
            .all(|m| !ids.contains(m.message_id.as_str())),
        "{what}"
    );
}

async fn a_breach_claimed_ahead_goes_at_its_moment_unless_the_clock_stops(backend: Backend) {
    let smtp = TestSmtp::start();
    let app = claiming_ahead(backend, smtp.port).await;

    // Stopped in between: the statement is published after the breach was claimed.
    let (incident, statement) = breach_claimed_ahead(&app).await;
    let (id, due) = (incident["id"].as_str().unwrap(), at(&statement["due_at"]));
    let is_breach = |r: &Value| r["step"] == "breach" && r["clock_id"] == statement["id"];
    let res = publish_statement(&app, id).await;
    assert_eq!(res.status(), 201);
    let rows = app.notifications(id).await;
    assert_eq!(statuses(&rows, &statement, "breach"), ["cancelled"; 4]);
    engine_past(&app, due + Duration::milliseconds(500)).await;
    let rows = app.notifications(id).await;
    assert_eq!(
        statuses(&rows, &statement, "breach"),
        ["cancelled"; 4],
        "{rows:#?}"
    );
    none_sent(&smtp, &rows, is_breach, "a breach taken back was sent");

    // Left to run: the breach is claimed ahead too, and reaches everyone at its moment.
    let running = app
        .create_incident(
            &app.admin,
            &major_incident(Duration::hours(5) - Duration::seconds(3)),
        )
        .await;
    let id = running["id"].as_str().unwrap().to_owned();
    let statement = clock(&running, "authoritative_statement").clone();
    let due = at(&statement["due_at"]);
    let is_breach = |r: &Value| r["step"] == "breach" && r["clock_id"] == statement["id"];
    let rows = wait_rows(&app, &id, "the breach sent", |rows| {
        let breach: Vec<&Value> = rows.iter().filter(|r| is_breach(r)).collect();
        !breach.is_empty() && breach.iter().all(|r| r["status"] == "sent")
    })
    .await;
    let breach_ids = message_ids(&rows, is_breach);
    let received = smtp
        .wait_for("the breach mail", StdDuration::from_secs(15), |r| {
            r.iter()
                .filter(|m| breach_ids.contains(m.message_id.as_str()))
                .count()
                >= 4
        })
        .await;
    let breach_mail: Vec<&Received> = received
        .iter()
        .filter(|m| breach_ids.contains(m.message_id.as_str()))
        .collect();
    assert_eq!(breach_mail.len(), 4, "each once");
    for mail in breach_mail {
        assert!(
            mail.at >= due,
            "{} received at {}, before its moment {due}",
            mail.to.join(","),
            mail.at
        );
    }
}

async fn acknowledging_takes_back_a_repeat_claimed_ahead(backend: Backend) {
    let smtp = TestSmtp::start();
    let app = claiming_ahead(backend, smtp.port).await;
    // Breached an hour ago less 6 s: the breach goes at once, the first repeat in 6 s.
    let incident = app
        .create_incident(
            &app.admin,
            &major_incident(Duration::hours(6) - Duration::seconds(6)),
        )
        .await;
    let id = incident["id"].as_str().unwrap().to_owned();
    let statement = clock(&incident, "authoritative_statement").clone();
    let repeat_due = at(&statement["due_at"]) + Duration::hours(1);
    let is_repeat = |r: &Value| r["step"] == "repeat_1" && r["clock_id"] == statement["id"];
    let rows = wait_rows(&app, &id, "the breach sent, the repeat claimed", |rows| {
        let repeat: Vec<&Value> = rows.iter().filter(|r| is_repeat(r)).collect();
        rows.iter()
            .any(|r| r["step"] == "breach" && r["status"] == "sent")
            && !repeat.is_empty()
            && repeat.iter().all(|r| r["status"] == "sending")
    })
    .await;
    assert!(Utc::now() < repeat_due, "the test came too late");
    // The repeat after it is planned from its moment, not from the claim's.
    assert!(
        rows.iter()
            .any(|r| r["step"] == "repeat_2" && r["status"] == "pending"),
        "{rows:#?}"
    );
    let breach_to_principal = rows
        .iter()
        .find(|r| r["step"] == "breach" && r["address"] == "principal@440106.example.org")
        .unwrap();
    let received = smtp
        .wait_for("the breach mail", StdDuration::from_secs(15), |r| {
            r.iter()
                .any(|m| m.message_id == breach_to_principal["message_id"])
        })
        .await;
    let mail = received
        .iter()
        .find(|m| m.message_id == breach_to_principal["message_id"])
        .unwrap();
    acknowledge_from(&app, &mail.text).await;

    engine_past(&app, repeat_due + Duration::milliseconds(500)).await;
    let rows = app.notifications(&id).await;
    let repeat_to = |email: &str| {
        rows.iter()
            .find(|r| is_repeat(r) && r["address"] == email)
            .unwrap_or_else(|| panic!("no repeat to {email}: {rows:#?}"))
    };
    let acknowledged = repeat_to("principal@440106.example.org");
    let other = repeat_to("principal@4401.example.org");
    assert_eq!(acknowledged["status"], "cancelled", "{rows:#?}");
    let received = smtp
        .wait_for("the other repeat", StdDuration::from_secs(15), |r| {
            r.iter().any(|m| m.message_id == other["message_id"])
        })
        .await;
    assert!(
        received
            .iter()
            .all(|m| m.message_id != acknowledged["message_id"]),
        "the acknowledged repeat was sent"
    );
    let other_mail = received
        .iter()
        .find(|m| m.message_id == other["message_id"])
        .unwrap();
    assert!(other_mail.at >= repeat_due, "sent before its moment");
}

async fn a_moved_deadline_takes_back_a_breach_claimed_ahead(backend: Backend) {
    let smtp = TestSmtp::start();
    let app = claiming_ahead(backend, smtp.port).await;
    let (incident, statement) = breach_claimed_ahead(&app).await;
    let (id, due) = (incident["id"].as_str().unwrap(), at(&statement["due_at"]));
    let is_breach = |r: &Value| r["step"] == "breach" && r["clock_id"] == statement["id"];
    // Discovered an hour later than first logged: the deadline moves an hour on.
    let later = at(&incident["discovered_at"]) + Duration::hours(1);
    let res = app
        .patch(
            &format!("/api/v1/incidents/{id}"),
            &app.admin,
            &json!({ "discovered_at": later.to_rfc3339(), "version": 1 }),
        )
        .await;
    assert_eq!(res.status(), 200);
    engine_past(&app, due + Duration::milliseconds(500)).await;
    let rows = app.notifications(id).await;
    let breach: Vec<&Value> = rows.iter().filter(|r| is_breach(r)).collect();
    assert_eq!(breach.len(), 4, "{rows:#?}");
    for row in &breach {
        assert_eq!(row["status"], "pending", "{row:#}");
        assert_eq!(at(&row["due_at"]), due + Duration::hours(1));
    }
    none_sent(
        &smtp,
        &rows,
        is_breach,
        "a breach moved on was sent at its old moment",
    );
}

crate::on_both_backends!(
    a_breach_claimed_ahead_goes_at_its_moment_unless_the_clock_stops,
    acknowledging_takes_back_a_repeat_claimed_ahead,
    a_moved_deadline_takes_back_a_breach_claimed_ahead,
);
