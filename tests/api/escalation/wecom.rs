//! Reminders on 企业微信 beside mail, against the local stand-in over real HTTP: the
//! breach reaches a leader with a 企业微信 user id on both channels, acknowledging from
//! the 企业微信 link stops their repeats on both; a lapsed token is fetched again, a busy
//! answer is tried again, an invalid user fails with the vendor's code.

use yuqing_tracker::domain::access::Role;

use crate::wecom::{AGENT_ID, CORP_ID, SECRET, TestWecom};

use super::*;

async fn wecom_app(backend: Backend, smtp: &TestSmtp, wecom: &TestWecom) -> TestApp {
    let app = spawn_app_with(backend, |s| {
        use_smtp(s, smtp.port);
        let w = &mut s.channels.wecom;
        w.enabled = true;
        w.api_base = wecom.base.clone();
        w.corp_id = CORP_ID.into();
        w.agent_id = AGENT_ID;
        w.secret = SECRET.to_owned().into();
        w.timeout_seconds = 2;
    })
    .await;
    app.seed_directory().await;
    app
}

/// Gives the contact with `email` the 企业微信 user id `userid`.
async fn give_wecom_id(app: &TestApp, email: &str, userid: &str) {
    let changed = change_contact(app, email, &json!({ "wecom_userid": userid })).await;
    assert_eq!(changed["wecom_userid"], userid);
}

fn rows_to<'a>(rows: &'a [Value], address: &str) -> Vec<&'a Value> {
    rows.iter().filter(|r| r["address"] == address).collect()
}

const PRINCIPAL: &str = "principal@440106.example.org";

async fn a_breach_reaches_a_leader_on_wecom_too_and_the_wecom_link_acknowledges(backend: Backend) {
    let smtp = TestSmtp::start();
    let wecom = TestWecom::start(&["ZhangZhuren"]);
    let app = wecom_app(backend, &smtp, &wecom).await;
    give_wecom_id(&app, PRINCIPAL, "ZhangZhuren").await;
    let incident = app
        .create_incident(
            &app.admin,
            &major_incident(Duration::hours(6) + Duration::minutes(10)),
        )
        .await;
    let id = incident["id"].as_str().unwrap().to_owned();
    // The new-major notice and the overdue reminder, each as on the mail.
    let got = wecom
        .wait_for("the principal's messages", |r| r.len() >= 2)
        .await;
    assert!(got.iter().all(|m| m.touser == "ZhangZhuren"));
    let text = &got
        .iter()
        .find(|m| m.content.starts_with("【舆情超时】"))
        .unwrap_or_else(|| panic!("the reminder: {got:#?}"))
        .content;
    assert!(text.len() <= 2048, "{} bytes", text.len());
    assert!(
        text.contains(incident["reference"].as_str().unwrap()),
        "{text}"
    );
    assert!(text.contains("发布权威信息"), "{text}");
    let rows = wait_rows(&app, &id, "both channels sent", |rows| {
        let sent = |channel: &str| {
            rows.iter().any(|r| {
                r["channel"] == channel
                    && r["step"] == "repeat_1"
                    && r["status"] == "sent"
                    && r["recipient"]["contact_id"].is_string()
            })
        };
        sent("wecom") && sent("email")
    })
    .await;
    // One reminder per channel for the person: the most severe due step (the first
    // repeat), on 企业微信 as by mail; and the notice.
    let on_wecom: Vec<&Value> = rows_to(&rows, "ZhangZhuren");
    let mut sent: Vec<&str> = on_wecom
        .iter()
        .filter(|r| r["status"] == "sent")
        .map(|r| r["step"].as_str().unwrap())
        .collect();
    sent.sort_unstable();
    assert_eq!(sent, ["new_major", "repeat_1"], "{on_wecom:#?}");
    assert_eq!(wecom.received().len(), 2);
    assert_eq!(wecom.token_requests(), 1);

    // Acknowledged from the 企业微信 link: the person's next repeats of that clock end on
    // both channels.
    acknowledge_from(&app, text).await;
    let rows = app.notifications(&id).await;
    let statement = clock(&incident, "authoritative_statement")["id"].clone();
    let pending_repeats: Vec<&Value> = rows
        .iter()
        .filter(|r| r["clock_id"] == statement)
        .filter(|r| r["address"] == "ZhangZhuren" || r["address"] == PRINCIPAL)
        .filter(|r| r["step"].as_str().unwrap().starts_with("repeat") && r["status"] == "pending")
        .collect();
    assert!(pending_repeats.is_empty(), "{pending_repeats:#?}");
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
        .expect("an acknowledged entry");
    assert_eq!(ack["changes"]["channel"], "wecom", "{ack}");

    // The incident page lists each message with its channel.
    app.account("leader", "领导甲", Role::Leader, None).await;
    let mut console = crate::console::Console::signed_in(&app, "leader").await;
    let page = console
        .get(&format!(
            "/incidents/{}",
            incident["reference"].as_str().unwrap()
        ))
        .await;
    let at = page
        .body
        .find("id=\"mails-h\"")
        .expect("the messages section");
    let messages = &page.body[at..];
    for channel in ["企业微信", "邮件"] {
        assert!(
            messages.contains(&format!("<td data-label=\"渠道\">{channel}</td>")),
            "{channel}: {messages}"
        );
    }
}

