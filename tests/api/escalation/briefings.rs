//! Reports up the hierarchy (首报、续报、终报): briefings a district submits to its city,
//! the clocks they meet, the ladder when they slip, the city's inbox and read receipts.

use yuqing_tracker::domain::access::Role;
use yuqing_tracker::domain::clock::{ClockKind, ClockStart};

use super::*;

/// A briefing of `kind` on the incident `of`, with every fact filled in.
pub fn briefing(kind: &str, of: &Value) -> Value {
    json!({
        "kind": kind,
        "event": "微博话题“个税汇算退税被追缴”阅读量两小时内超过 50 万。",
        "location": "新浪微博",
        "discovered_at": of["discovered_at"],
        "spread": "转发 3200 次，评论 5100 条，已有两家自媒体跟进。",
        "units_involved": "天河区税务局",
        "actions": "已核实当事人退税记录，正在准备情况说明。",
        "next_steps": "今日 18 时前在官方微博发布说明。",
        "contact": "办公室 王某 020-00000000",
    })
}

async fn submit(app: &TestApp, token: &str, id: &str, body: &Value) -> Value {
    let res = app
        .post(&format!("/api/v1/incidents/{id}/briefings"), token, body)
        .await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

async fn incident(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/api/v1/incidents/{id}"), &app.admin)
        .await
        .json()
        .await
        .unwrap()
}

fn clocks_of<'a>(incident: &'a Value, kind: &str) -> Vec<&'a Value> {
    incident["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == kind)
        .collect()
}

/// "step address" of the clock's rows with `status`, sorted.
fn rows_of(rows: &[Value], clock: &Value, status: &str) -> Vec<String> {
    steps_to(rows, |r| {
        r["clock_id"] == clock["id"] && r["status"] == status
    })
}

/// Moves the incident to `to` from `version` (closing with its publication), returning
/// the incident as the answer shows it.
async fn move_to(app: &TestApp, id: &str, to: &str, version: i64) -> Value {
    let mut body = json!({ "status": to, "version": version });
    if to == "closed" {
        body["publication"] = json!({ "summary": "已发布情况说明", "channel": "官方微博",
            "published_at": Utc::now().to_rfc3339() });
    }
    let res = app
        .post(&format!("/api/v1/incidents/{id}/status"), &app.admin, &body)
        .await;
    assert_eq!(res.status(), 200, "{to}");
    res.json().await.unwrap()
}

/// An office whose rule counts the first report from discovery: an incident logged late
/// has its 首报 overdue at once.
async fn a_late_first_report_escalates_to_the_parent_units_office_director(backend: Backend) {
    let smtp = TestSmtp::start();
    let app = spawn_app_with(backend, |s| {
        use_smtp(s, smtp.port);
        let kind = ClockKind::parse("first_report").unwrap();
        s.clocks.kinds.get_mut(&kind).unwrap().start_from = ClockStart::DiscoveredAt;
    })
    .await;
    app.seed_directory().await;
    let created = app
        .create_incident(&app.admin, &major_incident(Duration::minutes(90)))
        .await;
    let id = created["id"].as_str().unwrap();
    let first = clock(&created, "first_report");
    assert_eq!(first["label"], "首报");
    assert_eq!(first["milestone"], "briefing");
    assert_eq!(first["state"], "breached");

    // The breach goes to the unit's deputy leader and the city's office director; the
    // duty officer and office director, named on no due step but the half-hour warning,
    // get that one (late: nobody named on a due step is left untold).
    let rows = wait_rows(&app, id, "the first report's breach sent", |rows| {
        rows.iter()
            .filter(|r| {
                r["clock_id"] == first["id"] && !r["step"].as_str().unwrap().starts_with("repeat")
            })
            .all(|r| r["status"] == "sent")
    })
    .await;
    // The repeat an hour later goes to the same two.
    assert_eq!(
        rows_of(&rows, first, "pending"),
        [
            "repeat_1 deputy@440106.example.org",
            "repeat_1 director@4401.example.org"
        ]
    );
    assert_eq!(
        rows_of(&rows, first, "sent"),
        [
            "before_30m director@440106.example.org",
            "before_30m duty@440106.example.org",
            "breach deputy@440106.example.org",
            "breach director@4401.example.org"
        ]
    );
    let to_city = rows
        .iter()
        .find(|r| r["clock_id"] == first["id"] && r["address"] == "director@4401.example.org")
        .unwrap();
    let mail = smtp
        .wait_for("the city's mail", StdDuration::from_secs(15), |r| {
            r.iter().any(|m| m.message_id == to_city["message_id"])
        })
        .await;
    let mail = mail
        .iter()
        .find(|m| m.message_id == to_city["message_id"])
        .unwrap();
    assert_eq!(mail.to, ["director@4401.example.org"]);
    assert!(mail.subject.contains("首报已超时"), "{}", mail.subject);

    // Written late, it stops the clock as met late and the repeats with it.
    let sent = submit(&app, &app.admin, id, &briefing("first_report", &created)).await;
    assert_eq!(sent["version"], 1);
    assert_eq!(sent["to_unit"]["code"], "4401");
    let after = incident(&app, id).await;
    assert_eq!(clock(&after, "first_report")["state"], "met_late");
    let rows = app.notifications(id).await;
    assert!(
        rows.iter()
            .filter(|r| r["clock_id"] == first["id"])
            .all(|r| r["status"] != "pending"),
        "nothing left to send about a report that was written: {rows:#?}"
    );
}

