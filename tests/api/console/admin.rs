//! Admin pages: the directory, accounts and tokens, within the admin's scope; and an
//! admin setting up an office from nothing in the browser, as the README's first steps do.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use yuqing_tracker::domain::access::Role;

use super::browser::{Browser, Engine};
use super::{Console, PASSWORD};
use crate::helpers::{Backend, spawn_app};
use crate::{in_browsers, on_both_backends};

async fn an_admin_sets_up_an_office_and_a_duty_officer_logs_an_incident(
    backend: Backend,
    engine: Engine,
) {
    let app = spawn_app(backend).await;
    app.account("admin", "系统管理员", Role::Admin, None).await;
    let browser = Browser::start(engine, 1366, 768).await;
    browser.goto(&format!("{}/login", app.base)).await;
    browser.fill("#login", "admin").await;
    browser.fill("#password", PASSWORD).await;
    browser.click_and_wait("button[type=submit]").await;

    // Units: the city bureau, then a district below it.
    browser.click_and_wait("a[href='/directory']").await;
    for (i, (name, code, level, parent)) in [
        ("广州市税务局", "4401", "city_bureau", ""),
        ("天河区税务局", "440106", "district_bureau", "4401"),
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            // After a unit is added its form stays open for the next one.
            assert!(browser.exists("details[open] #unit-form").await);
        }
        browser.open_details("#unit-form").await;
        browser.fill("#u-name", name).await;
        browser.fill("#u-code", code).await;
        browser.set_value("#u-level", level).await;
        browser.set_value("#u-parent", parent).await;
        browser
            .click_and_wait("#unit-form button[type=submit]")
            .await;
        assert!(browser.text(".notice").await.contains("单位已添加"));
    }
    // A contact who will get the mail.
    browser.open_details("#contact-form").await;
    browser.fill("#c-name", "李局长").await;
    browser
        .fill("#c-email", "principal@440106.example.org")
        .await;
    browser.set_value("#c-unit", "440106").await;
    browser
        .click("#contact-form input[value='principal_leader']")
        .await;
    browser
        .click_and_wait("#contact-form button[type=submit]")
        .await;
    let body = browser.text("body").await;
    assert!(
        body.contains("李局长") && body.contains("主要负责人"),
        "{body}"
    );
    assert!(browser.exists("details[open] #contact-form").await);
    browser.screenshot("admin-directory-1366x768").await;

    // 停用 asks first: the row's button opens a confirmation saying what follows.
    browser.click(".confirm summary").await;
    let confirm = browser.text(".confirm[open]").await;
    assert!(confirm.contains("停用「广州市税务局」后"), "{confirm}");
    browser.screenshot("admin-directory-confirm-1366x768").await;
    browser
        .click_and_wait(".confirm[open] button[type=submit]")
        .await;
    let body = browser.text("body").await;
    assert!(body.contains("已停用"), "{body}");
    // Back again, for the rest of the walk.
    browser
        .click_and_wait("form[action='/directory/units/4401/active'] button[type=submit]")
        .await;
    assert!(!browser.text("body").await.contains("已停用"));

    // The duty officer's account, limited to the district.
    browser.click_and_wait("a[href='/accounts']").await;
    browser.open_details("#account-form").await;
    browser.fill("#a-name", "王值班").await;
    browser.fill("#a-login", "wangzb").await;
    browser.set_value("#a-role", "duty_officer").await;
    browser.set_value("#a-unit", "440106").await;
    browser.fill("#a-password", "天河值班初始密码123").await;
    browser
        .click_and_wait("#account-form button[type=submit]")
        .await;
    assert!(browser.text(".notice").await.contains("账号已创建"));
    browser.screenshot("admin-accounts-1366x768").await;
    browser.click_and_wait(".me button[type=submit]").await;
    assert_eq!(browser.path().await, "/login", "signed out");

    // The duty officer logs a major incident in well under a minute.
    let started = std::time::Instant::now();
    browser.fill("#login", "wangzb").await;
    browser.fill("#password", "天河值班初始密码123").await;
    browser.click_and_wait("button[type=submit]").await;
    browser.click_and_wait("a[href='/incidents/new']").await;
    browser.fill("#title", "网传天河区办税服务厅暂停办理").await;
    browser
        .fill("#summary", "短视频称服务厅关闭，播放量5万。")
        .await;
    browser.set_value("#severity", "major").await;
    browser.click("input[name=unit][value='440106']").await;
    browser
        .click_and_wait("form.incident-form button[type=submit]")
        .await;
    assert!(browser.path().await.starts_with("/incidents/YQ-"));
    assert!(started.elapsed() < Duration::from_secs(60));
    let head = browser.text(".incident-head").await;
    assert!(head.contains("重大"), "{head}");
    assert!(browser.text("body").await.contains("王值班（wangzb）"));
    browser.close().await;
}

