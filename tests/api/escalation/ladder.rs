//! The escalation ladder of one clock: reminders before, the breach, repeats, and what a milestone or a severity change does to them.

use super::*;

async fn backdated_incident_follows_the_ladder_and_breaches_once(backend: Backend) {
    let smtp = TestSmtp::start();
    let app = smtp_app(backend, smtp.port).await;
    let incident = app
        .create_incident(
            &app.admin,
            &major_incident(Duration::hours(5) - Duration::seconds(10)),
        )
        .await;
    let id = incident["id"].as_str().unwrap();
    let statement = clock(&incident, "authoritative_statement");
    assert_eq!(statement["state"], "at_risk");
    assert!((0..=10).contains(&statement["remaining_seconds"].as_i64().unwrap()));
    assert_eq!(clock(&incident, "press_conference")["state"], "running");
    let due = at(&statement["due_at"]);

    // At once: the new-major notice, and each person's most severe overdue warning:
    // T−2h to the duty officer and office director, T−1h to the deputy, T−30m to the
    // principal leader. Nobody gets two of them.
    let first = smtp
        .wait_for(
            "notice and the overdue warnings",
            StdDuration::from_secs(15),
            |r| r.len() >= 7,
        )
        .await;
    let rows = app.notifications(id).await;
    let got = delivered(&rows, &first);
    assert_eq!(
        got["new_major"],
        [
            "deputy@440106.example.org",
            "liaison@440106.example.org",
            "principal@440106.example.org"
        ]
    );
    assert_eq!(
        got["before_120m"],
        ["director@440106.example.org", "duty@440106.example.org"]
    );
    assert_eq!(got["before_60m"], ["deputy@440106.example.org"]);
    assert_eq!(got["before_30m"], ["principal@440106.example.org"]);
    let warning = rows.iter().find(|r| r["step"] == "before_30m").unwrap();
    assert_eq!(warning["late"], true, "sent long after it was due");
    let mail = first
        .iter()
        .find(|m| m.message_id == warning["message_id"])
        .unwrap();
    assert!(
        mail.subject.contains("距发布权威信息时限还剩"),
        "{}",
        mail.subject
    );
    assert!(
        mail.text.contains("才登记") && !mail.text.contains("中断"),
        "says it is late because it was logged late: {}",
        mail.text
    );

    // The breach about ten seconds later, once per recipient, not before the deadline.
    let all = smtp
        .wait_for("breach mail", StdDuration::from_secs(30), |r| r.len() >= 11)
        .await;
    let breach: Vec<&Received> = all
        .iter()
        .filter(|m| !first.iter().any(|f| f.message_id == m.message_id))
        .collect();
    assert_eq!(breach.len(), 4);
    for mail in &breach {
        assert!(mail.at >= due, "breach mail before the deadline");
        assert!(mail.subject.contains("已超时"), "{}", mail.subject);
    }
    let rows = app.notifications(id).await;
    // The product's promise: sent within engine.late_after_seconds of its time, so the
    // row is not marked late (and the mail does not say it comes late).
    for row in rows.iter().filter(|r| r["step"] == "breach") {
        assert_eq!(row["late"], false, "breach mail late: {row}");
    }
    let got = delivered(&rows, &all);
    assert_eq!(
        got["breach"],
        [
            "deputy@440106.example.org",
            "director@4401.example.org",
            "director@440106.example.org",
            "principal@440106.example.org"
        ]
    );

    // Nothing twice: another round finds nothing due, and every Message-ID is unique.
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let round = app.engine.as_ref().unwrap().round(&rx).await.unwrap();
    assert_eq!(round.claimed, 0);
    assert_eq!(smtp.received().len(), 11);
    let ids: HashSet<&str> = all.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids.len(), 11);
    // The first repeat waits an hour after the breach.
    let repeats: Vec<&Value> = rows
        .iter()
        .filter(|r| r["step"] == "repeat_1" && r["clock_id"] == statement["id"])
        .collect();
    assert_eq!(
        repeats.len(),
        2,
        "principal leaders of the unit and its parent"
    );
    assert!(
        repeats
            .iter()
            .all(|r| r["status"] == "pending" && at(&r["due_at"]) == due + Duration::hours(1))
    );
}