async fn a_follow_report_on_time_stops_its_reminders(backend: Backend) {
    let smtp = TestSmtp::start();
    let app = smtp_app(backend, smtp.port).await;
    let created = app
        .create_incident(&app.admin, &major_incident(Duration::minutes(30)))
        .await;
    let id = created["id"].as_str().unwrap();
    // The first report counts from logging: due in an hour.
    let first = clock(&created, "first_report");
    assert_eq!(
        at(&first["due_at"]) - at(&first["started_at"]),
        Duration::hours(1)
    );
    assert!(clocks_of(&created, "follow_report").is_empty());

    submit(&app, &app.admin, id, &briefing("first_report", &created)).await;
    let after_first = incident(&app, id).await;
    assert_eq!(clock(&after_first, "first_report")["state"], "met");
    let follow = clock(&after_first, "follow_report").clone();
    assert_eq!(follow["state"], "running");
    assert_eq!(
        at(&follow["due_at"]) - at(&follow["started_at"]),
        Duration::hours(24)
    );
    let rows = app.notifications(id).await;
    assert_eq!(
        rows_of(&rows, &follow, "pending"),
        [
            "before_120m director@440106.example.org",
            "before_120m duty@440106.example.org",
            "breach deputy@440106.example.org",
            "breach director@4401.example.org",
        ]
    );

    // The 续报 on time: met, its reminders withdrawn, the next one due a day later.
    let second = submit(&app, &app.admin, id, &briefing("follow_report", &created)).await;
    assert_eq!(second["version"], 2);
    assert_eq!(second["label"], "续报");
    let after_follow = incident(&app, id).await;
    let follows = clocks_of(&after_follow, "follow_report");
    assert_eq!(follows.len(), 2);
    let met = follows.iter().find(|c| c["id"] == follow["id"]).unwrap();
    assert_eq!(met["state"], "met");
    let next = follows.iter().find(|c| c["id"] != follow["id"]).unwrap();
    assert_eq!(next["state"], "running");
    let rows = app.notifications(id).await;
    assert!(rows_of(&rows, &follow, "pending").is_empty());
    assert_eq!(rows_of(&rows, &follow, "cancelled").len(), 4, "{rows:#?}");
    assert_eq!(rows_of(&rows, next, "pending").len(), 4);
    let kinds = app.timeline_kinds(id).await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "milestone_recorded").count(),
        2
    );
}

