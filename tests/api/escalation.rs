//! Clocks and escalation mail end to end: the real App, a real SMTP server over TCP.

use std::collections::{HashMap, HashSet};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use yuqing_tracker::config::CronExpr;

use crate::helpers::{Backend, TestApp, error_code, major_incident, spawn_app_with, use_smtp};
use crate::smtp::{Faults, Received, Silent, TestSmtp, free_port};

fn clock<'a>(incident: &'a Value, kind: &str) -> &'a Value {
    incident["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == kind && c["state"] != "cancelled")
        .unwrap_or_else(|| panic!("no live {kind} clock in {incident}"))
}

fn at(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

/// step → recipients, from what the SMTP server received, via the Message-IDs the
/// service recorded.
fn delivered(rows: &[Value], received: &[Received]) -> HashMap<String, Vec<String>> {
    let by_id: HashMap<&str, &Value> = rows
        .iter()
        .map(|r| (r["message_id"].as_str().unwrap(), r))
        .collect();
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for mail in received {
        let row = by_id
            .get(mail.message_id.as_str())
            .unwrap_or_else(|| panic!("unknown Message-ID {}", mail.message_id));
        out.entry(row["step"].as_str().unwrap().to_owned())
            .or_default()
            .push(mail.to.join(","));
    }
    for recipients in out.values_mut() {
        recipients.sort();
    }
    out
}

/// Statuses of one step of one clock.
fn statuses<'a>(rows: &'a [Value], clock: &Value, step: &str) -> Vec<&'a str> {
    rows.iter()
        .filter(|r| r["step"] == step && r["clock_id"] == clock["id"])
        .map(|r| r["status"].as_str().unwrap())
        .collect()
}

