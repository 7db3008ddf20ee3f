//! Quiet hours (免打扰时段) of an office: an early warning inside the window, for a deadline
//! after it, waits for the window's end (shown on the incident page); a warning whose
//! deadline falls inside the window, the breach and the new-major notice are never held;
//! moving the deadline, or the office's quiet hours, decides the hold again.

use chrono::Timelike;
use chrono_tz::Asia::Shanghai;

use super::*;

const DUTY: &str = "duty@440106.example.org";

/// A window from an hour ago to two hours from now, office time, to the minute.
fn window_around_now() -> (String, String, DateTime<Utc>) {
    let now = Utc::now().with_timezone(&Shanghai);
    let from = (now - Duration::hours(1)).format("%H:%M").to_string();
    let end = now + Duration::hours(2);
    let to = end.format("%H:%M").to_string();
    let end = end
        .with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap()
        .with_timezone(&Utc);
    (from, to, end)
}

/// Changes the district office (440106) as an admin; the unit as answered.
async fn change_office(app: &TestApp, body: Value) -> Value {
    let res = app.patch("/api/v1/units/440106", &app.admin, &body).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn quiet_hours_hold_an_early_warning_and_never_a_breach(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.engine.enabled = false).await;
    app.seed_directory().await;
    let (from, to, end) = window_around_now();
    let (code, details) = error_code(
        app.patch(
            "/api/v1/units/440106",
            &app.admin,
            &json!({ "quiet_hours": { "from": "25:00", "to": to } }),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(code, "validation_failed");
    assert_eq!(details["field"], "quiet_hours.from");
    let unit = change_office(&app, json!({ "quiet_hours": { "from": from, "to": to } })).await;
    assert_eq!(unit["quiet_hours"]["to"], to);

    // Deadline three hours away: the two-hour warning (due in an hour, inside the
    // window) waits for the window's end; the notice does not.
    let incident = app
        .create_incident(&app.admin, &major_incident(Duration::hours(2)))
        .await;
    let id = incident["id"].as_str().unwrap().to_owned();
    let statement = clock(&incident, "authoritative_statement");
    let deadline = at(&statement["due_at"]);
    let rows = app.notifications(&id).await;
    let warning = rows
        .iter()
        .find(|r| {
            r["clock_id"] == statement["id"] && r["step"] == "before_120m" && r["address"] == DUTY
        })
        .unwrap();
    assert_eq!(at(&warning["due_at"]), end, "{warning}");
    assert_eq!(at(&warning["held_from"]), deadline - Duration::hours(2));
    let breach = rows
        .iter()
        .find(|r| r["clock_id"] == statement["id"] && r["step"] == "breach")
        .unwrap();
    assert!(breach["held_from"].is_null() && at(&breach["due_at"]) == deadline);
    assert!(
        rows.iter()
            .filter(|r| r["step"] == "new_major")
            .all(|r| r["held_from"].is_null()),
        "the notice is news"
    );

    // The page says why it waits.
    app.account(
        "leader",
        "领导甲",
        yuqing_tracker::domain::access::Role::Leader,
        None,
    )
    .await;
    let mut console = crate::console::Console::signed_in(&app, "leader").await;
    let page = console
        .get(&format!(
            "/incidents/{}",
            incident["reference"].as_str().unwrap()
        ))
        .await;
    let local_end = end.with_timezone(&Shanghai).format("%H:%M").to_string();
    assert!(
        page.body
            .contains(&format!("按免打扰时段顺延至 {local_end}")),
        "{}",
        page.body
    );

    // Discovered an hour and a half later than first said: the warning now falls after
    // the window and goes when due.
    let later = at(&incident["discovered_at"]) + Duration::minutes(90);
    let res = app
        .patch(
            &format!("/api/v1/incidents/{id}"),
            &app.admin,
            &json!({ "discovered_at": later.to_rfc3339(), "version": incident["version"] }),
        )
        .await;
    assert_eq!(res.status(), 200);
    let rows = app.notifications(&id).await;
    let warning = rows
        .iter()
        .find(|r| {
            r["clock_id"] == statement["id"]
                && r["step"] == "before_120m"
                && r["address"] == DUTY
                && r["status"] == "pending"
        })
        .unwrap();
    assert!(warning["held_from"].is_null(), "{warning}");
    assert_eq!(
        at(&warning["due_at"]),
        deadline + Duration::minutes(90) - Duration::hours(2)
    );

    // A deadline inside the window: nothing is held, not the warnings, not the breach.
    let soon = app
        .create_incident(
            &app.admin,
            &major_incident(Duration::hours(4) + Duration::minutes(50)),
        )
        .await;
    let rows = app.notifications(soon["id"].as_str().unwrap()).await;
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["held_from"].is_null()), "{rows:#?}");
}

/// Quiet hours set after an incident was logged hold the warning already planned for the
/// office; removing them releases it at its own time; the breach is never touched.
async fn quiet_hours_set_later_hold_planned_warnings_and_release_them_when_removed(
    backend: Backend,
) {
    let app = spawn_app_with(backend, |s| s.engine.enabled = false).await;
    app.seed_directory().await;
    let incident = app
        .create_incident(&app.admin, &major_incident(Duration::hours(2)))
        .await;
    let id = incident["id"].as_str().unwrap().to_owned();
    let statement = clock(&incident, "authoritative_statement");
    let deadline = at(&statement["due_at"]);
    let warning_of = |rows: &[Value]| {
        rows.iter()
            .find(|r| {
                r["clock_id"] == statement["id"]
                    && r["step"] == "before_120m"
                    && r["address"] == DUTY
            })
            .cloned()
            .unwrap()
    };
    let breach_of = |rows: &[Value]| {
        rows.iter()
            .find(|r| r["clock_id"] == statement["id"] && r["step"] == "breach")
            .cloned()
            .unwrap()
    };
    let planned = warning_of(&app.notifications(&id).await);
    assert!(planned["held_from"].is_null(), "{planned}");
    assert_eq!(at(&planned["due_at"]), deadline - Duration::hours(2));

    let (from, to, end) = window_around_now();
    change_office(&app, json!({ "quiet_hours": { "from": from, "to": to } })).await;
    let rows = app.notifications(&id).await;
    let held = warning_of(&rows);
    assert_eq!(at(&held["due_at"]), end, "{held}");
    assert_eq!(at(&held["held_from"]), deadline - Duration::hours(2));
    let breach = breach_of(&rows);
    assert!(breach["held_from"].is_null() && at(&breach["due_at"]) == deadline);

    // A change of name leaves the hold as it is; removing the hours releases it.
    change_office(&app, json!({ "name": "广州市天河区税务局" })).await;
    assert_eq!(
        warning_of(&app.notifications(&id).await)["due_at"],
        held["due_at"]
    );
    let unit = change_office(&app, json!({ "quiet_hours": null })).await;
    assert!(unit["quiet_hours"].is_null(), "{unit}");
    let released = warning_of(&app.notifications(&id).await);
    assert!(released["held_from"].is_null(), "{released}");
    assert_eq!(at(&released["due_at"]), deadline - Duration::hours(2));
}

crate::on_both_backends!(
    quiet_hours_hold_an_early_warning_and_never_a_breach,
    quiet_hours_set_later_hold_planned_warnings_and_release_them_when_removed
);