async fn the_city_reads_the_districts_briefing_and_the_district_sees_it_read(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    app.seed_directory().await;
    let district = app.token(Role::DutyOfficer, Some("440106")).await;
    let city = app.token(Role::DutyOfficer, Some("4401")).await;
    let neighbour = app.token(Role::DutyOfficer, Some("440111")).await;
    let created = app
        .create_incident(&district, &major_incident(Duration::minutes(20)))
        .await;
    let id = created["id"].as_str().unwrap();
    let sent = submit(&app, &district, id, &briefing("first_report", &created)).await;
    let briefing_id = sent["id"].as_str().unwrap();
    assert_eq!(sent["from_unit"]["code"], "440106");
    assert_eq!(sent["to_unit"]["name"], "广州市税务局");
    assert_eq!(sent["submitted_by"], "测试用户");
    assert!(field(&sent, "read_at").is_null());
    assert_eq!(sent["facts"]["location"], "新浪微博");

    // In the city's inbox, unread; not in the district's own (it was sent up, not in).
    let inbox = |token: String, query: &'static str| {
        let app = &app;
        async move {
            let res = app.get(&format!("/api/v1/briefings{query}"), &token).await;
            assert_eq!(res.status(), 200);
            let body: Value = res.json().await.unwrap();
            body["items"].as_array().unwrap().clone()
        }
    };
    let city_inbox = inbox(city.clone(), "?unread=true").await;
    assert_eq!(city_inbox.len(), 1);
    assert_eq!(city_inbox[0]["id"], sent["id"]);
    assert_eq!(city_inbox[0]["incident_reference"], created["reference"]);
    assert!(inbox(district.clone(), "").await.is_empty());

    // Only the city marks it read; a neighbouring district cannot even see it.
    let path = format!("/api/v1/briefings/{briefing_id}/read");
    let (code, _) = error_code(app.post(&path, &district, &json!({})).await, 403).await;
    assert_eq!(code, "forbidden");
    let (code, _) = error_code(
        app.get(&format!("/api/v1/briefings/{briefing_id}"), &neighbour)
            .await,
        403,
    )
    .await;
    assert_eq!(code, "forbidden");
    let res = app.post(&path, &city, &json!({})).await;
    assert_eq!(res.status(), 200);
    let read: Value = res.json().await.unwrap();
    let read_at = at(&read["read_at"]);
    assert_eq!(read["read_by"], "测试用户");
    // Reading again keeps the first time.
    let again: Value = app
        .post(&path, &city, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(at(&again["read_at"]), read_at);
    assert!(inbox(city.clone(), "?unread=true").await.is_empty());
    assert_eq!(inbox(city, "").await.len(), 1);

    // The district sees when it was read.
    let res = app
        .get(&format!("/api/v1/incidents/{id}/briefings"), &district)
        .await;
    assert_eq!(res.status(), 200);
    let mine: Value = res.json().await.unwrap();
    assert_eq!(mine["reference"], created["reference"]);
    assert_eq!(at(&mine["items"][0]["read_at"]), read_at);
    // And the incident's timeline keeps the receipt, once.
    let timeline: Value = app
        .get(&format!("/api/v1/incidents/{id}/timeline"), &district)
        .await
        .json()
        .await
        .unwrap();
    let receipts: Vec<&Value> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "briefing_read")
        .collect();
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0]["changes"]["unit"], "广州市税务局");
    assert_eq!(receipts[0]["changes"]["version"], 1);
}

async fn closing_starts_the_final_report_and_a_briefing_meets_it(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    app.seed_directory().await;
    let created = app
        .create_incident(&app.admin, &major_incident(Duration::minutes(20)))
        .await;
    let id = created["id"].as_str().unwrap();
    assert!(clocks_of(&created, "final_report").is_empty());
    let mut version = created["version"].as_i64().unwrap();
    for status in ["assessing", "responding", "evaluating", "closed"] {
        version = move_to(&app, id, status, version).await["version"]
            .as_i64()
            .unwrap();
    }
    let closed = incident(&app, id).await;
    assert_eq!(closed["status"], "closed");
    assert_eq!(clocks_of(&closed, "first_report")[0]["state"], "cancelled");
    let last = clock(&closed, "final_report");
    assert_eq!(last["label"], "终报");
    assert_eq!(last["state"], "running");
    assert_eq!(
        at(&last["due_at"]) - at(&last["started_at"]),
        Duration::hours(24)
    );

    // A closed incident still takes its final report, which meets the clock.
    let sent = submit(&app, &app.admin, id, &briefing("final_report", &created)).await;
    assert_eq!(sent["label"], "终报");
    let after = incident(&app, id).await;
    assert_eq!(clock(&after, "final_report")["state"], "met");
    assert!(clocks_of(&after, "follow_report").is_empty());
}

async fn briefings_with_bad_input_are_refused_clearly(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    app.seed_directory().await;
    let created = app
        .create_incident(&app.admin, &major_incident(Duration::minutes(20)))
        .await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/api/v1/incidents/{id}/briefings");
    let refused = |body: Value, status: u16| {
        let (app, path) = (&app, &path);
        async move {
            let res = app.post(path, &app.admin, &body).await;
            error_code(res, status).await
        }
    };
    // Not a kind of briefing.
    let (code, details) = refused(briefing("authoritative_statement", &created), 422).await;
    assert_eq!(code, "validation_failed");
    assert_eq!(details["field"], "kind");
    // Facts that must be there.
    let mut body = briefing("first_report", &created);
    body["event"] = json!("  ");
    let (_, details) = refused(body, 422).await;
    assert_eq!(details["field"], "event");
    let mut body = briefing("first_report", &created);
    body.as_object_mut().unwrap().remove("actions");
    let (_, details) = refused(body, 422).await;
    assert_eq!(details["field"], "actions");
    // A unit that is not responsible.
    let mut body = briefing("first_report", &created);
    body["from_unit"] = json!("440111");
    let (_, details) = refused(body, 422).await;
    assert_eq!(details["field"], "from_unit");
    // An unknown field.
    let mut body = briefing("first_report", &created);
    body["reason"] = json!("原因待查");
    refused(body, 422).await;
    // The first report is not a milestone to post: it is a briefing.
    let res = app
        .post(
            &format!("/api/v1/incidents/{id}/milestones"),
            &app.admin,
            &json!({ "kind": "first_report", "occurred_at": Utc::now().to_rfc3339() }),
        )
        .await;
    let (_, details) = error_code(res, 422).await;
    assert_eq!(details["field"], "kind");
    // A city incident has nobody above it to report to.
    let mut city = major_incident(Duration::minutes(20));
    city["responsible_units"] = json!([{ "code": "4401" }]);
    let city = app.create_incident(&app.admin, &city).await;
    let res = app
        .post(
            &format!(
                "/api/v1/incidents/{}/briefings",
                city["id"].as_str().unwrap()
            ),
            &app.admin,
            &briefing("first_report", &city),
        )
        .await;
    let (_, details) = error_code(res, 422).await;
    assert_eq!(details["field"], "from_unit");
    // Nothing half-written: the incident has no briefing and its clock still runs.
    let listed: Value = app.get(&path, &app.admin).await.json().await.unwrap();
    assert!(listed["items"].as_array().unwrap().is_empty());
    assert_eq!(
        clock(&incident(&app, id).await, "first_report")["state"],
        "running"
    );
}

