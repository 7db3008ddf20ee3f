//! Personal notification rules end to end, against the SMTP server and the 企业微信 and
//! SMS stand-ins over real HTTP: each method of a person's rule goes at its moment (the
//! role's rule from config, or their own), acknowledging from the 企业微信 link stops the
//! SMS still waiting, and the SMS gateway's answers are told apart.

use crate::sms::TestSms;
use crate::wecom::{AGENT_ID, CORP_ID, SECRET, TestWecom};

use super::*;

const PRINCIPAL: &str = "principal@440106.example.org";
const DEPUTY: &str = "deputy@440106.example.org";

async fn app_on_every_channel(
    backend: Backend,
    smtp: &TestSmtp,
    wecom: &TestWecom,
    sms: &TestSms,
) -> TestApp {
    let app = spawn_app_with(backend, |s| {
        use_smtp(s, smtp.port);
        let w = &mut s.channels.wecom;
        w.enabled = true;
        w.api_base = wecom.base.clone();
        w.corp_id = CORP_ID.into();
        w.agent_id = AGENT_ID;
        w.secret = SECRET.to_owned().into();
        w.timeout_seconds = 2;
        sms.configure(s);
    })
    .await;
    app.seed_directory().await;
    app
}

/// The rows to `address` of `step` of the statement clock (or of the notice).
fn rows_of<'a>(rows: &'a [Value], address: &str, step: &str) -> Vec<&'a Value> {
    let statement = |r: &Value| r["clock_id"] == rows_clock(rows, "new_major");
    rows.iter()
        .filter(|r| r["address"] == address && r["step"] == step && statement(r))
        .collect()
}

/// The clock the new-major notice went with: the statement's, the nearest deadline.
fn rows_clock(rows: &[Value], step: &str) -> Value {
    rows.iter()
        .find(|r| r["step"] == step)
        .map(|r| r["clock_id"].clone())
        .expect("a new-major notice")
}

