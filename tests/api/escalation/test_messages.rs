//! 发送测试消息: an admin tries each of a person's methods and a unit's robot, from the API
//! and the console, against the real SMTP server and the stand-ins, and reads at once
//! whether the vendor took it.

use crate::robots::{DING_SECRET, TestRobots};
use crate::sms::TestSms;
use crate::wecom::{AGENT_ID, CORP_ID, SECRET, TestWecom};

use super::*;

const PRINCIPAL: &str = "principal@440106.example.org";

async fn test(app: &TestApp, path: &str, body: &Value) -> Value {
    let res = app.post(path, &app.admin, body).await;
    assert_eq!(res.status(), 200, "{path} {body}");
    res.json().await.unwrap()
}

async fn each_method_and_robot_can_be_tried_and_says_how_it_went(backend: Backend) {
    let (smtp, wecom, sms, robots) = (
        TestSmtp::start(),
        TestWecom::start(&["ZhangZhuren"]),
        TestSms::start(),
        TestRobots::start(),
    );
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
    let principal = change_contact(
        &app,
        PRINCIPAL,
        &json!({ "wecom_userid": "ZhangZhuren", "mobile": "13800138000" }),
    )
    .await;
    let path = format!(
        "/api/v1/contacts/{}/test",
        principal["id"].as_str().unwrap()
    );

    let mail = test(&app, &path, &json!({ "channel": "email" })).await;
    assert_eq!(mail["sent"], true, "{mail}");
    let got = smtp
        .wait_for("the test mail", StdDuration::from_secs(10), |r| {
            !r.is_empty()
        })
        .await;
    assert!(
        got[0].subject.contains("【测试消息】"),
        "{:?}",
        got[0].subject
    );
    assert!(got[0].to.iter().any(|t| t.contains(PRINCIPAL)));

    let chat = test(&app, &path, &json!({ "channel": "wecom" })).await;
    assert_eq!(chat["sent"], true, "{chat}");
    assert_eq!(chat["to"], "ZhangZhuren");
    let got = wecom.wait_for("the test chat", |r| !r.is_empty()).await;
    assert!(
        got[0].content.starts_with("【测试消息】"),
        "{}",
        got[0].content
    );

    let text = test(&app, &path, &json!({ "channel": "sms" })).await;
    assert_eq!(text["sent"], true, "{text}");
    let got = sms.wait_for("the test SMS", |r| !r.is_empty()).await;
    assert_eq!(got[0].mobile, "13800138000");

    // The vendor's refusal comes back as it was said.
    sms.answer_next(&[(200, "isv.MOBILE_NUMBER_ILLEGAL")]);
    let refused = test(&app, &path, &json!({ "channel": "sms" })).await;
    assert_eq!(refused["sent"], false);
    assert_eq!(refused["transient"], false);
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("isv.MOBILE_NUMBER_ILLEGAL"),
        "{refused}"
    );
    // A method the person has no address for is the caller's mistake.
    let deputy = change_contact(&app, "deputy@440106.example.org", &json!({})).await;
    let res = app
        .post(
            &format!("/api/v1/contacts/{}/test", deputy["id"].as_str().unwrap()),
            &app.admin,
            &json!({ "channel": "sms" }),
        )
        .await;
    let (_, details) = error_code(res, 422).await;
    assert_eq!(details["field"], "channel");

    // A robot: signed, to the group.
    let robot: Value = app
        .post(
            "/api/v1/robots",
            &app.admin,
            &json!({ "unit_code": "440106", "kind": "dingtalk", "name": "值班群",
                     "webhook": robots.dingtalk_webhook(), "secret": DING_SECRET }),
        )
        .await
        .json()
        .await
        .unwrap();
    let tried = test(
        &app,
        &format!("/api/v1/robots/{}/test", robot["id"].as_str().unwrap()),
        &json!({}),
    )
    .await;
    assert_eq!(tried["sent"], true, "{tried}");
    assert_eq!(tried["channel"], "dingtalk");
    let got = robots
        .wait_for("the robot's test", StdDuration::from_secs(10), |r| {
            !r.is_empty()
        })
        .await;
    assert!(got[0].text.contains("【测试消息】"), "{:?}", got[0]);
    assert_eq!(robots.refusals(), (0, 0));

    // From the console, the page says so at once.
    app.account(
        "admin",
        "系统管理员",
        yuqing_tracker::domain::access::Role::Admin,
        None,
    )
    .await;
    let mut console = crate::console::Console::signed_in(&app, "admin").await;
    console.get("/directory").await;
    let page = console
        .post(
            &format!(
                "/directory/contacts/{}/test",
                principal["id"].as_str().unwrap()
            ),
            &[("channel", "sms")],
        )
        .await;
    assert!(
        page.body.contains("测试消息已发出：短信 → 13800138000"),
        "{}",
        page.body
    );
    console.get("/directory/robots").await;
    let page = console
        .post(
            &format!("/directory/robots/{}/test", robot["id"].as_str().unwrap()),
            &[],
        )
        .await;
    assert!(
        page.body.contains("测试消息已发到钉钉群「值班群」"),
        "{}",
        page.body
    );
    // Nothing of it entered the queue.
    let incidents: Value = app
        .get("/api/v1/incidents", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(incidents["items"].as_array().unwrap().len(), 0);
}

crate::on_both_backends!(each_method_and_robot_can_be_tried_and_says_how_it_went);
