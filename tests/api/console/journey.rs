//! A duty officer's night, in a real browser: sign in, log a major incident discovered
//! 4 h 59 min 50 s ago, watch both clocks count down and the statement clock slip, see
//! the breach mail go out through a real SMTP server, record the statement, move the
//! incident through the handling flow and close it with the published outcome.

use std::time::Duration;

use yuqing_tracker::domain::access::Role;

use super::PASSWORD;
use super::browser::{Browser, Engine, PHONE};
use crate::escalation::smtp_app;
use crate::helpers::Backend;
use crate::in_browsers;
use crate::smtp::TestSmtp;

fn local_input(ago: chrono::Duration) -> String {
    let zone: chrono_tz::Tz = "Asia/Shanghai".parse().unwrap();
    (chrono::Utc::now() - ago)
        .with_timezone(&zone)
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

async fn a_duty_officer_logs_a_major_incident_and_follows_it_to_closure(
    backend: Backend,
    engine: Engine,
) {
    let smtp = TestSmtp::start();
    let app = smtp_app(backend, smtp.port).await;
    app.account("duty", "值班员甲", Role::DutyOfficer, None)
        .await;
    let browser = Browser::start(engine, 1366, 768).await;

    // Signing in, from the page that asked.
    browser.goto(&format!("{}/", app.base)).await;
    assert_eq!(browser.path().await, "/login");
    browser.fill("#login", "duty").await;
    browser.fill("#password", PASSWORD).await;
    browser.click_and_wait("button[type=submit]").await;
    assert_eq!(browser.path().await, "/");

    // Logging the incident.
    browser.click_and_wait("a[href='/incidents/new']").await;
    assert_eq!(browser.path().await, "/incidents/new");
    browser.fill("#title", "网传某区个税汇算退税被暂停").await;
    browser
        .fill(
            "#summary",
            "微博用户称退税申请被退回，转发800余次，评论区出现不实说法。",
        )
        .await;
    browser.set_value("#severity", "major").await;
    let discovered =
        chrono::Duration::hours(4) + chrono::Duration::minutes(59) + chrono::Duration::seconds(50);
    browser
        .set_value("#discovered_at", &local_input(discovered))
        .await;
    browser.click("input[name=unit][value='440106']").await;
    browser
        .click_and_wait("form.incident-form button[type=submit]")
        .await;
    let path = browser.path().await;
    assert!(path.starts_with("/incidents/YQ-"), "landed on {path}");
    let reference = path.trim_start_matches("/incidents/").to_owned();

    // The clocks, nearest deadline first, counting down: the statement has seconds
    // left, then slips; the first report to the city is due an hour after logging.
    let clocks = browser
        .client
        .find_all(fantoccini::Locator::Css(".clock-panel .clock[data-due]"))
        .await
        .unwrap();
    assert_eq!(clocks.len(), 3, "statement, first report, press conference");
    let statement = browser.text(".clock-panel .clock:first-child").await;
    assert!(
        statement.contains("发布权威信息") && statement.contains("剩余 0:00:"),
        "{statement}"
    );
    let first = browser.text(".clock-panel .clock:nth-child(2)").await;
    assert!(
        first.contains("首报") && first.contains("剩余 0:59:"),
        "{first}"
    );
    let press = browser.text(".clock-panel .clock:nth-child(3)").await;
    assert!(
        press.contains("举行新闻发布会") && press.contains("剩余 19:"),
        "{press}"
    );
    browser
        .wait_for_text(
            "the statement clock to show the breach",
            false,
            Duration::from_secs(30),
            |t| t.contains("超时 0:00:") && t.contains("已超时"),
        )
        .await;

    // The breach mail, listed as sent once the SMTP server took it.
    browser
        .wait_for_text(
            "the breach mail listed as sent",
            true,
            Duration::from_secs(40),
            |t| {
                t.lines().any(|l| {
                    l.contains("超时告警") && l.contains("发布权威信息") && l.contains("已发送")
                })
            },
        )
        .await;
    let breach_mails: Vec<_> = smtp
        .received()
        .into_iter()
        .filter(|m| m.subject.contains("【舆情超时】"))
        .collect();
    assert!(
        !breach_mails.is_empty(),
        "the SMTP server received the breach mail"
    );
    browser.screenshot("incident-breached-1366x768").await;

    // The statement, recorded: the clock stops, late.
    browser.open_details("#milestone-form").await;
    browser
        .set_value("#m-kind", "authoritative_statement")
        .await;
    browser.fill("#m-channel", "区税务局官方微博").await;
    browser
        .fill("#m-url", "https://weibo.com/tax/statement-1")
        .await;
    browser
        .click_and_wait("#milestone-form button[type=submit]")
        .await;
    let statement = browser.text(".clock-panel .clock:first-child").await;
    assert!(statement.contains("超时完成"), "{statement}");
    let first = browser.text(".clock-panel .clock:nth-child(2)").await;
    assert!(
        first.contains("首报") && first.contains("剩余 0:5"),
        "{first}"
    );
    let press = browser.text(".clock-panel .clock:nth-child(3)").await;
    assert!(
        press.contains("剩余"),
        "the press conference clock still runs: {press}"
    );

    // Through the handling flow to closure.
    for (to, label) in [
        ("assessing", "研判中"),
        ("verifying", "核实中"),
        ("responding", "回应中"),
        ("evaluating", "评估中"),
    ] {
        browser.open_details("#status-form").await;
        browser.set_value("#s-to", to).await;
        browser
            .click_and_wait("#status-form button[type=submit]")
            .await;
        let head = browser.text(".incident-head").await;
        assert!(head.contains(label), "now {label}: {head}");
    }
    browser.open_details("#close-form").await;
    browser
        .fill(
            "#c-summary",
            "经核实，退税未暂停；已发布权威说明并回应网民关切。",
        )
        .await;
    browser
        .fill("#c-channel", "区税务局官方微博、微信公众号")
        .await;
    browser
        .fill("#c-url", "https://weibo.com/tax/statement-1")
        .await;
    browser
        .click_and_wait("#close-form button[type=submit]")
        .await;
    let head = browser.text(".incident-head").await;
    assert!(head.contains("已办结"), "{head}");
    let body = browser.text("body").await;
    assert!(
        body.contains("经核实，退税未暂停"),
        "the published outcome is shown"
    );
    assert!(
        !browser.exists("#milestone-form").await,
        "a closed incident offers no actions"
    );
    assert!(
        body.contains("值班员甲（duty）"),
        "the timeline names the account"
    );

    // The API agrees.
    let incident: serde_json::Value = app
        .get(&format!("/api/v1/incidents/{reference}"), &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(incident["status"], "closed");
    let states: Vec<&str> = incident["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["state"].as_str().unwrap())
        .collect();
    assert!(
        states.contains(&"met_late") && states.contains(&"cancelled"),
        "{states:?}"
    );
    browser.close().await;
}

/// The link on the line of a mail's text that starts with `label`, pointed at this app.
fn link(text: &str, label: &str, base: &str) -> String {
    let url = text
        .lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label} line in:\n{text}"))
        .trim();
    // Mail links use server.public_url (the default 127.0.0.1:8080); the test app
    // listens on a random port.
    url.replace("http://127.0.0.1:8080", base)
}

async fn a_leader_opens_the_mail_link_on_a_phone_and_acknowledges(
    backend: Backend,
    engine: Engine,
) {
    let smtp = TestSmtp::start();
    let app = smtp_app(backend, smtp.port).await;
    app.account("principal", "区局局长", Role::Leader, Some("440106"))
        .await;
    let incident = app
        .create_incident(
            &app.admin,
            &crate::helpers::major_incident(chrono::Duration::minutes(20)),
        )
        .await;
    let reference = incident["reference"].as_str().unwrap().to_owned();
    let mails = smtp
        .wait_for(
            "the new-major notice to the principal",
            Duration::from_secs(30),
            |r| {
                r.iter()
                    .any(|m| m.to.iter().any(|t| t == "principal@440106.example.org"))
            },
        )
        .await;
    let mail = mails
        .iter()
        .find(|m| m.to.iter().any(|t| t == "principal@440106.example.org"))
        .unwrap();
    let view = link(&mail.text, "查看舆情：", &app.base);
    assert!(view.ends_with(&format!("/incidents/{reference}")), "{view}");
    let ack = link(&mail.text, "确认已知悉：", &app.base);

    let (w, h) = engine.narrowest(PHONE);
    let browser = Browser::start(engine, w, h).await;
    browser.goto(&view).await;
    assert_eq!(browser.path().await, "/login", "sign-in first");
    browser.fill("#login", "principal").await;
    browser.fill("#password", PASSWORD).await;
    browser.click_and_wait("button[type=submit]").await;
    assert_eq!(
        browser.path().await,
        format!("/incidents/{reference}"),
        "then back to the incident"
    );
    assert!(!browser.scrolls_sideways().await);
    let head = browser.text(".incident-head").await;
    assert!(head.contains(&reference), "{head}");
    // What a leader needs first (clocks, facts) fits a few screens; the reminder table
    // and the handling forms open on request. (Unfolded, the page was 6,400 px.)
    let tall = browser
        .client
        .execute("return document.documentElement.scrollHeight;", vec![])
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    eprintln!("the leader's incident page at {w}x{h} is {tall} px tall");
    assert!(tall < 4 * h as i64, "{tall} px");
    assert!(
        browser.exists("details.fold:not([open])").await,
        "the reminder table opens on request"
    );
    browser
        .screenshot(&format!("leader-incident-{w}x{h}"))
        .await;

    browser.goto(&ack).await;
    assert!(browser.text("h1").await.contains("确认已知悉"));
    assert!(!browser.scrolls_sideways().await);
    browser
        .screenshot(&format!("leader-ack-confirm-{w}x{h}"))
        .await;
    browser.click_and_wait("button[type=submit]").await;
    assert!(browser.text("h1").await.contains("已确认"));
    browser
        .screenshot(&format!("leader-ack-done-{w}x{h}"))
        .await;
    let kinds = app.timeline_kinds(incident["id"].as_str().unwrap()).await;
    assert!(kinds.iter().any(|k| k == "acknowledged"), "{kinds:?}");
    browser.close().await;
}

in_browsers!(
    a_duty_officer_logs_a_major_incident_and_follows_it_to_closure,
    a_leader_opens_the_mail_link_on_a_phone_and_acknowledges,
);
