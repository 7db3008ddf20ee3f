//! Every page at 1366×768 (an office desktop) and 390×844 (a phone; Firefox: 500×844, its
//! narrowest window), saved as PNGs under
//! target/screenshots; at phone width no page scrolls sideways.

use serde_json::json;
use yuqing_tracker::domain::access::Role;

use super::PASSWORD;
use super::browser::{Browser, Engine, PHONE};
use crate::helpers::{Backend, TestApp, major_incident, spawn_app};
use crate::in_browsers;

const DESKTOP: (u32, u32) = (1366, 768);

async fn seed(app: &TestApp) -> String {
    app.seed_directory().await;
    let mut first = String::new();
    for (title, ago_minutes, severity, unit) in [
        ("网传某区个税汇算退税被暂停", 370, "major", "440106"),
        (
            "自媒体称社保费征收口径将大幅调整",
            250,
            "extremely_major",
            "4401",
        ),
        ("纳税人反映电子税务局申报页面卡顿", 40, "major", "440111"),
        ("办税服务厅周末排长队引发吐槽", 20, "general", "440106"),
    ] {
        let mut body = major_incident(chrono::Duration::minutes(ago_minutes));
        body["title"] = json!(title);
        body["severity"] = json!(severity);
        body["responsible_units"] = json!([{ "code": unit, "first_responsible": true }]);
        let incident = app.create_incident(&app.admin, &body).await;
        if first.is_empty() {
            first = incident["reference"].as_str().unwrap().to_owned();
        }
    }
    first
}

async fn each_page_fits_a_desktop_and_a_phone(backend: Backend, engine: Engine) {
    let app = spawn_app(backend).await;
    let breached = seed(&app).await;
    let briefing: serde_json::Value = app
        .post(
            &format!("/api/v1/incidents/{breached}/briefings"),
            &app.admin,
            &json!({ "kind": "first_report",
                     "event": "微博用户称退税申请被退回，转发 800 余次，评论区出现不实说法。",
                     "location": "新浪微博",
                     "discovered_at": (chrono::Utc::now() - chrono::Duration::minutes(370)).to_rfc3339(),
                     "spread": "转发 800 余次，评论 1200 条，本地两家自媒体转载。",
                     "units_involved": "天河区税务局",
                     "actions": "已联系当事人核实退税进度，正在起草情况说明。",
                     "next_steps": "今日 18 时前在官方微博发布说明。",
                     "contact": "办公室 王某 020-00000000" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let briefing = briefing["id"].as_str().unwrap().to_owned();
    let robot = app
        .post(
            "/api/v1/robots",
            &app.admin,
            &json!({ "unit_code": "440106", "kind": "dingtalk", "name": "天河区局舆情值班群",
                     "webhook": "https://oapi.dingtalk.com/robot/send?access_token=3f2a9c0d11e84b7f9a6c5d4e3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a",
                     "secret": "SEC000000000000000000000000000000000000000000000000000000000000000" }),
        )
        .await;
    assert_eq!(robot.status(), 201);
    app.account("admin", "管理员甲", Role::Admin, None).await;
    let browser = Browser::start(engine, DESKTOP.0, DESKTOP.1).await;
    let sizes = [DESKTOP, engine.narrowest(PHONE)];
    let db = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };

    browser.goto(&format!("{}/login", app.base)).await;
    for (w, h) in sizes {
        browser.resize(w, h).await;
        assert!(!browser.scrolls_sideways().await, "sign-in at {w}px");
        browser.screenshot(&format!("{db}-signin-{w}x{h}")).await;
    }
    browser.resize(DESKTOP.0, DESKTOP.1).await;
    browser.fill("#login", "admin").await;
    browser.fill("#password", PASSWORD).await;
    browser.click_and_wait("button[type=submit]").await;

    for (name, path) in [
        ("board", "/".to_owned()),
        ("wall", "/?wall=1".to_owned()),
        ("new-incident", "/incidents/new".to_owned()),
        ("incident", format!("/incidents/{breached}")),
        ("list", "/incidents".to_owned()),
        ("report", "/report".to_owned()),
        (
            "briefing-form",
            format!("/incidents/{breached}/briefings/new"),
        ),
        ("inbox", "/inbox".to_owned()),
        ("briefing", format!("/briefings/{briefing}")),
        ("directory", "/directory".to_owned()),
        ("robots", "/directory/robots".to_owned()),
        ("accounts", "/accounts".to_owned()),
        ("password", "/account/password".to_owned()),
    ] {
        browser.goto(&format!("{}{path}", app.base)).await;
        for (w, h) in sizes {
            browser.resize(w, h).await;
            assert!(
                !browser.scrolls_sideways().await,
                "{name} scrolls sideways at {w}px"
            );
            browser.screenshot(&format!("{db}-{name}-{w}x{h}")).await;
        }
        browser.resize(DESKTOP.0, DESKTOP.1).await;
    }

    // The directory's contact editor open: contact methods and the notification rule.
    browser.goto(&format!("{}/directory", app.base)).await;
    browser.open_details("fieldset.rules").await;
    for (w, h) in sizes {
        browser.resize(w, h).await;
        browser
            .client
            .execute(
                "document.querySelector('fieldset.rules').scrollIntoView(); return null;",
                vec![],
            )
            .await
            .unwrap();
        assert!(
            !browser.scrolls_sideways().await,
            "the contact editor scrolls sideways at {w}px"
        );
        browser
            .screenshot(&format!("{db}-contact-rules-{w}x{h}"))
            .await;
    }
    browser.resize(DESKTOP.0, DESKTOP.1).await;

    // The keyboard: the first Tab lands on the skip link, which is visible when focused.
    browser.goto(&format!("{}/", app.base)).await;
    browser
        .client
        .execute("document.body.focus(); return null;", vec![])
        .await
        .unwrap();
    browser
        .client
        .active_element()
        .await
        .unwrap()
        .send_keys(fantoccini::key::Key::Tab.to_string().as_str())
        .await
        .unwrap();
    let skip = browser
        .client
        .execute(
            "const a = document.activeElement; const r = a.getBoundingClientRect(); \
             return [a.className, r.left >= 0, getComputedStyle(a).outlineStyle];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(skip[0], "skip", "Tab reaches the skip link first: {skip}");
    assert_eq!(skip[1], true, "and shows it: {skip}");

    // The board shows breached and at-risk by text as well as colour.
    browser.goto(&format!("{}/", app.base)).await;
    let board = browser.text("#board-rows").await;
    assert!(
        board.contains("已超时") && board.contains("临近时限"),
        "{board}"
    );
    browser.close().await;
}

in_browsers!(each_page_fits_a_desktop_and_a_phone);