/// The principal leader follows the role's rule (企业微信 and mail at once, SMS after 10
/// minutes unacknowledged); the deputy has their own (SMS at once, nothing else).
async fn each_method_goes_at_its_moment_and_the_wecom_link_stops_the_sms(backend: Backend) {
    let (smtp, wecom, sms) = (
        TestSmtp::start(),
        TestWecom::start(&["ZhangZhuren"]),
        TestSms::start(),
    );
    let app = app_on_every_channel(backend, &smtp, &wecom, &sms).await;
    change_contact(
        &app,
        PRINCIPAL,
        &json!({ "wecom_userid": "ZhangZhuren", "mobile": "13800138000" }),
    )
    .await;
    let deputy = change_contact(
        &app,
        DEPUTY,
        &json!({ "mobile": "13900139000",
                 "notification_rules": [{ "channel": "sms", "after_minutes": 0 }] }),
    )
    .await;
    assert_eq!(deputy["notification_rules"][0]["channel"], "sms");
    // Logged three minutes after the statement's deadline.
    let incident = app
        .create_incident(
            &app.admin,
            &major_incident(Duration::hours(5) + Duration::minutes(3)),
        )
        .await;
    let id = incident["id"].as_str().unwrap().to_owned();
    let statement = clock(&incident, "authoritative_statement");
    let deadline = at(&statement["due_at"]);
    let rows = wait_rows(
        &app,
        &id,
        "the breach on 企业微信, mail and the deputy's SMS",
        |rows| {
            let sent = |address: &str| {
                rows_of(rows, address, "breach")
                    .iter()
                    .any(|r| r["status"] == "sent" && r["clock_id"] == statement["id"])
            };
            sent("ZhangZhuren") && sent(PRINCIPAL) && sent("13900139000")
        },
    )
    .await;
    let on_statement: Vec<&Value> = rows
        .iter()
        .filter(|r| r["clock_id"] == statement["id"])
        .collect();
    // The principal's SMS waits ten minutes past the breach for an acknowledgement.
    let principal_sms = rows_of(&rows, "13800138000", "breach");
    assert_eq!(principal_sms.len(), 1, "{rows:#?}");
    assert_eq!(principal_sms[0]["after_minutes"], 10);
    assert_eq!(principal_sms[0]["status"], "pending");
    assert_eq!(
        at(&principal_sms[0]["due_at"]),
        deadline + Duration::minutes(10)
    );
    // Its SMS of the step before (30 minutes before the deadline, due 20 minutes before)
    // is outranked by the breach, which the principal has been told of.
    let before = rows_of(&rows, "13800138000", "before_30m");
    assert_eq!(before.len(), 1);
    assert_eq!(before[0]["status"], "superseded", "{before:#?}");
    // The deputy's own rule: SMS only, at the breach itself; no mail at all.
    assert!(
        on_statement.iter().all(|r| r["address"] != DEPUTY),
        "the deputy's rule has no mail: {on_statement:#?}"
    );
    let to_deputy = sms.wait_for("the deputy's SMS", |r| !r.is_empty()).await;
    assert!(
        to_deputy.iter().all(|r| r.mobile == "13900139000"),
        "{to_deputy:#?}"
    );
    let breach_sms = rows_of(&rows, "13900139000", "breach")[0];
    assert_eq!(breach_sms["after_minutes"], 0);
    assert_eq!(at(&breach_sms["due_at"]), deadline);
    let got = to_deputy
        .iter()
        .find(|r| r.out_id == breach_sms["message_id"].as_str().unwrap())
        .expect("the gateway got this service's own id as OutId");
    assert_eq!(got.params["reference"], incident["reference"]);
    assert_eq!(got.params["step"], "超时告警");
    assert!(
        got.params["link"].as_str().unwrap().contains("/ack/"),
        "{got:?}"
    );

    // Acknowledged from the 企业微信 message: the principal's SMS still waiting is
    // withdrawn, and no SMS reaches their number.
    let text = wecom
        .wait_for("the principal's reminder", |r| {
            r.iter().any(|m| m.content.starts_with("【舆情超时】"))
        })
        .await
        .into_iter()
        .find(|m| m.content.starts_with("【舆情超时】"))
        .unwrap();
    assert!(
        text.at >= deadline,
        "the breach goes at the deadline, not before"
    );
    let text = text.content;
    acknowledge_from(&app, &text).await;
    let rows = app.notifications(&id).await;
    let waiting: Vec<&Value> = rows
        .iter()
        .filter(|r| r["clock_id"] == statement["id"] && r["address"] == "13800138000")
        .filter(|r| r["status"] == "pending")
        .collect();
    assert!(waiting.is_empty(), "{waiting:#?}");
    let withdrawn = rows_of(&rows, "13800138000", "breach")[0];
    assert_eq!(withdrawn["status"], "cancelled");
    assert_eq!(withdrawn["last_error"], "acknowledged");
    assert!(sms.received().iter().all(|r| r.mobile != "13800138000"));
    assert_eq!(sms.repeated(), 0);

    // The incident page says when the SMS was to go.
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
    assert!(
        page.body.contains("<td data-label=\"渠道\">短信</td>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("到期10分钟后仍未确认时"),
        "{}",
        page.body
    );
}

/// Unacknowledged past the delay, the SMS goes; the gateway's flow control is waited
/// out, a number it refuses fails with its code while mail still goes.
async fn an_unacknowledged_leader_gets_the_sms_and_gateway_answers_are_told_apart(
    backend: Backend,
) {
    let (smtp, wecom, sms) = (TestSmtp::start(), TestWecom::start(&[]), TestSms::start());
    let app = app_on_every_channel(backend, &smtp, &wecom, &sms).await;
    change_contact(&app, PRINCIPAL, &json!({ "mobile": "13800138000" })).await;
    // Flow control once: tried again after the engine's backoff.
    sms.answer_next(&[(200, "isv.BUSINESS_LIMIT_CONTROL")]);
    // Twelve minutes past the deadline: the breach's SMS was due two minutes ago.
    let incident = app
        .create_incident(
            &app.admin,
            &major_incident(Duration::hours(5) + Duration::minutes(12)),
        )
        .await;
    let id = incident["id"].as_str().unwrap().to_owned();
    let rows = wait_rows(&app, &id, "the principal's SMS sent", |rows| {
        rows_of(rows, "13800138000", "breach")
            .iter()
            .any(|r| r["status"] == "sent")
    })
    .await;
    let row = rows_of(&rows, "13800138000", "breach")[0];
    assert_eq!(row["attempts"], 2, "{row}");
    let got = sms.received();
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].out_id, row["message_id"].as_str().unwrap());
    assert!(got[0].at >= at(&row["due_at"]), "not before its moment");
    assert!(!got[0].out_id.contains('-') && got[0].out_id.len() <= 64);
    let mail = rows_of(&rows, PRINCIPAL, "breach")[0].clone();
    assert!(at(&row["due_at"]) - at(&mail["due_at"]) == Duration::minutes(10));
    // The new-major notice's SMS waits its ten minutes too.
    let notice = rows_of(&rows, "13800138000", "new_major");
    assert_eq!(notice.len(), 1);
    assert_eq!(notice[0]["status"], "pending");

    // A number the gateway refuses: failed with its code, and the mail went.
    sms.answer_next(&[(200, "isv.MOBILE_NUMBER_ILLEGAL")]);
    let second = app
        .create_incident(
            &app.admin,
            &major_incident(Duration::hours(5) + Duration::minutes(12)),
        )
        .await;
    let id = second["id"].as_str().unwrap().to_owned();
    let rows = wait_rows(&app, &id, "the SMS refused", |rows| {
        rows_of(rows, "13800138000", "breach")
            .iter()
            .any(|r| r["status"] == "failed")
    })
    .await;
    let failed = rows_of(&rows, "13800138000", "breach")[0];
    assert!(
        failed["last_error"]
            .as_str()
            .unwrap()
            .contains("isv.MOBILE_NUMBER_ILLEGAL"),
        "{failed}"
    );
    assert_eq!(failed["attempts"], 1);
    wait_rows(&app, &id, "the mail sent", |rows| {
        rows_of(rows, PRINCIPAL, "breach")
            .iter()
            .any(|r| r["status"] == "sent")
    })
    .await;
}

