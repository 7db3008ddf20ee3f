//! Units' group robots end to end, against the 企业微信, 钉钉 and 飞书 stand-ins over real
//! HTTP: added with their credentials masked, a breach reaches each robot of the unit
//! (signed where the vendor signs, @ the leader by mobile), and sixty breaches in a
//! minute reach a robot merged, within its 20 a minute, none refused.

use std::time::Duration as StdDuration;

use crate::robots::{DING_SECRET, DING_TOKEN, FEISHU_SECRET, TestRobots};

use super::*;

const PRINCIPAL: &str = "principal@440106.example.org";

async fn add_robot(app: &TestApp, body: Value) -> Value {
    let res = app.post("/api/v1/robots", &app.admin, &body).await;
    assert_eq!(res.status(), 201, "{body}");
    res.json().await.unwrap()
}

async fn robots_are_added_with_their_credentials_masked(backend: Backend) {
    let robots = TestRobots::start();
    let app = spawn_app_with(backend, |_| {}).await;
    app.seed_units().await;
    let ding = json!({ "unit_code": "440106", "kind": "dingtalk", "name": "天河区局值班群",
                       "webhook": robots.dingtalk_webhook() });
    let (code, details) =
        error_code(app.post("/api/v1/robots", &app.admin, &ding).await, 422).await;
    assert_eq!(code, "validation_failed");
    assert_eq!(details["field"], "secret", "a 钉钉 robot is signed");
    let mut bad = ding.clone();
    bad["webhook"] = json!("oapi.dingtalk.com/robot/send");
    bad["secret"] = json!(DING_SECRET);
    let (_, details) = error_code(app.post("/api/v1/robots", &app.admin, &bad).await, 422).await;
    assert_eq!(details["field"], "webhook");
    let mut good = ding;
    good["secret"] = json!(DING_SECRET);
    let created = add_robot(&app, good).await;
    let shown = created.to_string();
    assert!(
        !shown.contains(DING_TOKEN) && !shown.contains(DING_SECRET),
        "{shown}"
    );
    assert!(
        created["webhook"]
            .as_str()
            .unwrap()
            .ends_with("access_token=ding…"),
        "{created}"
    );
    assert_eq!(created["has_secret"], true);
    let list: Value = app
        .get("/api/v1/robots", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(DING_TOKEN));
    let path = format!("/api/v1/robots/{}", created["id"].as_str().unwrap());
    let res = app
        .patch(&path, &app.admin, &json!({ "active": false }))
        .await;
    assert_eq!(res.status(), 200);
    let off: Value = res.json().await.unwrap();
    assert_eq!(off["active"], false);
    // Only admins add robots.
    let duty = app
        .token(yuqing_tracker::domain::access::Role::DutyOfficer, None)
        .await;
    let res = app
        .post(
            "/api/v1/robots",
            &duty,
            &json!({ "unit_code": "440106", "kind": "wecom_robot",
                                                "name": "群", "webhook": robots.wecom_webhook() }),
        )
        .await;
    assert_eq!(res.status(), 403);
}

