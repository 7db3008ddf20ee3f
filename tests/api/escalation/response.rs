//! The 48-hour response clock of 较大 and 一般 incidents (国办发〔2016〕61号): its ladder,
//! its evidence, and what raising and lowering the severity do to it.

use super::*;

fn general_incident(ago: Duration) -> Value {
    let mut body = major_incident(ago);
    body["severity"] = json!("general");
    body
}

async fn a_general_incident_breaches_its_48_hour_clock_and_mails_the_right_people(
    backend: Backend,
) {
    let smtp = TestSmtp::start();
    let app = smtp_app(backend, smtp.port).await;
    let incident = app
        .create_incident(
            &app.admin,
            &general_incident(Duration::hours(48) - Duration::seconds(10)),
        )
        .await;
    let id = incident["id"].as_str().unwrap();
    assert_eq!(incident["clocks"].as_array().unwrap().len(), 1);
    let response = clock(&incident, "public_response");
    assert_eq!(response["state"], "at_risk");
    assert_eq!(response["label"], "回应社会关切");
    assert!((0..=10).contains(&response["remaining_seconds"].as_i64().unwrap()));
    let due = at(&response["due_at"]);

    // At once: the 4-hour warning (the 12-hour one is superseded: nobody gets two), to
    // the duty officer and the office director; no new-major notice.
    let first = smtp
        .wait_for("the overdue warning", StdDuration::from_secs(15), |r| {
            r.len() >= 2
        })
        .await;
    let rows = app.notifications(id).await;
    let got = delivered(&rows, &first);
    assert_eq!(
        got["before_240m"],
        ["director@440106.example.org", "duty@440106.example.org"]
    );
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(rows.iter().all(|r| r["step"] != "new_major"));
    assert!(
        rows.iter()
            .filter(|r| r["step"] == "before_720m")
            .all(|r| r["status"] == "superseded")
    );
    assert!(
        first[0].subject.contains("距回应社会关切时限还剩"),
        "{}",
        first[0].subject
    );

    // The breach, to the deputy leader, not before the deadline.
    let all = smtp
        .wait_for("breach mail", StdDuration::from_secs(30), |r| r.len() >= 3)
        .await;
    let breach: Vec<&Received> = all
        .iter()
        .filter(|m| !first.iter().any(|f| f.message_id == m.message_id))
        .collect();
    assert_eq!(breach.len(), 1);
    assert!(breach[0].at >= due, "breach mail before the deadline");
    assert!(
        breach[0].subject.contains("已超时"),
        "{}",
        breach[0].subject
    );
    let rows = app.notifications(id).await;
    assert_eq!(
        delivered(&rows, &all)["breach"],
        ["deputy@440106.example.org"]
    );
    // Then every four hours to the principal leader; nothing else is due.
    let repeats: Vec<&Value> = rows.iter().filter(|r| r["step"] == "repeat_1").collect();
    assert_eq!(repeats.len(), 1);
    assert_eq!(repeats[0]["address"], "principal@440106.example.org");
    assert_eq!(at(&repeats[0]["due_at"]), due + Duration::hours(4));
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let round = app.engine.as_ref().unwrap().round(&rx).await.unwrap();
    assert_eq!(round.claimed, 0);
    assert_eq!(smtp.received().len(), 3);

    // A response recorded with how and where stops it (late).
    let path = format!("/api/v1/incidents/{id}/milestones");
    let (_, d) = error_code(
        app.post(
            &path,
            &app.admin,
            &json!({ "kind": "public_response", "occurred_at": Utc::now().to_rfc3339(), "url": "https://weibo.example/1" }),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(d["field"], "response_type");
    let (_, d) = error_code(
        app.post(
            &path,
            &app.admin,
            &json!({ "kind": "public_response", "occurred_at": Utc::now().to_rfc3339(), "response_type": "by_phone", "url": "https://weibo.example/1" }),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(d["field"], "response_type");
    let met: Value = app
        .post(
            &path,
            &app.admin,
            &json!({ "kind": "public_response", "occurred_at": Utc::now().to_rfc3339(), "response_type": "platform_reply", "url": "https://weibo.example/1" }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(clock(&met, "public_response")["state"], "met_late");
    let rows = app.notifications(id).await;
    assert!(
        rows.iter()
            .filter(|r| r["step"] == "repeat_1")
            .all(|r| r["status"] == "cancelled")
    );
}

async fn raising_supersedes_the_48_hour_clock_and_lowering_restores_it(backend: Backend) {
    let smtp = TestSmtp::start();
    let app = smtp_app(backend, smtp.port).await;
    // Discovered 45 hours ago: the 48-hour clock's warnings are overdue, its breach is
    // three hours away.
    let body = general_incident(Duration::hours(45));
    let incident = app.create_incident(&app.admin, &body).await;
    let id = incident["id"].as_str().unwrap();
    let response_id = clock(&incident, "public_response")["id"].clone();
    smtp.wait_for("the overdue warning", StdDuration::from_secs(15), |r| {
        r.len() >= 2
    })
    .await;

    // Raised to 重大: the 48-hour clock is superseded with its pending mail; the 5-hour
    // and 24-hour clocks start from discovery (both long breached).
    let raised: Value = app
        .patch(
            &format!("/api/v1/incidents/{id}"),
            &app.admin,
            &json!({ "severity": "major", "version": 1 }),
        )
        .await
        .json()
        .await
        .unwrap();
    let old = raised["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == response_id)
        .unwrap();
    assert_eq!(old["state"], "cancelled");
    assert_eq!(old["stop_reason"], "severity raised to major");
    assert_eq!(
        clock(&raised, "authoritative_statement")["state"],
        "breached"
    );
    assert_eq!(clock(&raised, "press_conference")["state"], "breached");
    let rows = wait_rows(&app, id, "the major clocks' mail sent", |rows| {
        // The old clock's rows as well: its warnings may still be being stamped. (The
        // first report, counted from the raise, is not due yet.)
        rows.iter()
            .filter(|r| {
                r["clock_id"] == response_id
                    || (!r["step"].as_str().unwrap().starts_with("repeat")
                        && at(&r["due_at"]) <= Utc::now())
            })
            .all(|r| r["status"] != "pending" && r["status"] != "sending")
    })
    .await;
    for row in rows.iter().filter(|r| r["clock_id"] == response_id) {
        assert!(
            row["status"] == "sent"
                || row["status"] == "superseded"
                || (row["status"] == "cancelled"
                    && row["last_error"] == "severity raised to major"),
            "{row}"
        );
    }
    let sent_for_old = |rows: &[Value]| {
        rows.iter()
            .filter(|r| r["clock_id"] == response_id && r["status"] == "sent")
            .count()
    };
    assert_eq!(
        sent_for_old(&rows),
        2,
        "only the warnings sent before the raise"
    );
    assert!(
        rows.iter()
            .any(|r| r["step"] == "new_major" && r["status"] == "sent"),
        "the leaders are told of the new major incident: {:?}",
        rows.iter()
            .map(|r| format!("{} {} {}", r["step"], r["status"], r["address"]))
            .collect::<Vec<_>>()
    );

    // Lowered to 一般: the major clocks end with the reason; a new 48-hour clock counts
    // from discovery again, and its overdue warning goes out for it.
    let lowered: Value = app
        .patch(
            &format!("/api/v1/incidents/{id}"),
            &app.admin,
            &json!({ "severity": "general", "version": 2 }),
        )
        .await
        .json()
        .await
        .unwrap();
    let clocks = lowered["clocks"].as_array().unwrap();
    // Two 48-hour clocks, the statement, the press conference and the first report.
    assert_eq!(clocks.len(), 5);
    for c in clocks.iter().filter(|c| c["kind"] != "public_response") {
        assert_eq!(c["state"], "cancelled");
        assert_eq!(c["stop_reason"], "severity lowered to general");
    }
    let again = clock(&lowered, "public_response");
    assert_ne!(again["id"], response_id);
    assert_eq!(
        at(&again["due_at"]),
        at(&body["discovered_at"]) + Duration::hours(48)
    );
    let again_id = again["id"].clone();
    let rows = wait_rows(&app, id, "the new clock's warning sent", |rows| {
        rows.iter()
            .filter(|r| r["clock_id"] == again_id && r["status"] == "sent")
            .count()
            == 2
    })
    .await;
    // Nobody is reminded of a clock that no longer applies.
    for row in rows.iter().filter(|r| r["clock_id"] != again_id) {
        assert_ne!(row["status"], "pending", "{row}");
    }
    assert_eq!(sent_for_old(&rows), 2);
    let timeline: Value = app
        .get(&format!("/api/v1/incidents/{id}/timeline"), &app.admin)
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
        kinds.iter().filter(|k| **k == "clocks_cancelled").count(),
        2,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "clocks_started").count(),
        3,
        "{kinds:?}"
    );
}

crate::on_both_backends!(
    a_general_incident_breaches_its_48_hour_clock_and_mails_the_right_people,
    raising_supersedes_the_48_hour_clock_and_lowering_restores_it,
);
