//! Several steps of one clock due at once — the incident was logged late, or the service
//! was down — and each person gets exactly one mail: the most severe due step that names
//! them. A late mail says why it is late.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use yuqing_tracker::domain::escalation::Step;
use yuqing_tracker::store::escalations::{ClaimSettings, db_now, take_due};
use yuqing_tracker::store::schema::{clocks, escalations, incidents};
use yuqing_tracker::store::write_tx;

use super::*;

/// Who got which reminder of the statement clock (the new-major notice aside).
fn reminders(rows: &[Value], received: &[Received]) -> HashMap<String, Vec<String>> {
    let mut got = delivered(rows, received);
    got.remove("new_major");
    got
}

fn one_each() -> HashMap<String, Vec<String>> {
    let to = |people: &[&str]| people.iter().map(|p| p.to_string()).collect::<Vec<_>>();
    HashMap::from([
        ("before_120m".into(), to(&["duty@440106.example.org"])),
        (
            "breach".into(),
            to(&[
                "deputy@440106.example.org",
                "director@4401.example.org",
                "director@440106.example.org",
            ]),
        ),
        (
            "repeat_1".into(),
            to(&["principal@4401.example.org", "principal@440106.example.org"]),
        ),
    ])
}

/// A major incident discovered 6 h 10 min ago: its statement deadline passed 70 minutes
/// ago and the first hourly repeat is due.
async fn late_logging_tells_each_person_once(backend: Backend) {
    late_logging_in_batches_of(backend, 1000).await;
}

/// The same with two rows claimed at a time: a round of several batches, and still each
/// person hears once.
async fn late_logging_in_batches_of_two_tells_each_person_once(backend: Backend) {
    late_logging_in_batches_of(backend, 2).await;
}

async fn late_logging_in_batches_of(backend: Backend, batch_size: i64) {
    let smtp = TestSmtp::start();
    let app = spawn_app_with(backend, |s| {
        use_smtp(s, smtp.port);
        s.engine.batch_size = batch_size;
    })
    .await;
    app.seed_directory().await;
    let incident = app
        .create_incident(
            &app.admin,
            &major_incident(Duration::hours(6) + Duration::minutes(10)),
        )
        .await;
    let id = incident["id"].as_str().unwrap();
    // 3 new-major notices and 6 people with one reminder each.
    let received = smtp
        .wait_for("one mail per person", StdDuration::from_secs(15), |r| {
            r.len() >= 9
        })
        .await;
    let rows = wait_rows(&app, id, "every due row settled", |rows| {
        rows.iter()
            .all(|r| r["status"] != "pending" || at(&r["due_at"]) > Utc::now())
    })
    .await;
    assert_eq!(reminders(&rows, &received), one_each());
    let mut people: Vec<&str> = received
        .iter()
        .flat_map(|m| m.to.iter())
        .map(String::as_str)
        .collect();
    people.sort_unstable();
    let before = people.len();
    people.dedup();
    assert_eq!(
        before - people.len(),
        2,
        "only the principal and the deputy hear twice: notice + reminder"
    );
    for mail in received
        .iter()
        .filter(|m| !m.subject.contains("【重大涉税舆情】"))
    {
        assert!(
            mail.text.contains("才登记"),
            "logged late, not an outage: {}",
            mail.text
        );
        assert!(!mail.text.contains("中断"), "{}", mail.text);
    }
    // Nothing more comes: another round finds nothing due.
    let (_tx, rx) = tokio::sync::watch::channel(false);
    assert_eq!(
        app.engine
            .as_ref()
            .unwrap()
            .round(&rx)
            .await
            .unwrap()
            .claimed,
        0
    );
    assert_eq!(smtp.received().len(), 9);
}