async fn a_lapsed_token_is_fetched_again_and_a_busy_answer_is_tried_again(backend: Backend) {
    let smtp = TestSmtp::start();
    let wecom = TestWecom::start(&["ZhangZhuren"]);
    let app = wecom_app(backend, &smtp, &wecom).await;
    give_wecom_id(&app, PRINCIPAL, "ZhangZhuren").await;
    let late = || major_incident(Duration::hours(6) + Duration::minutes(10));
    app.create_incident(&app.admin, &late()).await;
    // A notice and a reminder each.
    wecom.wait_for("the first messages", |r| r.len() == 2).await;
    assert_eq!(wecom.token_requests(), 1);

    // The token lapses, and the vendor is busy once.
    wecom.expire_tokens();
    wecom.answer_next(&[45009]);
    let second = app.create_incident(&app.admin, &late()).await;
    let id = second["id"].as_str().unwrap();
    wecom
        .wait_for("the second incident's messages", |r| r.len() == 4)
        .await;
    assert_eq!(wecom.token_requests(), 2, "a new token, once");
    let rows = wait_rows(&app, id, "the 企业微信 rows sent", |rows| {
        rows.iter()
            .filter(|r| r["address"] == "ZhangZhuren" && r["status"] == "sent")
            .count()
            == 2
    })
    .await;
    let attempts: Vec<i64> = rows
        .iter()
        .filter(|r| r["address"] == "ZhangZhuren" && r["status"] == "sent")
        .map(|r| r["attempts"].as_i64().unwrap())
        .collect();
    assert!(
        attempts.contains(&2),
        "the busy answer was tried again: {attempts:?}"
    );
}

async fn an_invalid_user_fails_with_the_vendors_code_and_mail_still_goes(backend: Backend) {
    let smtp = TestSmtp::start();
    let wecom = TestWecom::start(&["SomeoneElse"]);
    let app = wecom_app(backend, &smtp, &wecom).await;
    give_wecom_id(&app, PRINCIPAL, "ZhangZhuren").await;
    let incident = app
        .create_incident(
            &app.admin,
            &major_incident(Duration::hours(6) + Duration::minutes(10)),
        )
        .await;
    let id = incident["id"].as_str().unwrap();
    let rows = wait_rows(&app, id, "the 企业微信 row failed", |rows| {
        rows.iter()
            .any(|r| r["address"] == "ZhangZhuren" && r["status"] == "failed")
            && rows
                .iter()
                .any(|r| r["address"] == PRINCIPAL && r["status"] == "sent")
    })
    .await;
    let failed = rows
        .iter()
        .find(|r| r["address"] == "ZhangZhuren" && r["status"] == "failed")
        .unwrap();
    assert!(
        failed["last_error"].as_str().unwrap().contains("81013"),
        "{failed}"
    );
    assert!(wecom.received().is_empty());
}

async fn a_wecom_user_id_is_checked_and_can_be_cleared(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    app.seed_units().await;
    let body = json!({ "name": "张主任", "email": "zhang@440106.example.org", "unit_code": "440106",
                       "roles": ["principal_leader"], "wecom_userid": "张 主任" });
    let (code, details) =
        error_code(app.post("/api/v1/contacts", &app.admin, &body).await, 422).await;
    assert_eq!(code, "validation_failed");
    assert_eq!(details["field"], "wecom_userid");
    let mut body = body;
    body["wecom_userid"] = json!("ZhangZhuren");
    let res = app.post("/api/v1/contacts", &app.admin, &body).await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["wecom_userid"], "ZhangZhuren");
    let res = app
        .patch(
            &format!("/api/v1/contacts/{}", created["id"].as_str().unwrap()),
            &app.admin,
            &json!({ "wecom_userid": null }),
        )
        .await;
    assert_eq!(res.status(), 200);
    let cleared: Value = res.json().await.unwrap();
    assert!(field(&cleared, "wecom_userid").is_null(), "{cleared}");
}

/// 企业微信 drops a member's messages past 30 a minute and still answers 0: the service
/// counts its own sends per member and holds the rest for the next minute, so none is
/// lost. Sixteen breached incidents: 32 messages (the notice and the reminder each).
async fn a_members_messages_past_thirty_a_minute_wait_and_none_is_dropped(backend: Backend) {
    let smtp = TestSmtp::start();
    let wecom = TestWecom::start(&["ZhangZhuren"]);
    let app = wecom_app(backend, &smtp, &wecom).await;
    change_contact(
        &app,
        PRINCIPAL,
        &json!({ "wecom_userid": "ZhangZhuren",
                 "notification_rules": [{ "channel": "wecom", "after_minutes": 0 }] }),
    )
    .await;
    for _ in 0..16 {
        app.create_incident(
            &app.admin,
            &major_incident(Duration::hours(5) + Duration::minutes(5)),
        )
        .await;
    }
    let got = wecom
        .wait_for_within("all 32 messages", StdDuration::from_secs(150), |r| {
            r.len() >= 32
        })
        .await;
    assert_eq!(wecom.dropped(), 0, "the vendor dropped none");
    assert_eq!(got.len(), 32);
    let first = got.iter().map(|m| m.at).min().unwrap();
    let last = got.iter().map(|m| m.at).max().unwrap();
    assert!(
        last - first >= Duration::seconds(60),
        "the last two waited for the next minute: {}s",
        (last - first).num_seconds()
    );
}

crate::on_both_backends!(
    a_members_messages_past_thirty_a_minute_wait_and_none_is_dropped,
    a_wecom_user_id_is_checked_and_can_be_cleared,
    a_breach_reaches_a_leader_on_wecom_too_and_the_wecom_link_acknowledges,
    a_lapsed_token_is_fetched_again_and_a_busy_answer_is_tried_again,
    an_invalid_user_fails_with_the_vendors_code_and_mail_still_goes,
);