async fn meeting_the_milestone_in_time_sends_no_breach(backend: Backend) {
    let smtp = TestSmtp::start();
    let app = smtp_app(backend, smtp.port).await;
    let incident = app
        .create_incident(
            &app.admin,
            &major_incident(Duration::hours(5) - Duration::seconds(4)),
        )
        .await;
    let id = incident["id"].as_str().unwrap();
    let statement = clock(&incident, "authoritative_statement").clone();
    let due = at(&statement["due_at"]);
    let res = publish_statement(&app, id).await;
    assert_eq!(res.status(), 201);
    let updated: Value = res.json().await.unwrap();
    let statement = updated["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "authoritative_statement")
        .unwrap();
    assert_eq!(statement["state"], "met");
    assert!(field(statement, "next_escalation").is_null());

    engine_past(&app, due + Duration::seconds(2)).await;
    let rows = app.notifications(id).await;
    assert_eq!(
        statuses(&rows, statement, "breach"),
        ["cancelled"; 4],
        "{rows:#?}"
    );
    let received = smtp.received();
    let breach_ids: HashSet<&str> = rows
        .iter()
        .filter(|r| r["step"] == "breach")
        .map(|r| r["message_id"].as_str().unwrap())
        .collect();
    assert!(
        received
            .iter()
            .all(|m| !breach_ids.contains(m.message_id.as_str())),
        "no breach mail"
    );
    let timeline: Value = app
        .get(&format!("/api/v1/incidents/{id}/timeline"), &app.admin)
        .await
        .json()
        .await
        .unwrap();
    // The statement met its clock, and started the first continued release.
    let items = timeline["items"].as_array().unwrap();
    let [.., recorded, started] = items.as_slice() else {
        panic!("{timeline}")
    };
    assert_eq!(recorded["kind"], "milestone_recorded");
    assert_eq!(recorded["changes"]["clock_state"], "met");
    assert_eq!(started["kind"], "clocks_started");
    assert_eq!(started["changes"]["clocks"][0]["kind"], "continued_release");
}

async fn late_statement_is_met_late(backend: Backend) {
    let smtp = TestSmtp::start();
    let app = smtp_app(backend, smtp.port).await;
    let incident = app
        .create_incident(&app.admin, &major_incident(Duration::hours(6)))
        .await;
    let path = format!(
        "/api/v1/incidents/{}/milestones",
        incident["id"].as_str().unwrap()
    );
    let body = json!({ "kind": "authoritative_statement", "occurred_at": Utc::now().to_rfc3339(), "channel": "官网", "url": "https://example.org/a" });
    let res: Value = app
        .post(&path, &app.admin, &body)
        .await
        .json()
        .await
        .unwrap();
    let statement = clock(&res, "authoritative_statement");
    assert_eq!(statement["state"], "met_late");
    assert!(statement["remaining_seconds"].as_i64().unwrap() < -3000);
}

async fn severity_and_status_start_and_cancel_clocks(backend: Backend) {
    let smtp = TestSmtp::start();
    let app = smtp_app(backend, smtp.port).await;
    let mut body = major_incident(Duration::hours(1));
    body["severity"] = json!("general");
    let incident = app.create_incident(&app.admin, &body).await;
    let clocks = incident["clocks"].as_array().unwrap();
    assert_eq!(clocks.len(), 1, "below major: the 48-hour response only");
    let response = clock(&incident, "public_response");
    assert_eq!(
        at(&response["due_at"]),
        at(&body["discovered_at"]) + Duration::hours(48)
    );
    assert_eq!(
        response["next_escalation"]["step"], "before_720m",
        "no new-major notice"
    );
    let path = format!("/api/v1/incidents/{}", incident["id"].as_str().unwrap());

    let raised: Value = app
        .patch(
            &path,
            &app.admin,
            &json!({ "severity": "major", "version": 1 }),
        )
        .await
        .json()
        .await
        .unwrap();
    let statement = clock(&raised, "authoritative_statement");
    assert_eq!(statement["state"], "running");
    assert_eq!(
        at(&statement["due_at"]),
        at(&body["discovered_at"]) + Duration::hours(5),
        "counted from discovery"
    );
    assert_eq!(
        at(&clock(&raised, "press_conference")["due_at"]),
        at(&body["discovered_at"]) + Duration::hours(24)
    );
    assert_eq!(statement["next_escalation"]["step"], "new_major");
    let superseded = raised["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "public_response")
        .unwrap();
    assert_eq!(superseded["state"], "cancelled");
    assert_eq!(superseded["stop_reason"], "severity raised to major");

    let lowered: Value = app
        .patch(
            &path,
            &app.admin,
            &json!({ "severity": "significant", "version": 2 }),
        )
        .await
        .json()
        .await
        .unwrap();
    let clocks = lowered["clocks"].as_array().unwrap();
    assert_eq!(clocks.len(), 5);
    // The statement, the press conference and the first report.
    let majors: Vec<&Value> = clocks
        .iter()
        .filter(|c| c["kind"] != "public_response")
        .collect();
    assert_eq!(majors.len(), 3);
    assert!(majors.iter().all(
        |c| c["state"] == "cancelled" && c["stop_reason"] == "severity lowered to significant"
    ));
    assert_eq!(
        at(&clock(&lowered, "public_response")["due_at"]),
        at(&body["discovered_at"]) + Duration::hours(48),
        "the 48-hour clock starts again from discovery"
    );

    let again: Value = app
        .patch(
            &path,
            &app.admin,
            &json!({ "severity": "extremely_major", "version": 3 }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        again["clocks"].as_array().unwrap().len(),
        8,
        "new clocks; the cancelled ones stay"
    );
    assert_eq!(clock(&again, "press_conference")["state"], "running");

    // Milestone evidence is checked.
    let m = format!("{path}/milestones");
    let (_, d) = error_code(app.post(&m, &app.admin, &json!({ "kind": "authoritative_statement", "occurred_at": Utc::now().to_rfc3339(), "channel": "微博" })).await, 422).await;
    assert_eq!(d["field"], "url");
    let (_, d) = error_code(app.post(&m, &app.admin, &json!({ "kind": "press_conference", "occurred_at": Utc::now().to_rfc3339(), "venue": "市局" })).await, 422).await;
    assert_eq!(d["field"], "spokesperson");
    let before = (at(&body["discovered_at"]) - Duration::minutes(1)).to_rfc3339();
    let (_, d) = error_code(app.post(&m, &app.admin, &json!({ "kind": "press_conference", "occurred_at": before, "venue": "市局", "spokesperson": "张" })).await, 422).await;
    assert_eq!(d["field"], "occurred_at");
    let future = (Utc::now() + Duration::hours(1)).to_rfc3339();
    let (_, d) = error_code(app.post(&m, &app.admin, &json!({ "kind": "press_conference", "occurred_at": future, "venue": "市局", "spokesperson": "张" })).await, 422).await;
    assert_eq!(d["field"], "occurred_at");

    let press = json!({ "kind": "press_conference", "occurred_at": Utc::now().to_rfc3339(), "venue": "市局新闻发布厅", "spokesperson": "张发言人" });
    let met: Value = app.post(&m, &app.admin, &press).await.json().await.unwrap();
    assert_eq!(clock(&met, "press_conference")["state"], "met");
    // A further release is recorded too, and the clock stays met.
    let more: Value = app.post(&m, &app.admin, &press).await.json().await.unwrap();
    assert_eq!(clock(&more, "press_conference")["state"], "met");

    let version = more["version"].as_i64().unwrap();
    let dismiss = json!({ "status": "dismissed", "reason": "经核实不属实", "version": version });
    let dismissed: Value = app
        .post(&format!("{path}/status"), &app.admin, &dismiss)
        .await
        .json()
        .await
        .unwrap();
    let clocks = dismissed["clocks"].as_array().unwrap();
    let statement = clocks.iter().find(|c| {
        c["kind"] == "authoritative_statement" && c["stop_reason"] == "incident dismissed"
    });
    assert_eq!(statement.unwrap()["state"], "cancelled");
    assert_eq!(
        clock(&dismissed, "press_conference")["state"],
        "met",
        "a met clock stays met"
    );
}

crate::on_both_backends!(
    backdated_incident_follows_the_ladder_and_breaches_once,
    meeting_the_milestone_in_time_sends_no_breach,
    late_statement_is_met_late,
    severity_and_status_start_and_cancel_clocks,
);