/// An office whose rule asks for a 续报 on each change of status (within two hours)
/// rather than every 24 hours: each change starts one unless one is still owed; a
/// briefing meets it; closing starts the 终报 instead.
async fn a_follow_report_on_each_change_of_status(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        let kind = ClockKind::parse("follow_report").unwrap();
        let policy = s.clocks.kinds.get_mut(&kind).unwrap();
        policy.after = None;
        policy.recurs = false;
        policy.start_from = ClockStart::StatusChangedAt;
        policy.due_after_minutes = 120;
        policy.at_risk_minutes = 30;
        policy.steps.retain(|step| step.at_minutes >= -120);
    })
    .await;
    app.seed_directory().await;
    let created = app
        .create_incident(&app.admin, &major_incident(Duration::minutes(20)))
        .await;
    let id = created["id"].as_str().unwrap();
    assert!(
        clocks_of(&created, "follow_report").is_empty(),
        "not with the severity"
    );
    let status = |to: &'static str, version: i64| move_to(&app, id, to, version);
    let assessing = status("assessing", created["version"].as_i64().unwrap()).await;
    let owed = clocks_of(&assessing, "follow_report");
    assert_eq!(owed.len(), 1);
    assert_eq!(
        at(&owed[0]["due_at"]) - at(&owed[0]["started_at"]),
        Duration::hours(2)
    );
    // Still owed: the next change starts no second one.
    let verifying = status("verifying", assessing["version"].as_i64().unwrap()).await;
    assert_eq!(clocks_of(&verifying, "follow_report").len(), 1);
    submit(&app, &app.admin, id, &briefing("follow_report", &created)).await;
    let after = incident(&app, id).await;
    assert_eq!(clocks_of(&after, "follow_report")[0]["state"], "met");
    // The next change owes the next one.
    let responding = status("responding", after["version"].as_i64().unwrap()).await;
    let follows = clocks_of(&responding, "follow_report");
    assert_eq!(follows.len(), 2);
    assert_eq!(
        follows.iter().filter(|c| c["state"] == "running").count(),
        1
    );
    // Closing ends it and owes the 终报 instead.
    let evaluating = status("evaluating", responding["version"].as_i64().unwrap()).await;
    let closed = status("closed", evaluating["version"].as_i64().unwrap()).await;
    assert!(
        clocks_of(&closed, "follow_report")
            .iter()
            .all(|c| c["state"] != "running")
    );
    assert_eq!(clock(&closed, "final_report")["state"], "running");
}

/// Any incident may be reported up on demand, clock or not.
async fn a_general_incident_is_reported_on_demand(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    app.seed_directory().await;
    let mut body = major_incident(Duration::minutes(20));
    body["severity"] = json!("general");
    let created = app.create_incident(&app.admin, &body).await;
    let id = created["id"].as_str().unwrap();
    assert!(clocks_of(&created, "first_report").is_empty());
    let sent = submit(&app, &app.admin, id, &briefing("first_report", &created)).await;
    assert_eq!(sent["version"], 1);
    let after = incident(&app, id).await;
    assert!(clocks_of(&after, "first_report").is_empty());
    assert!(clocks_of(&after, "follow_report").is_empty());
}

crate::on_both_backends!(
    a_late_first_report_escalates_to_the_parent_units_office_director,
    a_follow_report_on_time_stops_its_reminders,
    the_city_reads_the_districts_briefing_and_the_district_sees_it_read,
    closing_starts_the_final_report_and_a_briefing_meets_it,
    briefings_with_bad_input_are_refused_clearly,
    a_general_incident_is_reported_on_demand,
    a_follow_report_on_each_change_of_status,
);