/// Moves every time of one incident (its row, clocks and escalations) `by` into the
/// past in one transaction: as if it had been logged then and the service had been down
/// since.
async fn move_back(app: &TestApp, incident_id: &str, by: Duration) {
    let id = incident_id.to_owned();
    app.store
        .run(move |conn| {
            write_tx(conn, |conn| {
                let back = |t: NaiveDateTime| t - by;
                let (found, logged): (NaiveDateTime, NaiveDateTime) = incidents::table
                    .find(&id)
                    .select((incidents::discovered_at, incidents::created_at))
                    .first(conn)?;
                diesel::update(incidents::table.find(&id))
                    .set((
                        incidents::discovered_at.eq(back(found)),
                        incidents::created_at.eq(back(logged)),
                    ))
                    .execute(conn)?;
                type ClockTimes = (String, NaiveDateTime, NaiveDateTime, NaiveDateTime);
                let rows: Vec<ClockTimes> = clocks::table
                    .filter(clocks::incident_id.eq(&id))
                    .select((
                        clocks::id,
                        clocks::started_at,
                        clocks::due_at,
                        clocks::at_risk_at,
                    ))
                    .load(conn)?;
                for (clock, started, due, risk) in rows {
                    diesel::update(clocks::table.find(clock))
                        .set((
                            clocks::started_at.eq(back(started)),
                            clocks::due_at.eq(back(due)),
                            clocks::at_risk_at.eq(back(risk)),
                        ))
                        .execute(conn)?;
                }
                type RowTimes = (String, NaiveDateTime, NaiveDateTime, NaiveDateTime);
                let rows: Vec<RowTimes> = escalations::table
                    .filter(escalations::incident_id.eq(&id))
                    .filter(escalations::status.eq("pending"))
                    .select((
                        escalations::id,
                        escalations::due_at,
                        escalations::next_attempt_at,
                        escalations::created_at,
                    ))
                    .load(conn)?;
                for (row, due, next, planned) in rows {
                    diesel::update(escalations::table.find(row))
                        .set((
                            escalations::due_at.eq(back(due)),
                            escalations::next_attempt_at.eq(back(next)),
                            escalations::created_at.eq(back(planned)),
                        ))
                        .execute(conn)?;
                }
                Ok(())
            })
        })
        .await
        .unwrap();
}

/// The same incident logged on time, then 6 h 10 min of downtime: every reminder
/// planned in time is due at once when the service is back. (Without the first report,
/// which would be overdue too: its ladder is another clock's, counted in `briefings`.)
async fn catch_up_after_downtime_tells_each_person_once(backend: Backend) {
    let smtp = TestSmtp::start();
    let app = smtp_app_without_reports(backend, smtp.port).await;
    let incident = app
        .create_incident(&app.admin, &major_incident(Duration::seconds(30)))
        .await;
    let id = incident["id"].as_str().unwrap();
    smtp.wait_for("the new-major notices", StdDuration::from_secs(15), |r| {
        r.len() >= 3
    })
    .await;
    let rows = wait_rows(&app, id, "notices recorded", |rows| {
        rows.iter()
            .filter(|r| r["step"] == "new_major")
            .all(|r| r["status"] == "sent")
    })
    .await;
    assert!(
        rows.iter()
            .any(|r| r["step"] == "before_120m" && r["status"] == "pending")
    );
    move_back(&app, id, Duration::hours(6) + Duration::minutes(10)).await;
    let received = smtp
        .wait_for("one mail per person", StdDuration::from_secs(15), |r| {
            r.len() >= 9
        })
        .await;
    let rows = wait_rows(&app, id, "every due row settled", |rows| {
        rows.iter()
            .all(|r| r["status"] != "pending" || at(&r["due_at"]) > Utc::now())
    })
    .await;
    assert_eq!(reminders(&rows, &received), one_each());
    for mail in received
        .iter()
        .filter(|m| !m.subject.contains("【重大涉税舆情】"))
    {
        assert!(
            mail.text.contains("本服务自") && mail.text.contains("中断"),
            "{}",
            mail.text
        );
        assert!(!mail.text.contains("才登记"), "{}", mail.text);
    }
    assert_eq!(smtp.received().len(), 9);
}

/// PostgreSQL reads each statement afresh: an incident committed after a round's
/// supersede statement has looked, and before its claim statement runs, reaches the
/// claim with nothing superseded. The claim alone must still take one reminder per
/// person (the CI run of stop 13 sent a person two).
async fn a_claim_alone_takes_one_reminder_per_person(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.engine.enabled = false).await;
    app.seed_directory().await;
    app.create_incident(
        &app.admin,
        &major_incident(Duration::hours(6) + Duration::minutes(10)),
    )
    .await;
    let settings = ClaimSettings {
        batch_size: 1000,
        lease: Duration::seconds(10),
        late_after: Duration::seconds(60),
        ahead: Duration::zero(),
    };
    let claimed = app
        .store
        .run(move |conn| {
            write_tx(conn, |conn| {
                let now = db_now(conn)?;
                take_due(conn, &settings, now)
            })
        })
        .await
        .unwrap();
    let mut got: HashMap<String, Vec<String>> = HashMap::new();
    for row in claimed.iter().filter(|c| c.step != Step::NewMajor) {
        got.entry(row.step.key().to_string())
            .or_default()
            .push(row.address.clone());
    }
    for recipients in got.values_mut() {
        recipients.sort();
    }
    assert_eq!(got, one_each());
}

crate::on_both_backends!(
    a_claim_alone_takes_one_reminder_per_person,
    late_logging_tells_each_person_once,
    late_logging_in_batches_of_two_tells_each_person_once,
    catch_up_after_downtime_tells_each_person_once,
);