async fn tokens_are_shown_once_and_revoked_from_the_console(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    app.account("admin", "系统管理员", Role::Admin, None).await;
    let mut console = Console::signed_in(&app, "admin").await;
    console.get("/accounts").await;
    let page = console
        .post(
            "/tokens",
            &[
                ("name", "指挥中心大屏"),
                ("role", "viewer"),
                ("unit_code", "4401"),
                ("expires_in_days", "30"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::CREATED, "{}", page.body);
    let at = page.body.find("id=\"token-secret\">").unwrap() + "id=\"token-secret\">".len();
    let secret = page.body[at..].split('<').next().unwrap().to_owned();
    assert!(secret.starts_with("yqt_"), "{secret}");
    assert_eq!(
        app.get("/api/v1/board", &secret).await.status(),
        200,
        "the token works"
    );

    let again = console.get("/accounts").await;
    assert!(
        !again.body.contains(&secret),
        "the secret is never shown again"
    );
    let tokens: Value = app
        .get("/api/v1/tokens", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    let id = tokens["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "指挥中心大屏")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = console.post(&format!("/tokens/{id}/revoke"), &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/api/v1/board", &secret).await.status(),
        401,
        "revoked at once"
    );
}

async fn admin_pages_are_for_admins_within_their_scope(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    app.account("duty", "值班员甲", Role::DutyOfficer, None)
        .await;
    app.account("tianhe", "天河管理员", Role::Admin, Some("440106"))
        .await;
    let mut duty = Console::signed_in(&app, "duty").await;
    for path in ["/directory", "/accounts"] {
        assert_eq!(duty.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert!(
        !duty.get("/").await.body.contains("href=\"/accounts\""),
        "no admin links"
    );
    let page = duty
        .post(
            "/accounts",
            &[
                ("login", "sneaky"),
                ("display_name", "x"),
                ("role", "admin"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::FORBIDDEN,
        "a forged post is refused"
    );

    let mut tianhe = Console::signed_in(&app, "tianhe").await;
    let page = tianhe.get("/directory").await;
    assert!(
        page.body.contains("天河区税务局") && !page.body.contains("白云区税务局"),
        "its units only"
    );
    let page = tianhe
        .post(
            "/accounts",
            &[
                ("login", "baiyun1"),
                ("display_name", "白云值班"),
                ("role", "duty_officer"),
                ("unit_code", "440111"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "not outside its scope");
    let page = tianhe
        .post(
            "/accounts",
            &[
                ("login", "th1"),
                ("display_name", "天河值班"),
                ("role", "duty_officer"),
                ("unit_code", "440106"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("密码至少 10 个字符"), "{}", page.body);
    let page = tianhe
        .post(
            "/accounts",
            &[
                ("login", "th1"),
                ("display_name", "天河值班"),
                ("role", "duty_officer"),
                ("unit_code", "440106"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = tianhe
        .post(
            "/accounts",
            &[
                ("login", "TH1"),
                ("display_name", "重名"),
                ("role", "viewer"),
                ("unit_code", "440106"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.body.contains("该登录名已被使用"));
}

/// The directory contact with this address, by the API.
async fn contact_id(app: &crate::helpers::TestApp, email: &str) -> String {
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
        .find(|c| c["email"] == email)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn a_linked_leader_acknowledges_on_the_incident_page(backend: Backend) {
    let smtp = crate::smtp::TestSmtp::start();
    let app = crate::escalation::smtp_app(backend, smtp.port).await;
    app.account("admin", "系统管理员", Role::Admin, None).await;
    let principal = contact_id(&app, "principal@440106.example.org").await;
    let mut admin = Console::signed_in(&app, "admin").await;
    admin.get("/accounts").await;
    let page = admin
        .post(
            "/accounts",
            &[
                ("login", "principal"),
                ("display_name", "区局局长"),
                ("role", "leader"),
                ("unit_code", "440106"),
                ("contact_id", &principal),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = admin
        .post(
            "/accounts",
            &[
                ("login", "x"),
                ("display_name", "x"),
                ("role", "leader"),
                ("contact_id", "nope"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an unknown contact is refused"
    );

    let incident = app
        .create_incident(
            &app.admin,
            &crate::helpers::major_incident(chrono::Duration::minutes(20)),
        )
        .await;
    let reference = incident["reference"].as_str().unwrap().to_owned();
    smtp.wait_for("the new-major notice", Duration::from_secs(30), |r| {
        r.iter()
            .any(|m| m.to.iter().any(|t| t == "principal@440106.example.org"))
    })
    .await;
    // The engine records the send just after the server accepted it.
    let mut leader = Console::signed_in(&app, "principal").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let page = loop {
        let page = leader.get(&format!("/incidents/{reference}")).await;
        if page.body.contains("name=\"escalation\"") {
            break page;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no acknowledgement offered: {}",
            page.body
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let at = page.body.find("name=\"escalation\" value=\"").unwrap()
        + "name=\"escalation\" value=\"".len();
    let escalation = page.body[at..].split('"').next().unwrap().to_owned();

    // Someone else cannot acknowledge it for them.
    app.account("duty", "值班员甲", Role::DutyOfficer, None)
        .await;
    let mut duty = Console::signed_in(&app, "duty").await;
    duty.get(&format!("/incidents/{reference}")).await;
    let refused = duty
        .post(
            &format!("/incidents/{reference}/acknowledge"),
            &[("escalation", &escalation)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let done = leader
        .post(
            &format!("/incidents/{reference}/acknowledge"),
            &[("escalation", &escalation)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = leader.get(&format!("/incidents/{reference}")).await;
    assert!(
        !page.body.contains("name=\"escalation\""),
        "nothing left to acknowledge"
    );
    assert!(page.body.contains("确认知悉"), "on the timeline");
    let kinds = app.timeline_kinds(incident["id"].as_str().unwrap()).await;
    assert!(kinds.iter().any(|k| k == "acknowledged"), "{kinds:?}");
}

async fn units_and_contacts_are_edited_in_the_console(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_directory().await;
    app.account("admin", "系统管理员", Role::Admin, None).await;
    let mut admin = Console::signed_in(&app, "admin").await;
    admin.get("/directory").await;
    let page = admin
        .post(
            "/directory/units/440106",
            &[("name", "天河区税务局（新址）")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let unit: Value = app
        .get("/api/v1/units/440106", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unit["name"], "天河区税务局（新址）");

    let id = contact_id(&app, "press@440106.example.org").await;
    let path = format!("/directory/contacts/{id}");
    let fields = |email: &'static str| {
        vec![
            ("name", "新闻发言人乙"),
            ("email", email),
            ("phone", "020-12345678"),
            ("unit_code", "440106"),
            ("role", "press_officer"),
            ("role", "liaison"),
        ]
    };
    let page = admin.post(&path, &fields("not an address")).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("邮箱"), "{}", page.body);
    let page = admin
        .post(&path, &fields("press2@440106.example.org"))
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let contact: Value = app
        .get(&format!("/api/v1/contacts/{id}"), &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(contact["email"], "press2@440106.example.org");
    assert_eq!(
        contact["roles"],
        serde_json::json!(["press_officer", "liaison"])
    );

    // A mobile number and a rule of their own: SMS at once, mail if still unacknowledged
    // after 15 minutes. The page says so; "按角色默认" clears it again.
    let page = admin.get("/directory").await;
    assert!(
        page.body
            .contains("按角色默认（新闻发言人、舆情联络员：邮件 立即、企业微信 立即）"),
        "the roles' rule is shown: {}",
        page.body
    );
    let mut own = fields("press2@440106.example.org");
    own.extend([
        ("mobile", "+86 139 0013 9000"),
        ("rule_mode", "own"),
        ("rule_channel", "sms"),
        ("after_sms", "0"),
        ("rule_channel", "email"),
        ("after_email", "15"),
        ("after_wecom", "0"),
    ]);
    let page = admin.post(&path, &own).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let contact: Value = app
        .get(&format!("/api/v1/contacts/{id}"), &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(contact["mobile"], "13900139000");
    assert_eq!(
        contact["notification_rules"],
        serde_json::json!([
            { "channel": "sms", "after_minutes": 0 },
            { "channel": "email", "after_minutes": 15 },
        ])
    );
    let page = admin.get("/directory").await;
    assert!(
        page.body
            .contains("本人规则 短信 立即、邮件 15分钟后未确认"),
        "{}",
        page.body
    );
    // A minute count that is not one is refused beside the form, and nothing changes.
    let mut bad = own.clone();
    bad.retain(|(k, _)| *k != "after_email");
    bad.push(("after_email", "soon"));
    let page = admin.post(&path, &bad).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("提醒方式"), "{}", page.body);
    let mut back = own.clone();
    back.retain(|(k, _)| *k != "rule_mode");
    back.push(("rule_mode", "role"));
    let page = admin.post(&path, &back).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let contact: Value = app
        .get(&format!("/api/v1/contacts/{id}"), &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(contact["notification_rules"].is_null(), "{contact}");
}

/// 群机器人: added from the console, refused without the secret a 钉钉 robot needs (the
/// form keeps what was typed but the secret), shown masked, switched off.
async fn robots_are_added_and_switched_off_in_the_console(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    app.account("admin", "系统管理员", Role::Admin, None).await;
    let mut admin = Console::signed_in(&app, "admin").await;
    let page = admin.get("/directory").await;
    assert!(
        page.body.contains("href=\"/directory/robots\""),
        "linked from the directory"
    );
    let page = admin.get("/directory/robots").await;
    assert!(page.body.contains("还没有群机器人"), "{}", page.body);
    let token = "dd55aa00bb11cc22dd33ee44ff5566778899";
    let webhook = format!("https://oapi.dingtalk.com/robot/send?access_token={token}");
    let fields = |secret: &'static str| {
        vec![
            ("unit_code", "440106".to_owned()),
            ("kind", "dingtalk".to_owned()),
            ("name", "天河区局舆情值班群".to_owned()),
            ("webhook", webhook.clone()),
            ("secret", secret.to_owned()),
        ]
    };
    let refused = fields("");
    let refused: Vec<(&str, &str)> = refused.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = admin.post("/directory/robots", &refused).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.body.contains("钉钉、飞书机器人需填写加签密钥"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("value=\"天河区局舆情值班群\""),
        "the form keeps the name"
    );
    let page = admin.get("/directory/robots").await;
    let mut good = fields("SECsigning0000000000");
    good.push(("once", once_token(&page.body)));
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = admin.post("/directory/robots", &good).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = admin.get("/directory/robots").await;
    assert!(
        page.body.contains("钉钉群") && page.body.contains("access_token=dd55…"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains(token) && !page.body.contains("SECsigning"),
        "masked"
    );
    let robots: Value = app
        .get("/api/v1/robots", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    let id = robots["items"][0]["id"].as_str().unwrap().to_owned();
    let page = admin
        .post(
            &format!("/directory/robots/{id}/active"),
            &[("active", "false")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let robots: Value = app
        .get("/api/v1/robots", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(robots["items"][0]["active"], false);
}

fn once_token(body: &str) -> String {
    let at = body
        .find("name=\"once\" value=\"")
        .expect("a once-only token")
        + 20;
    body[at..].split('"').next().unwrap().to_owned()
}

/// An admin changes another account's name, role and scope; the change holds at once in
/// that person's open session. Nobody changes their own account, a scoped admin cannot
/// move one outside its scope, and a refused change writes nothing.
async fn an_admin_changes_an_account_and_it_holds_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    app.account("chief", "局管理员", Role::Admin, None).await;
    app.account("tianhe", "天河管理员", Role::Admin, Some("440106"))
        .await;
    app.account("duty", "值班员甲", Role::DutyOfficer, Some("440106"))
        .await;
    let duty_id = app.account_id("duty").await;
    let mut duty = Console::signed_in(&app, "duty").await;
    assert_eq!(duty.get("/incidents/new").await.status, StatusCode::OK);

    let mut chief = Console::signed_in(&app, "chief").await;
    let page = chief.get("/accounts").await;
    assert!(
        page.body
            .contains(&format!("action=\"/accounts/{duty_id}\"")),
        "an edit form for the account"
    );
    let edit = |name: &'static str, role: &'static str, unit: &'static str| {
        vec![
            ("display_name", name),
            ("role", role),
            ("unit_code", unit),
            ("contact_id", ""),
        ]
    };
    let page = chief
        .post(
            &format!("/accounts/{duty_id}"),
            &edit("值班员乙", "viewer", "440106"),
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    // The open session reads the account afresh: now a viewer, under the new name.
    assert_eq!(
        duty.get("/incidents/new").await.status,
        StatusCode::FORBIDDEN
    );
    assert!(duty.get("/").await.body.contains("值班员乙"));

    // Refused: one's own account, outside a scoped admin's scope, bad fields.
    let chief_id = app.account_id("chief").await;
    let own = chief
        .post(
            &format!("/accounts/{chief_id}"),
            &edit("改名", "viewer", ""),
        )
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "{}", own.body);
    let mut tianhe = Console::signed_in(&app, "tianhe").await;
    let outside = tianhe
        .post(
            &format!("/accounts/{duty_id}"),
            &edit("值班员乙", "viewer", "440111"),
        )
        .await;
    assert_eq!(outside.status, StatusCode::FORBIDDEN, "{}", outside.body);
    let widen = tianhe
        .post(
            &format!("/accounts/{duty_id}"),
            &edit("值班员乙", "viewer", ""),
        )
        .await;
    assert_eq!(widen.status, StatusCode::FORBIDDEN, "{}", widen.body);
    for (fields, what) in [
        (edit("", "viewer", "440106"), "no name"),
        (edit("值班员乙", "boss", "440106"), "no such role"),
        (edit("值班员乙", "viewer", "999999"), "no such unit"),
    ] {
        let page = chief.post(&format!("/accounts/{duty_id}"), &fields).await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {}",
            page.body
        );
        assert!(page.body.contains("class=\"alert\""), "{what}: said why");
    }
    let mut unknown_contact = edit("值班员乙", "viewer", "440106");
    unknown_contact[3] = ("contact_id", "no-such-contact");
    let page = chief
        .post(&format!("/accounts/{duty_id}"), &unknown_contact)
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    let missing = chief
        .post("/accounts/no-such-account", &edit("x", "viewer", ""))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // A link to a contact that is no longer listed (deactivated) is shown and kept.
    let res = app
        .post(
            "/api/v1/contacts",
            &app.admin,
            &serde_json::json!({ "name": "值班员乙", "email": "yi@440106.example.org",
                                 "unit_code": "440106", "roles": ["duty_officer"] }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let contact = contact_id(&app, "yi@440106.example.org").await;
    let mut linked = edit("值班员乙", "viewer", "440106");
    linked[3] = ("contact_id", contact.as_str());
    let page = chief.post(&format!("/accounts/{duty_id}"), &linked).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let res = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/contacts/{contact}"),
            &app.admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = chief.get("/accounts").await;
    assert!(
        page.body.contains(&format!(
            "<option value=\"{contact}\" selected>保持现有关联"
        )),
        "the form keeps the link it cannot list"
    );

    let accounts = app
        .store
        .run(yuqing_tracker::store::accounts::list)
        .await
        .unwrap();
    let find = |login: &str| {
        accounts
            .iter()
            .find(|(a, _)| a.login == login)
            .map(|(a, _)| (a.display_name.clone(), a.role, a.unit_code.clone()))
            .unwrap()
    };
    assert_eq!(
        find("duty"),
        ("值班员乙".into(), Role::Viewer, Some("440106".into())),
        "only the allowed change was written"
    );
    assert_eq!(find("chief"), ("局管理员".into(), Role::Admin, None));
}

in_browsers!(an_admin_sets_up_an_office_and_a_duty_officer_logs_an_incident);

on_both_backends!(
    an_admin_changes_an_account_and_it_holds_at_once,
    tokens_are_shown_once_and_revoked_from_the_console,
    admin_pages_are_for_admins_within_their_scope,
    a_linked_leader_acknowledges_on_the_incident_page,
    units_and_contacts_are_edited_in_the_console,
    robots_are_added_and_switched_off_in_the_console,
);
