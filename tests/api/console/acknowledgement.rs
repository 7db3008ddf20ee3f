//! Acknowledging on the incident page: only the person a reminder was addressed to (the
//! directory contact, not whoever has the same address), only a reminder actually sent,
//! and the timeline names the account that acted.

use reqwest::StatusCode;
use serde_json::{Value, json};
use yuqing_tracker::domain::access::Role;

use super::Console;
use crate::helpers::{Backend, TestApp, major_incident, wait_rows};
use crate::on_both_backends;

/// The id of the contact with this address in this unit.
async fn contact(app: &TestApp, email: &str, unit: &str) -> String {
    let all: Value = app
        .get("/api/v1/contacts", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["email"] == email && c["unit_code"] == unit)
        .unwrap_or_else(|| panic!("no contact {email} in {unit}: {all:#}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn row<'a>(rows: &'a [Value], contact: &str, step: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["recipient"]["contact_id"] == contact && r["step"] == step)
        .unwrap_or_else(|| panic!("no {step} row for {contact}: {rows:#?}"))
}

async fn a_contact_with_a_leaders_address_cannot_silence_that_leader(backend: Backend) {
    let smtp = crate::smtp::TestSmtp::start();
    let app = crate::escalation::smtp_app(backend, smtp.port).await;
    let city_principal = contact(&app, "principal@4401.example.org", "4401").await;
    // A district admin adds someone in its own unit with the city leader's address, and
    // an account linked to that contact.
    let res = app
        .post(
            "/api/v1/contacts",
            &app.admin,
            &json!({ "name": "冒名者", "email": "principal@4401.example.org",
                     "unit_code": "440106", "roles": ["press_officer"] }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let impostor = contact(&app, "principal@4401.example.org", "440106").await;
    app.linked_account("impostor", "冒名者", Role::Leader, &impostor)
        .await;

    // Breached an hour ago: the city principal's first repeat is sent.
    let incident = app
        .create_incident(
            &app.admin,
            &major_incident(chrono::Duration::minutes(300 + 61)),
        )
        .await;
    let id = incident["id"].as_str().unwrap();
    let reference = incident["reference"].as_str().unwrap();
    let rows = wait_rows(&app, id, "the city principal's repeat sent", |rows| {
        rows.iter().any(|r| {
            r["recipient"]["contact_id"] == city_principal.as_str()
                && r["step"] == "repeat_1"
                && r["status"] == "sent"
        })
    })
    .await;
    let victims_sent = row(&rows, &city_principal, "repeat_1")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let victims_next = rows
        .iter()
        .find(|r| {
            r["recipient"]["contact_id"] == city_principal.as_str() && r["status"] == "pending"
        })
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .expect("the city principal's next repeat is planned");

    let mut attacker = Console::signed_in(&app, "impostor").await;
    let page = attacker.get(&format!("/incidents/{reference}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("name=\"escalation\""),
        "nothing of the city leader's is offered to the impostor"
    );
    for forged in [&victims_sent, &victims_next] {
        let refused = attacker
            .post(
                &format!("/incidents/{reference}/acknowledge"),
                &[("escalation", forged)],
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    }
    let after = app.notifications(id).await;
    assert_eq!(
        row(&after, &city_principal, "repeat_1")["status"],
        "sent",
        "untouched"
    );
    let next = after
        .iter()
        .find(|r| r["id"] == victims_next.as_str())
        .unwrap();
    assert_eq!(next["status"], "pending", "the leader's repeats go on");
    let kinds = app.timeline_kinds(id).await;
    assert!(
        !kinds.iter().any(|k| k == "acknowledged"),
        "nothing acknowledged: {kinds:?}"
    );
}

async fn a_leader_acknowledges_only_what_was_sent_and_the_timeline_names_the_account(
    backend: Backend,
) {
    let smtp = crate::smtp::TestSmtp::start();
    let app = crate::escalation::smtp_app(backend, smtp.port).await;
    let principal = contact(&app, "principal@440106.example.org", "440106").await;
    app.linked_account("principal", "区局局长", Role::Leader, &principal)
        .await;
    let incident = app
        .create_incident(
            &app.admin,
            &major_incident(chrono::Duration::minutes(300 + 1)),
        )
        .await;
    let id = incident["id"].as_str().unwrap();
    let reference = incident["reference"].as_str().unwrap();
    let rows = wait_rows(&app, id, "the breach mail sent", |rows| {
        rows.iter().any(|r| {
            r["recipient"]["contact_id"] == principal.as_str()
                && r["step"] == "breach"
                && r["status"] == "sent"
        })
    })
    .await;
    let pending = rows
        .iter()
        .find(|r| {
            r["recipient"]["contact_id"] == principal.as_str()
                && r["status"] == "pending"
                && r["step"] == "repeat_1"
        })
        .expect("a repeat planned")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut leader = Console::signed_in(&app, "principal").await;
    leader.get(&format!("/incidents/{reference}")).await;
    let refused = leader
        .post(
            &format!("/incidents/{reference}/acknowledge"),
            &[("escalation", &pending)],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "not sent yet: {}",
        refused.body
    );

    let breach = row(&rows, &principal, "breach")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let done = leader
        .post(
            &format!("/incidents/{reference}/acknowledge"),
            &[("escalation", &breach)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let after = app.notifications(id).await;
    let repeat = after.iter().find(|r| r["id"] == pending.as_str()).unwrap();
    assert_eq!(repeat["status"], "cancelled", "their repeats stop");

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
        .expect("on the timeline");
    assert_eq!(
        ack["actor"], "区局局长（principal）",
        "the account that acted: {ack:#}"
    );
    assert_eq!(ack["changes"]["by"], "principal_leader@440106", "{ack:#}");
}

/// The statement was recorded before the leader read the mail: the page still lets the
/// leader say they have seen it (a sent reminder is there to be acknowledged).
async fn a_leader_acknowledges_after_the_statement_was_recorded(backend: Backend) {
    let smtp = crate::smtp::TestSmtp::start();
    let app = crate::escalation::smtp_app(backend, smtp.port).await;
    let principal = contact(&app, "principal@440106.example.org", "440106").await;
    app.linked_account("principal", "区局局长", Role::Leader, &principal)
        .await;
    let incident = app
        .create_incident(&app.admin, &major_incident(chrono::Duration::minutes(10)))
        .await;
    let id = incident["id"].as_str().unwrap();
    let reference = incident["reference"].as_str().unwrap();
    wait_rows(&app, id, "the new-major notice sent", |rows| {
        rows.iter().any(|r| {
            r["recipient"]["contact_id"] == principal.as_str()
                && r["step"] == "new_major"
                && r["status"] == "sent"
        })
    })
    .await;
    let statement = json!({ "kind": "authoritative_statement",
        "occurred_at": chrono::Utc::now().to_rfc3339(),
        "channel": "官方微博", "url": "https://weibo.com/gzstax/3" });
    let res = app
        .post(
            &format!("/api/v1/incidents/{id}/milestones"),
            &app.admin,
            &statement,
        )
        .await;
    assert_eq!(res.status(), 201);

    let mut leader = Console::signed_in(&app, "principal").await;
    let page = leader.get(&format!("/incidents/{reference}")).await;
    assert!(page.body.contains("确认已知悉"), "{}", page.body);
    let offered = page
        .body
        .split("name=\"escalation\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an acknowledgement offered")
        .to_owned();
    let done = leader
        .post(
            &format!("/incidents/{reference}/acknowledge"),
            &[("escalation", &offered)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = leader.get(done.location.as_deref().unwrap()).await;
    assert!(page.body.contains("已确认知悉"), "{}", page.body);
    assert!(!page.body.contains("name=\"escalation\""), "offered once");
    assert!(
        app.timeline_kinds(id)
            .await
            .contains(&"acknowledged".to_owned())
    );
}

on_both_backends!(
    a_leader_acknowledges_after_the_statement_was_recorded,
    a_contact_with_a_leaders_address_cannot_silence_that_leader,
    a_leader_acknowledges_only_what_was_sent_and_the_timeline_names_the_account,
);