async fn contact_methods_and_rules_are_checked(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    app.seed_units().await;
    let base = json!({ "name": "张主任", "email": "zhang@440106.example.org", "unit_code": "440106",
                       "roles": ["principal_leader"] });
    let refused = |change: Value| {
        let mut body = base.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    for (change, field_name) in [
        (json!({ "mobile": "12345" }), "mobile"),
        (json!({ "mobile": "1380013800a" }), "mobile"),
        (json!({ "notification_rules": [] }), "notification_rules"),
        (
            json!({ "notification_rules": [{ "channel": "sms", "after_minutes": 0 },
                                            { "channel": "sms", "after_minutes": 5 }] }),
            "notification_rules[1].channel",
        ),
        (
            json!({ "notification_rules": [{ "channel": "email", "after_minutes": 1441 }] }),
            "notification_rules[0].after_minutes",
        ),
        (
            json!({ "notification_rules": [{ "channel": "email", "after_minutes": -1 }] }),
            "notification_rules[0].after_minutes",
        ),
    ] {
        let (code, details) = error_code(
            app.post("/api/v1/contacts", &app.admin, &refused(change.clone()))
                .await,
            422,
        )
        .await;
        assert_eq!(code, "validation_failed", "{change}");
        assert_eq!(details["field"], field_name, "{change}: {details}");
    }
    // A channel that is not a contact method, or a field a rule does not have.
    for change in [
        json!({ "notification_rules": [{ "channel": "fax", "after_minutes": 0 }] }),
        json!({ "notification_rules": [{ "channel": "sms", "after": 0 }] }),
    ] {
        let res = app
            .post("/api/v1/contacts", &app.admin, &refused(change.clone()))
            .await;
        assert!(res.status().is_client_error(), "{change}: {}", res.status());
        let body: Value = res.json().await.unwrap();
        assert!(
            body["error"]["details"]["field"]
                .as_str()
                .unwrap_or_default()
                .starts_with("notification_rules"),
            "{change}: {body}"
        );
    }
    // Nothing was written by the refusals.
    let list: Value = app
        .get("/api/v1/contacts", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 0);

    let body = refused(json!({
        "mobile": "+86 138-0013-8000",
        "notification_rules": [{ "channel": "sms", "after_minutes": 10 },
                               { "channel": "wecom", "after_minutes": 0 }],
    }));
    let res = app.post("/api/v1/contacts", &app.admin, &body).await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["mobile"], "13800138000");
    assert_eq!(
        created["notification_rules"],
        json!([{ "channel": "wecom", "after_minutes": 0 },
               { "channel": "sms", "after_minutes": 10 }]),
        "kept earliest first"
    );
    let path = format!("/api/v1/contacts/{}", created["id"].as_str().unwrap());
    let res = app
        .patch(
            &path,
            &app.admin,
            &json!({ "notification_rules": null, "mobile": null }),
        )
        .await;
    assert_eq!(res.status(), 200);
    let cleared: Value = res.json().await.unwrap();
    assert!(field(&cleared, "notification_rules").is_null(), "{cleared}");
    assert!(field(&cleared, "mobile").is_null(), "{cleared}");
}

crate::on_both_backends!(
    contact_methods_and_rules_are_checked,
    each_method_goes_at_its_moment_and_the_wecom_link_stops_the_sms,
    an_unacknowledged_leader_gets_the_sms_and_gateway_answers_are_told_apart,
);
