//! Clock kinds are data: a kind that exists only in a configuration file gets clocks,
//! reminders and its column of the report like the two built-in ones, on both doors.

use yuqing_tracker::config::Settings;
use yuqing_tracker::domain::access::Role;

use super::*;
use crate::console::Console;

/// A third kind, in a configuration file and nowhere else: a rebuttal of false
/// information due two hours after discovery.
const REBUTTAL: &str = r#"
[clocks.kinds.rumour_rebuttal]
label = "发布辟谣说明"
milestone = "publication"
report_as = "rebuttal"
severities = ["extremely_major", "major"]
start_from = "discovered_at"
due_after_minutes = 120
at_risk_minutes = 60
repeat_every_minutes = 0
steps = [
  { at_minutes = -60, to = ["duty_officer"] },
  { at_minutes = 0, to = ["principal_leader"] },
]
"#;

async fn a_kind_from_the_config_alone_is_clocked_shown_mailed_and_reported(backend: Backend) {
    let smtp = TestSmtp::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kinds.toml");
    std::fs::write(&file, REBUTTAL).unwrap();
    let clocks = Settings::load(Some(&file)).unwrap().clocks;
    let app = spawn_app_with(backend, |s| {
        use_smtp(s, smtp.port);
        s.clocks = clocks;
    })
    .await;
    app.seed_directory().await;

    // Discovered 2 h 10 min ago: the rebuttal is 10 minutes overdue, the others run.
    let incident = app
        .create_incident(&app.admin, &major_incident(Duration::minutes(130)))
        .await;
    let id = incident["id"].as_str().unwrap().to_owned();
    let reference = incident["reference"].as_str().unwrap().to_owned();
    let rebuttal = clock(&incident, "rumour_rebuttal");
    assert_eq!(rebuttal["label"], "发布辟谣说明");
    assert_eq!(rebuttal["milestone"], "publication");
    assert_eq!(rebuttal["state"], "breached");
    assert_eq!(
        at(&rebuttal["due_at"]) - at(&rebuttal["started_at"]),
        Duration::minutes(120)
    );
    let kinds: Vec<&str> = incident["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    // With the default kinds: the first report, the statement, the press conference.
    assert_eq!(kinds.len(), 4, "{kinds:?}");

    // Mail: the breach reaches the principal leader in the kind's words; the new-major
    // notice lists its deadline first (the nearest).
    let rows = wait_rows(&app, &id, "the rebuttal's breach mail", |rows| {
        rows.iter().any(|r| {
            r["clock_id"] == rebuttal["id"] && r["step"] == "breach" && r["status"] == "sent"
        }) && rows
            .iter()
            .filter(|r| r["step"] == "new_major")
            .all(|r| r["status"] == "sent")
    })
    .await;
    let received = smtp.received();
    let mail_of = |row: &Value| {
        received
            .iter()
            .find(|m| m.message_id == row["message_id"])
            .unwrap_or_else(|| panic!("no mail for {row}"))
    };
    let breach = rows
        .iter()
        .find(|r| r["clock_id"] == rebuttal["id"] && r["step"] == "breach")
        .unwrap();
    assert_eq!(breach["address"], "principal@440106.example.org");
    let mail = mail_of(breach);
    assert!(
        mail.subject.contains("发布辟谣说明已超时"),
        "{}",
        mail.subject
    );
    assert!(
        mail.text.contains("权威信息发布记录（渠道与链接）"),
        "{}",
        mail.text
    );
    let notice = mail_of(rows.iter().find(|r| r["step"] == "new_major").unwrap());
    assert!(
        notice.subject.contains("前须发布辟谣说明"),
        "{}",
        notice.subject
    );
    let order = ["发布辟谣说明时限", "发布权威信息时限", "举行新闻发布会时限"].map(|s| {
        notice
            .text
            .find(s)
            .unwrap_or_else(|| panic!("{s}: {}", notice.text))
    });
    assert!(order.is_sorted(), "nearest deadline first: {}", notice.text);

    // The board (API) lists it among the breached; the listing filters by it.
    let board: Value = app
        .get("/api/v1/board", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        board["breached"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["clock"] == "rumour_rebuttal"),
        "{board}"
    );
    let listed: Value = app
        .get(
            "/api/v1/incidents?clock_kind=rumour_rebuttal&clock_state=breached",
            &app.admin,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");

    // The console: the board and the incident page show it, and its milestone is
    // recorded with the publication's evidence.
    app.account("duty", "值班员", Role::DutyOfficer, None).await;
    let mut console = Console::signed_in(&app, "duty").await;
    let board = console.get("/").await;
    assert!(board.body.contains("发布辟谣说明"), "board");
    let page = console.get(&format!("/incidents/{reference}")).await;
    assert!(page.body.contains("发布辟谣说明"), "incident page");
    assert!(
        page.body
            .contains(r#"<option value="rumour_rebuttal" selected>发布辟谣说明</option>"#),
        "the nearest milestone not yet recorded is preselected"
    );
    let done = console
        .post(
            &format!("/incidents/{reference}/milestones"),
            &[
                ("kind", "rumour_rebuttal"),
                ("occurred_at", ""),
                ("channel", "区税务局官方微博"),
                ("url", "https://weibo.example/rebuttal"),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let location = done.location.unwrap();
    assert!(
        location.ends_with("?done=milestone-rumour_rebuttal"),
        "{location}"
    );
    assert!(
        console
            .get(&location)
            .await
            .body
            .contains("已记录发布辟谣说明。")
    );
    let after: Value = app
        .get(&format!("/api/v1/incidents/{id}"), &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(clock(&after, "rumour_rebuttal")["state"], "met_late");
    assert_eq!(clock(&after, "authoritative_statement")["state"], "running");

    // The report: its durations in JSON and CSV, its column on the report page.
    let today = Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let period = format!(
        "from={}&to={}",
        today - chrono::Days::new(1),
        today + chrono::Days::new(2)
    );
    let report: Value = app
        .get(&format!("/api/v1/reports/timeliness?{period}"), &app.admin)
        .await
        .json()
        .await
        .unwrap();
    let total = &report["total"];
    assert!(
        total["rebuttal"]["median_minutes"].as_i64().unwrap() >= 130,
        "{total}"
    );
    assert_eq!(total["rebuttal"]["median_late"], true);
    assert!(total["statement"]["median_minutes"].is_null(), "{total}");
    let csv = app
        .get(
            &format!("/api/v1/reports/timeliness?{period}&format=csv&lang=en"),
            &app.admin,
        )
        .await
        .text()
        .await
        .unwrap();
    let header = csv.lines().next().unwrap();
    assert!(
        header.ends_with(
            "rebuttal_median_minutes,rebuttal_p90_minutes,rebuttal_on_time_rate,\
             statement_median_minutes,statement_p90_minutes,statement_on_time_rate,\
             press_conference_median_minutes,press_conference_p90_minutes,\
             press_conference_on_time_rate,continued_release_median_minutes,\
             continued_release_p90_minutes,continued_release_on_time_rate,\
             follow_report_median_minutes,follow_report_p90_minutes,follow_report_on_time_rate,\
             final_report_median_minutes,final_report_p90_minutes,final_report_on_time_rate,\
             response_median_minutes,response_p90_minutes,response_on_time_rate"
        ),
        "{header}"
    );
    let page = console.get(&format!("/report?{period}")).await;
    assert!(
        page.body
            .contains("data-label=\"发布辟谣说明用时 · 按时率\""),
        "report page"
    );

    // A kind the service does not know is refused with its field.
    let res = app
        .post(
            &format!("/api/v1/incidents/{id}/milestones"),
            &app.admin,
            &json!({ "kind": "no_such_kind", "occurred_at": Utc::now(), "channel": "x", "url": "https://x.example" }),
        )
        .await;
    let (code, details) = error_code(res, 422).await;
    assert_eq!(code, "validation_failed", "{details}");
    assert_eq!(details["field"], "kind");
}

crate::on_both_backends!(a_kind_from_the_config_alone_is_clocked_shown_mailed_and_reported);