async fn a_breach_reaches_each_robot_of_the_unit_signed_and_mentioning_the_leader(
    backend: Backend,
) {
    let (smtp, robots) = (TestSmtp::start(), TestRobots::start());
    let app = spawn_app_with(backend, |s| use_smtp(s, smtp.port)).await;
    app.seed_directory().await;
    change_contact(&app, PRINCIPAL, &json!({ "mobile": "13800138000" })).await;
    for (kind, webhook, secret) in [
        ("wecom_robot", robots.wecom_webhook(), None),
        ("dingtalk", robots.dingtalk_webhook(), Some(DING_SECRET)),
        ("feishu", robots.feishu_webhook(), Some(FEISHU_SECRET)),
    ] {
        add_robot(
            &app,
            json!({ "unit_code": "440106", "kind": kind, "name": format!("{kind} 值班群"),
                                "webhook": webhook, "secret": secret }),
        )
        .await;
    }
    let incident = app
        .create_incident(
            &app.admin,
            &major_incident(Duration::hours(5) + Duration::minutes(3)),
        )
        .await;
    let reference = incident["reference"].as_str().unwrap();
    let id = incident["id"].as_str().unwrap();
    let got = robots
        .wait_for("a breach on each robot", StdDuration::from_secs(30), |r| {
            ["wecom_robot", "dingtalk", "feishu"].iter().all(|k| {
                r.iter()
                    .any(|m| m.kind == *k && m.text.contains("【舆情超时】"))
            })
        })
        .await;
    for m in &got {
        assert!(m.text.contains(reference), "{m:?}");
        assert!(m.text.contains(&format!("/incidents/{reference}")), "{m:?}");
        assert!(
            !m.text.contains("/ack/"),
            "a group is nobody in particular: {m:?}"
        );
    }
    let breach = |kind: &str| {
        got.iter()
            .find(|m| m.kind == kind && m.text.contains("【舆情超时】"))
            .unwrap()
            .clone()
    };
    // The principal is on the breach: @ by mobile on 企业微信 and 钉钉.
    assert!(
        breach("wecom_robot")
            .mentions
            .contains(&"13800138000".to_owned())
    );
    let ding = breach("dingtalk");
    assert!(ding.mentions.contains(&"13800138000".to_owned()));
    assert!(ding.text.contains("@13800138000"), "{ding:?}");
    assert_eq!(robots.refusals(), (0, 0), "signatures and keys held");
    let rows = wait_rows(&app, id, "the robot rows sent", |rows| {
        rows.iter()
            .filter(|r| r["recipient"]["role"] == "robot" && r["status"] == "sent")
            .count()
            >= 3
    })
    .await;
    let channels: HashSet<&str> = rows
        .iter()
        .filter(|r| r["recipient"]["role"] == "robot")
        .map(|r| r["channel"].as_str().unwrap())
        .collect();
    assert_eq!(
        channels,
        HashSet::from(["wecom_robot", "dingtalk", "feishu"])
    );
}

/// Sixty incidents breaching at the same moment, with their new-major notices before:
/// the 钉钉 robot gets merged messages, never more than 20 in a minute, none refused, and
/// every breach listed.
async fn sixty_breaches_in_a_minute_reach_a_robot_merged_within_its_limit(backend: Backend) {
    let (smtp, robots) = (TestSmtp::start(), TestRobots::start());
    let app = spawn_app_with(backend, |s| use_smtp(s, smtp.port)).await;
    app.seed_directory().await;
    add_robot(
        &app,
        json!({ "unit_code": "440106", "kind": "dingtalk", "name": "值班群",
                            "webhook": robots.dingtalk_webhook(), "secret": DING_SECRET }),
    )
    .await;
    // Every statement deadline falls at the same moment, twenty seconds from now.
    let breach_at = Utc::now() + Duration::seconds(20);
    let mut body = major_incident(Duration::zero());
    body["discovered_at"] = json!(
        (breach_at - Duration::hours(5)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    );
    let mut references = Vec::new();
    for _ in 0..60 {
        let incident = app.create_incident(&app.admin, &body).await;
        references.push(incident["reference"].as_str().unwrap().to_owned());
    }
    let got = robots
        .wait_for("every breach listed", StdDuration::from_secs(150), |r| {
            let breaches: String = r
                .iter()
                .filter(|m| m.text.contains("【舆情超时】"))
                .map(|m| m.text.as_str())
                .collect();
            references
                .iter()
                .all(|reference| breaches.contains(reference.as_str()))
        })
        .await;
    assert_eq!(robots.refusals(), (0, 0), "nothing refused");
    // Never more than 20 in any minute.
    for (i, first) in got.iter().enumerate() {
        let in_minute = got[i..]
            .iter()
            .filter(|m| m.at.duration_since(first.at) < StdDuration::from_secs(60))
            .count();
        assert!(in_minute <= 20, "{in_minute} messages in a minute");
    }
    let merged = got.iter().filter(|m| m.text.contains("舆情提醒 ")).count();
    assert!(merged > 0, "some messages list several reminders");
    assert!(
        got.len() < 120,
        "120 reminders went as {} messages",
        got.len()
    );
}

crate::on_both_backends!(
    robots_are_added_with_their_credentials_masked,
    a_breach_reaches_each_robot_of_the_unit_signed_and_mentioning_the_leader,
    sixty_breaches_in_a_minute_reach_a_robot_merged_within_its_limit,
);