async fn smtp_app(backend: Backend, smtp_port: u16) -> TestApp {
    let app = spawn_app_with(backend, |s| use_smtp(s, smtp_port)).await;
    app.seed_directory().await;
    app
}

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

    // At once: the new-major notice, and of the three overdue warnings only the most
    // severe (T−30m); T−2h and T−1h are superseded.
    let first = smtp
        .wait_for(
            "notice and T−30m warning",
            StdDuration::from_secs(15),
            |r| r.len() >= 4,
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
    assert_eq!(got["before_30m"], ["principal@440106.example.org"]);
    assert_eq!(
        statuses(&rows, statement, "before_120m"),
        ["superseded", "superseded"]
    );
    assert_eq!(statuses(&rows, statement, "before_60m"), ["superseded"]);
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
        mail.text.contains("延迟发送"),
        "says it is late: {}",
        mail.text
    );

    // The breach about ten seconds later, once per recipient, not before the deadline.
    let all = smtp
        .wait_for("breach mail", StdDuration::from_secs(30), |r| r.len() >= 8)
        .await;
    let breach: Vec<&Received> = all
        .iter()
        .filter(|m| !first.iter().any(|f| f.message_id == m.message_id))
        .collect();
    assert_eq!(breach.len(), 4);
    for mail in &breach {
        assert!(mail.at >= due, "breach mail before the deadline");
        assert!(
            mail.at < due + Duration::seconds(5),
            "breach mail late: {} vs {due}",
            mail.at
        );
        assert!(mail.subject.contains("已超时"), "{}", mail.subject);
    }
    let rows = app.notifications(id).await;
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
    assert_eq!(smtp.received().len(), 8);
    let ids: HashSet<&str> = all.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids.len(), 8);
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
    let milestone = json!({
        "kind": "authoritative_statement",
        "occurred_at": Utc::now().to_rfc3339(),
        "channel": "市税务局官方微博",
        "url": "https://weibo.com/gzstax/2",
    });
    let res = app
        .post(
            &format!("/api/v1/incidents/{id}/milestones"),
            &app.admin,
            &milestone,
        )
        .await;
    assert_eq!(res.status(), 201);
    let updated: Value = res.json().await.unwrap();
    let statement = updated["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "authoritative_statement")
        .unwrap();
    assert_eq!(statement["state"], "met");
    assert!(statement["next_escalation"].is_null());

    // Wait until the engine has run well past the deadline.
    let deadline = std::time::Instant::now() + StdDuration::from_secs(20);
    loop {
        let ready: Value = app
            .client
            .get(format!("{}/readyz", app.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if ready["engine"]["last_sweep_at"]
            .as_str()
            .is_some_and(|t| t.parse::<DateTime<Utc>>().unwrap() > due + Duration::seconds(2))
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "engine did not run past the deadline"
        );
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
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
    let last = timeline["items"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["kind"], "milestone_recorded");
    assert_eq!(last["changes"]["clock_state"], "met");
}

async fn smtp_outage_delays_but_loses_nothing(backend: Backend) {
    let port = free_port();
    let app = smtp_app(backend, port).await;
    // Refused connections first.
    let incident = app
        .create_incident(&app.admin, &major_incident(Duration::minutes(1)))
        .await;
    let id = incident["id"].as_str().unwrap().to_owned();
    let failing = |rows: &[Value]| {
        rows.iter().all(|r| {
            r["step"] != "new_major"
                || (r["status"] == "pending" && r["attempts"].as_i64().unwrap() >= 1)
        })
    };
    wait_rows(&app, &id, "refused attempts", failing).await;
    // Each phase lasts until every notice has been tried in it.
    let every_notice_says = |text: &'static str| {
        move |rows: &[Value]| {
            rows.iter()
                .filter(|r| r["step"] == "new_major")
                .all(|r| r["last_error"].as_str().is_some_and(|e| e.contains(text)))
        }
    };
    // Then a server that accepts TCP and never greets: sends time out, nothing hangs.
    let silent = Silent::bind(port).await;
    wait_rows(
        &app,
        &id,
        "timed-out attempts",
        every_notice_says("no answer"),
    )
    .await;
    silent.stop().await;
    // Then 421 at the greeting, then 451 at RCPT, then it recovers.
    let smtp = TestSmtp::start_on(port);
    smtp.set_faults(Faults {
        helo: Some(421),
        ..Faults::default()
    });
    wait_rows(&app, &id, "421 replies", every_notice_says("421")).await;
    smtp.set_faults(Faults {
        rcpt: Some(451),
        ..Faults::default()
    });
    wait_rows(&app, &id, "451 replies", every_notice_says("451")).await;
    smtp.set_faults(Faults::default());
    let sent = |rows: &[Value]| {
        rows.iter()
            .filter(|r| r["step"] == "new_major")
            .all(|r| r["status"] == "sent")
    };
    let rows = wait_rows(&app, &id, "delivery after recovery", sent).await;
    let received = smtp.received();
    let notices: Vec<&Value> = rows.iter().filter(|r| r["step"] == "new_major").collect();
    assert_eq!(notices.len(), 3);
    for row in notices {
        let copies = received
            .iter()
            .filter(|m| m.message_id == row["message_id"])
            .count();
        assert_eq!(copies, 1, "delivered once: {row}");
        // Refused, timed out, 421, 451, then accepted: at least five attempts.
        assert!(row["attempts"].as_i64().unwrap() >= 5, "retried: {row}");
    }
    assert!(rows.iter().all(|r| r["status"] != "sending"));
}

async fn a_refused_address_fails_alone_without_retries(backend: Backend) {
    let smtp = TestSmtp::start();
    smtp.set_faults(Faults {
        refuse: vec![("liaison@440106.example.org".into(), 550)],
        ..Faults::default()
    });
    let app = smtp_app(backend, smtp.port).await;
    let incident = app
        .create_incident(&app.admin, &major_incident(Duration::minutes(1)))
        .await;
    let id = incident["id"].as_str().unwrap().to_owned();
    let settled = |rows: &[Value]| {
        rows.iter()
            .filter(|r| r["step"] == "new_major")
            .all(|r| r["status"] == "sent" || r["status"] == "failed")
    };
    let rows = wait_rows(&app, &id, "notice settled", settled).await;
    let notice: Vec<&Value> = rows.iter().filter(|r| r["step"] == "new_major").collect();
    let failed: Vec<&&Value> = notice.iter().filter(|r| r["status"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        failed[0]["recipient"]["email"],
        "liaison@440106.example.org"
    );
    assert!(failed[0]["last_error"].as_str().unwrap().contains("550"));
    assert_eq!(failed[0]["attempts"], 1, "a 5xx is not retried");
    assert_eq!(
        notice.iter().filter(|r| r["status"] == "sent").count(),
        2,
        "the others are delivered"
    );
    // It stays failed: later rounds do not pick it up again.
    let (_tx, rx) = tokio::sync::watch::channel(false);
    app.engine.as_ref().unwrap().round(&rx).await.unwrap();
    let rows = app.notifications(&id).await;
    let again = rows
        .iter()
        .find(|r| {
            r["recipient"]["email"] == "liaison@440106.example.org" && r["step"] == "new_major"
        })
        .unwrap();
    assert_eq!(again["attempts"], 1);

    // The failure shows on the board and in the metrics.
    let board: Value = app
        .get("/api/v1/board", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(board["mails_failed"]["count"], 1);
    let recent = &board["mails_failed"]["recent"][0];
    assert_eq!(recent["incident_id"], id.as_str());
    assert!(recent["last_error"].as_str().unwrap().contains("550"));
    let metrics = app.get("/metrics", "").await.text().await.unwrap();
    assert!(
        metrics.contains("yuqing_mails{status=\"failed\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("yuqing_mail_attempts_total{outcome=\"failed\"}"));
}

async fn acknowledging_stops_repeats_for_that_person_only(backend: Backend) {
    let smtp = TestSmtp::start();
    let app = smtp_app(backend, smtp.port).await;
    let incident = app
        .create_incident(
            &app.admin,
            &major_incident(Duration::hours(5) + Duration::minutes(1)),
        )
        .await;
    let id = incident["id"].as_str().unwrap().to_owned();
    assert_eq!(
        clock(&incident, "authoritative_statement")["state"],
        "breached"
    );
    let received = smtp
        .wait_for("breach mail", StdDuration::from_secs(15), |r| r.len() >= 7)
        .await;
    let rows = app.notifications(&id).await;
    let breach = rows
        .iter()
        .find(|r| {
            r["step"] == "breach" && r["recipient"]["email"] == "principal@440106.example.org"
        })
        .unwrap();
    let mail = received
        .iter()
        .find(|m| m.message_id == breach["message_id"])
        .unwrap();
    // Links point at server.public_url; this test server listens elsewhere.
    let start = mail
        .text
        .find("/ack/")
        .unwrap_or_else(|| panic!("no ack link in {}", mail.text));
    let link = format!(
        "{}{}",
        app.base,
        mail.text[start..].split_whitespace().next().unwrap()
    );
    let link = link.as_str();

    let page = app.client.get(link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("确认已知悉") && html.contains(incident["reference"].as_str().unwrap()));
    let query = link.split_once('?').unwrap().1;
    let form: HashMap<&str, &str> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    let post = app
        .client
        .post(link.split_once('?').unwrap().0)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 200);
    assert!(post.text().await.unwrap().contains("已确认"));

    let rows = app.notifications(&id).await;
    let repeat = |email: &str| {
        rows.iter()
            .find(|r| r["step"] == "repeat_1" && r["recipient"]["email"] == email)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(repeat("principal@440106.example.org"), "cancelled");
    assert_eq!(repeat("principal@4401.example.org"), "pending");
    let timeline: Value = app
        .get(&format!("/api/v1/incidents/{id}/timeline"), &app.admin)
        .await
        .json()
        .await
        .unwrap();
    let ack = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "acknowledged")
        .unwrap()
        .clone();
    assert_eq!(ack["actor"], "principal_leader@440106");
    let incident: Value = app
        .get(&format!("/api/v1/incidents/{id}"), &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        clock(&incident, "authoritative_statement")["state"],
        "breached",
        "the clock runs on"
    );

    let forged = link.replace("sig=", "sig=00");
    let res = app.client.get(&forged).send().await.unwrap();
    assert_eq!(res.status(), 403);

    // mail.ack_link_ttl_hours (72) later the link has expired.
    assert_eq!(app.client.get(link).send().await.unwrap().status(), 200);
    app.clock
        .advance(Duration::hours(72) + Duration::minutes(1));
    let expired = app.client.get(link).send().await.unwrap();
    assert_eq!(expired.status(), 403);
    assert!(expired.text().await.unwrap().contains("已过期"));
}

async fn severity_and_status_start_and_cancel_clocks(backend: Backend) {
    let smtp = TestSmtp::start();
    let app = smtp_app(backend, smtp.port).await;
    let mut body = major_incident(Duration::hours(1));
    body["severity"] = json!("general");
    let incident = app.create_incident(&app.admin, &body).await;
    assert_eq!(incident["clocks"], json!([]), "no clocks below major");
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
    assert_eq!(clocks.len(), 2);
    assert!(clocks.iter().all(
        |c| c["state"] == "cancelled" && c["stop_reason"] == "severity lowered to significant"
    ));

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
        4,
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

pub async fn wait_rows(
    app: &TestApp,
    incident_id: &str,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = std::time::Instant::now() + StdDuration::from_secs(30);
    loop {
        let rows = app.notifications(incident_id).await;
        if done(&rows) {
            return rows;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}: {rows:#?}"
        );
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
}

/// The embedded default: mail is written as .eml files, one per step and recipient.
async fn file_transport_writes_the_same_mails(backend: Backend) {
    let app = crate::helpers::spawn_app_with(backend, crate::helpers::fast_engine).await;
    app.seed_directory().await;
    let incident = app
        .create_incident(
            &app.admin,
            &major_incident(Duration::hours(5) + Duration::minutes(1)),
        )
        .await;
    let dir = app.files.path().join("mail");
    let deadline = std::time::Instant::now() + StdDuration::from_secs(20);
    let files = loop {
        let files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        if files.len() >= 7 {
            break files;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "only {} mail files",
            files.len()
        );
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    };
    assert!(
        files
            .iter()
            .all(|f| f.extension().is_some_and(|e| e == "eml"))
    );
    let rows = app.notifications(incident["id"].as_str().unwrap()).await;
    let mut steps = Vec::new();
    for file in &files {
        let raw = std::fs::read(file).unwrap();
        let mail = mailparse::parse_mail(&raw).unwrap();
        let header = |n: &str| {
            mail.headers
                .iter()
                .find(|h| h.get_key().eq_ignore_ascii_case(n))
                .unwrap()
                .get_value()
        };
        let row = rows
            .iter()
            .find(|r| r["message_id"] == header("Message-ID"))
            .expect("a recorded Message-ID");
        assert!(header("To").contains(row["recipient"]["email"].as_str().unwrap()));
        steps.push(row["step"].as_str().unwrap().to_owned());
        let subject = header("Subject");
        assert!(
            subject.contains(incident["reference"].as_str().unwrap()),
            "{subject}"
        );
    }
    steps.sort();
    assert_eq!(
        steps,
        [
            "breach",
            "breach",
            "breach",
            "breach",
            "new_major",
            "new_major",
            "new_major"
        ]
    );
}

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
            .map(|r| r["recipient"]["email"].as_str().unwrap().to_owned())
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

async fn digest_and_weekly_summary_reach_leaders_once(backend: Backend) {
    use yuqing_tracker::domain::report::ReportKind;
    let smtp = TestSmtp::start();
    let app = smtp_app(backend, smtp.port).await;
    let incident = app
        .create_incident(&app.admin, &major_incident(Duration::hours(6)))
        .await;
    let reference = incident["reference"].as_str().unwrap();
    // The deadline passed an hour ago: the notice, and the first repeat (it supersedes the
    // breach step, due an hour earlier) to the two principal leaders.
    smtp.wait_for("notice and repeat", StdDuration::from_secs(15), |r| {
        r.len() >= 5
    })
    .await;
    let engine = app.engine.as_ref().unwrap();

    assert_eq!(
        engine.plan_report(ReportKind::DailyDigest).await.unwrap(),
        2
    );
    assert_eq!(
        engine.plan_report(ReportKind::DailyDigest).await.unwrap(),
        0,
        "once per day and recipient"
    );
    let got = smtp
        .wait_for("digests", StdDuration::from_secs(15), |r| r.len() >= 7)
        .await;
    let digests: Vec<&Received> = got.iter().filter(|m| m.subject.contains("日报")).collect();
    let mut to: Vec<String> = digests.iter().map(|m| m.to.join(",")).collect();
    to.sort();
    assert_eq!(
        to,
        ["deputy@440106.example.org", "principal@440106.example.org"]
    );
    assert!(
        digests[0].text.contains(reference) && digests[0].text.contains("已超时"),
        "{}",
        digests[0].text
    );

    assert_eq!(
        engine.plan_report(ReportKind::WeeklySummary).await.unwrap(),
        2
    );
    assert_eq!(
        engine.plan_report(ReportKind::WeeklySummary).await.unwrap(),
        0
    );
    let got = smtp
        .wait_for("summaries", StdDuration::from_secs(15), |r| r.len() >= 9)
        .await;
    let city = got
        .iter()
        .find(|m| m.subject.contains("周报") && m.to == ["principal@4401.example.org"])
        .expect("the city's principal leader gets the summary of the units below");
    assert!(
        city.text
            .contains("天河区税务局：到期 1，按时 0，超时完成 0，超时未完成 1"),
        "{}",
        city.text
    );
    assert!(city.text.contains("按时率 0%"), "{}", city.text);
}

/// The cron jobs themselves plan the digest and the summary: with both set to fire every
/// second, each leader still gets one of each (one per period and recipient). The
/// incident's statement deadline passed an hour ago, so the summary has a clock to count.
async fn cron_jobs_send_digest_and_summary(backend: Backend) {
    let smtp = TestSmtp::start();
    let app = spawn_app_with(backend, |s| {
        use_smtp(s, smtp.port);
        let every_second = CronExpr::try_from("* * * * * *".to_owned()).unwrap();
        s.scheduler.sweep = every_second.clone();
        s.scheduler.daily_digest = every_second.clone();
        s.scheduler.weekly_summary = every_second;
    })
    .await;
    app.seed_directory().await;
    app.create_incident(&app.admin, &major_incident(Duration::hours(6)))
        .await;
    smtp.wait_for("a digest and a summary", StdDuration::from_secs(20), |r| {
        r.iter().any(|m| m.subject.contains("日报")) && r.iter().any(|m| m.subject.contains("周报"))
    })
    .await;
    // Three seconds' more ticks of the same scheduler later, still one per period and
    // recipient.
    let arrived = Utc::now();
    loop {
        let ready: Value = app.get("/readyz", "").await.json().await.unwrap();
        let tick = &ready["engine"]["scheduler_last_tick_at"];
        if tick.is_string() && at(tick) >= arrived + Duration::seconds(3) {
            break;
        }
        assert!(
            Utc::now() < arrived + Duration::seconds(15),
            "the scheduler stopped ticking: {ready}"
        );
        tokio::time::sleep(StdDuration::from_millis(200)).await;
    }
    let received = smtp.received();
    let recipients = |kind: &str| {
        let mut to: Vec<String> = received
            .iter()
            .filter(|m| m.subject.contains(kind))
            .map(|m| m.to.join(","))
            .collect();
        to.sort();
        to
    };
    assert_eq!(
        recipients("日报"),
        ["deputy@440106.example.org", "principal@440106.example.org"]
    );
    assert_eq!(
        recipients("周报"),
        ["principal@4401.example.org", "principal@440106.example.org"]
    );
}

/// An office rewords a mail without a rebuild: a file in mail.template_dir wins.
async fn template_override_folder_replaces_the_wording(backend: Backend) {
    let overrides = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(overrides.path().join("new_major")).unwrap();
    std::fs::write(
        overrides.path().join("new_major/subject.txt"),
        "【本局自定义】{{ reference }} 请立即研判",
    )
    .unwrap();
    let dir = overrides.path().to_path_buf();
    let smtp = TestSmtp::start();
    let app = crate::helpers::spawn_app_with(backend, |s| {
        use_smtp(s, smtp.port);
        s.mail.template_dir = dir;
    })
    .await;
    app.seed_directory().await;
    let incident = app
        .create_incident(&app.admin, &major_incident(Duration::minutes(5)))
        .await;
    let got = smtp
        .wait_for("notices", StdDuration::from_secs(15), |r| r.len() >= 3)
        .await;
    let expected = format!(
        "【本局自定义】{} 请立即研判",
        incident["reference"].as_str().unwrap()
    );
    assert!(
        got.iter().all(|m| m.subject == expected),
        "{:?}",
        got.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    assert!(
        got[0].text.contains("请立即组织研判"),
        "the body keeps the built-in text"
    );
}

crate::on_both_backends!(
    backdated_incident_follows_the_ladder_and_breaches_once,
    meeting_the_milestone_in_time_sends_no_breach,
    smtp_outage_delays_but_loses_nothing,
    a_refused_address_fails_alone_without_retries,
    acknowledging_stops_repeats_for_that_person_only,
    severity_and_status_start_and_cancel_clocks,
    late_statement_is_met_late,
    file_transport_writes_the_same_mails,
    reminders_follow_responsible_units_and_discovery,
    digest_and_weekly_summary_reach_leaders_once,
    cron_jobs_send_digest_and_summary,
    template_override_folder_replaces_the_wording,
);
