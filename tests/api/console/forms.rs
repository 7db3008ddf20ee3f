//! Console forms: CSRF and Origin, what each role may do, unit scope, a double submit,
//! a concurrent change, and the account named on the timeline.

use reqwest::StatusCode;
use serde_json::Value;
use yuqing_tracker::domain::access::Role;

use super::Console;
use crate::helpers::{Backend, TestApp, incident_body, spawn_app};
use crate::on_both_backends;

fn now_input(offset: chrono::Duration) -> String {
    let zone: chrono_tz::Tz = "Asia/Shanghai".parse().unwrap();
    (chrono::Utc::now() + offset)
        .with_timezone(&zone)
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

/// The new-incident form as a person fills it in, for unit `unit`.
pub fn new_incident_form(form_id: &str, unit: &str, severity: &str) -> Vec<(String, String)> {
    [
        ("form_id", form_id.to_owned()),
        ("title", "网传某区个税汇算退税被暂停".to_owned()),
        (
            "summary",
            "微博用户称退税申请被退回，转发800余次。".to_owned(),
        ),
        ("severity", severity.to_owned()),
        ("category", "misunderstanding".to_owned()),
        ("discovered_at", now_input(-chrono::Duration::minutes(30))),
        ("source_channel", "weibo".to_owned()),
        ("source_url", "https://weibo.com/1234/abcd".to_owned()),
        ("special_topic", String::new()),
        ("unit", unit.to_owned()),
        ("first", unit.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn pairs(form: &[(String, String)]) -> Vec<(&str, &str)> {
    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

async fn incident_count(app: &TestApp) -> usize {
    let list: Value = app
        .get("/api/v1/incidents", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    list["items"].as_array().unwrap().len()
}

async fn a_form_without_its_csrf_token_or_from_another_origin_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    app.account("duty", "值班员甲", Role::DutyOfficer, None)
        .await;
    let mut console = Console::signed_in(&app, "duty").await;
    console.get("/incidents/new").await;
    let form = new_incident_form("f1", "440106", "general");
    let base = app.base.clone();

    let page = console
        .post_raw("/incidents/new", &pairs(&form), Some(&base))
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "no token");
    assert!(page.body.contains("CSRF"), "{}", page.body);

    let mut forged = pairs(&form);
    forged.push(("csrf", "0000"));
    let page = console
        .post_raw("/incidents/new", &forged, Some(&base))
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "a wrong token");

    let mut with_token = pairs(&form);
    let token = console.csrf.clone();
    with_token.push(("csrf", &token));
    let page = console
        .post_raw("/incidents/new", &with_token, Some("https://evil.example"))
        .await;
    assert_eq!(
        page.status,
        StatusCode::FORBIDDEN,
        "the right token from another site"
    );
    assert!(page.body.contains("Origin"), "{}", page.body);
    assert_eq!(incident_count(&app).await, 0, "nothing was logged");

    let page = console
        .post_raw("/incidents/new", &with_token, Some(&base))
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(incident_count(&app).await, 1);
    let first = page.location.unwrap();

    // The same story logged again (another form, the same source URL) is flagged.
    let again = new_incident_form("f1-again", "440106", "general");
    let page = console.post("/incidents/new", &pairs(&again)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = console.get(page.location.as_deref().unwrap()).await;
    let first_ref = first.rsplit('/').next().unwrap();
    assert!(
        page.body.contains("可能重复") && page.body.contains(first_ref),
        "{}",
        page.body
    );
}

async fn a_double_submit_logs_one_incident_named_after_the_account(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    app.account("zhangsan", "张三", Role::DutyOfficer, None)
        .await;
    let mut console = Console::signed_in(&app, "zhangsan").await;
    console.get("/incidents/new").await;
    let form = new_incident_form("same-form", "440106", "general");
    let first = console.post("/incidents/new", &pairs(&form)).await;
    let second = console.post("/incidents/new", &pairs(&form)).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    assert_eq!(
        first.location, second.location,
        "the second answer is the first incident"
    );
    assert_eq!(incident_count(&app).await, 1);

    let reference = first
        .location
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let incident: Value = app
        .get(&format!("/api/v1/incidents/{reference}"), &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(incident["reported_by"]["name"], "张三（zhangsan）");
    let timeline: Value = app
        .get(
            &format!("/api/v1/incidents/{reference}/timeline"),
            &app.admin,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(timeline["items"][0]["actor"], "张三（zhangsan）");
    let page = console.get(&format!("/incidents/{reference}")).await;
    assert!(
        page.body.contains("张三（zhangsan）"),
        "the page names who logged it"
    );
}

async fn a_field_error_is_shown_next_to_the_field_with_the_input_kept(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    app.account("duty", "值班员甲", Role::DutyOfficer, None)
        .await;
    let mut console = Console::signed_in(&app, "duty").await;
    console.get("/incidents/new").await;
    let mut form = new_incident_form("f2", "440106", "major");
    form.retain(|(k, _)| k != "discovered_at");
    form.push((
        "discovered_at".into(),
        now_input(chrono::Duration::hours(2)),
    ));
    let page = console.post("/incidents/new", &pairs(&form)).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.body.contains("id=\"discovered_at-error\"")
            && page.body.contains("发现时间不能晚于当前时间"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("网传某区个税汇算退税被暂停"),
        "the title is kept"
    );
    assert_eq!(incident_count(&app).await, 0);
}

async fn a_viewer_sees_no_action_and_a_forged_one_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let incident = app
        .create_incident(&app.admin, &incident_body("440106"))
        .await;
    let reference = incident["reference"].as_str().unwrap();
    app.account("viewer", "观察员", Role::Viewer, None).await;
    let mut console = Console::signed_in(&app, "viewer").await;

    let page = console.get(&format!("/incidents/{reference}")).await;
    assert_eq!(page.status, StatusCode::OK);
    for form in [
        "milestone-form",
        "status-form",
        "referral-form",
        "edit-form",
    ] {
        assert!(!page.body.contains(form), "a viewer sees no {form}");
    }
    assert!(
        !page.body.contains("/incidents/new"),
        "nor the link to log one"
    );

    let page = console
        .post(
            &format!("/incidents/{reference}/status"),
            &[("to", "assessing"), ("version", "1")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert!(page.body.contains("无权执行此操作"));
    let now: Value = app
        .get(&format!("/api/v1/incidents/{reference}"), &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(now["status"], "reported", "nothing changed");
}

async fn a_unit_scoped_account_sees_only_its_units(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let tianhe = app
        .create_incident(&app.admin, &incident_body("440106"))
        .await;
    let mut baiyun_body = incident_body("440111");
    baiyun_body["title"] = "白云区纳税服务厅排长队".into();
    let baiyun = app.create_incident(&app.admin, &baiyun_body).await;
    app.account("baiyun", "白云值班", Role::DutyOfficer, Some("440111"))
        .await;
    let mut console = Console::signed_in(&app, "baiyun").await;

    let board = console.get("/").await;
    assert!(board.body.contains(baiyun["reference"].as_str().unwrap()));
    assert!(
        !board.body.contains(tianhe["reference"].as_str().unwrap()),
        "{}",
        board.body
    );
    assert!(
        !board.body.contains("天河区税务局"),
        "the unit filter lists its units only"
    );

    let page = console
        .get(&format!(
            "/incidents/{}",
            tianhe["reference"].as_str().unwrap()
        ))
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    let new = console.get("/incidents/new").await;
    assert!(new.body.contains("440111") && !new.body.contains("value=\"440106\""));
    let form = new_incident_form("f3", "440106", "general");
    let page = console.post("/incidents/new", &pairs(&form)).await;
    assert_eq!(
        page.status,
        StatusCode::FORBIDDEN,
        "cannot assign a unit outside its scope"
    );
}

async fn a_concurrent_change_is_reported_not_overwritten(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let incident = app
        .create_incident(&app.admin, &incident_body("440106"))
        .await;
    let reference = incident["reference"].as_str().unwrap().to_owned();
    app.account("duty", "值班员甲", Role::DutyOfficer, None)
        .await;
    let mut console = Console::signed_in(&app, "duty").await;
    let page = console.get(&format!("/incidents/{reference}")).await;
    assert!(page.body.contains("name=\"version\" value=\"1\""));

    // Someone else moves it on meanwhile.
    let res = app
        .post(
            &format!("/api/v1/incidents/{reference}/status"),
            &app.admin,
            &serde_json::json!({ "status": "assessing", "version": 1 }),
        )
        .await;
    assert_eq!(res.status(), 200);

    let page = console
        .post(
            &format!("/incidents/{reference}/edit"),
            &[
                ("version", "1"),
                ("title", "我的修改"),
                ("summary", "摘要"),
                ("severity", "general"),
                ("category", "misunderstanding"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(
        page.body.contains("其他人刚刚修改了这条舆情"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("研判中"),
        "the page shows the current state"
    );
    let now: Value = app
        .get(&format!("/api/v1/incidents/{reference}"), &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(now["title"], "我的修改");
}

/// What the Origin check and the token must refuse besides a plain foreign Origin: a
/// forwarding header written by the client itself, a cross-site fetch, a token taken
/// from another session; and what a client that sends no Origin still needs.
async fn forged_headers_and_borrowed_tokens_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    app.account("duty", "值班员甲", Role::DutyOfficer, None)
        .await;
    app.account("other", "值班员乙", Role::DutyOfficer, None)
        .await;
    let mut console = Console::signed_in(&app, "duty").await;
    console.get("/incidents/new").await;
    let mut other = Console::signed_in(&app, "other").await;
    other.get("/incidents/new").await;
    let form = new_incident_form("h1", "440106", "general");
    let post = |fields: Vec<(String, String)>, headers: Vec<(&'static str, String)>| {
        let mut req = console
            .http
            .post(format!("{}/incidents/new", console.base))
            .form(&fields);
        for (name, value) in headers {
            req = req.header(name, value);
        }
        async move { req.send().await.unwrap().status() }
    };
    let with = |csrf: &str| {
        let mut fields = form.clone();
        fields.push(("csrf".to_owned(), csrf.to_owned()));
        fields
    };
    let own = console.csrf.clone();

    let status = post(
        with(&own),
        vec![
            ("Origin", "https://evil.example".to_owned()),
            ("X-Forwarded-Host", "evil.example".to_owned()),
            ("X-Forwarded-Proto", "https".to_owned()),
        ],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "forwarding headers from anyone"
    );
    let base = console.base.clone();
    let status = post(
        with(&own),
        vec![
            ("Origin", base.clone()),
            ("Sec-Fetch-Site", "cross-site".to_owned()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a cross-site fetch");
    let status = post(with(&other.csrf), vec![("Origin", base)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another session's token");
    let status = post(with(""), vec![]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no Origin and no token");
    assert_eq!(incident_count(&app).await, 0, "nothing was logged");

    let status = post(with(&own), vec![]).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "no Origin (a non-browser client) but the session's token"
    );
    assert_eq!(incident_count(&app).await, 1);
}

/// The value of a page's hidden `once` field.
fn once(body: &str) -> String {
    let at = body
        .find("name=\"once\" value=\"")
        .expect("a once-only token")
        + 20;
    body[at..].split('"').next().unwrap().to_owned()
}

/// A statement, a referral and a contact, each posted twice from the same page (a double
/// click): each is recorded once; a post refused for its content leaves the token unused.
async fn a_form_posted_twice_records_once(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    app.account("duty", "值班员甲", Role::Admin, None).await;
    let incident = app
        .create_incident(
            &app.admin,
            &crate::helpers::major_incident(chrono::Duration::minutes(10)),
        )
        .await;
    let (id, reference) = (
        incident["id"].as_str().unwrap(),
        incident["reference"].as_str().unwrap(),
    );
    let mut console = Console::signed_in(&app, "duty").await;
    let page = console.get(&format!("/incidents/{reference}")).await;
    let token = once(&page.body);
    let directory_token = once(&console.get("/directory").await.body);

    let statement = |url: &'static str| {
        vec![
            ("once", token.clone()),
            ("kind", "authoritative_statement".to_owned()),
            ("channel", "区税务局官方微博".to_owned()),
            ("url", url.to_owned()),
        ]
    };
    let post = |path: String, fields: Vec<(&'static str, String)>| {
        let console = &console;
        async move {
            let mut all = vec![("csrf", console.csrf.clone())];
            all.extend(fields);
            let pairs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
            console.post_raw(&path, &pairs, Some(&console.base)).await
        }
    };
    let milestones = format!("/incidents/{reference}/milestones");
    let refused = post(milestones.clone(), statement("not a url")).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    for _ in 0..2 {
        let page = post(milestones.clone(), statement("https://weibo.com/1")).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        // The page it leads to says what was done.
        let to = page.location.unwrap();
        assert_eq!(
            to,
            format!("/incidents/{reference}?done=milestone-authoritative_statement")
        );
        let shown = console
            .http
            .get(format!("{}{to}", console.base))
            .send()
            .await
            .unwrap();
        let shown = shown.text().await.unwrap();
        assert!(shown.contains("已记录发布权威信息。"), "{shown}");
        // The form now offers the press conference first; the statement says it is done.
        assert!(
            shown.contains(r#"<option value="press_conference" selected>"#)
                && shown.contains("发布权威信息（已记录）"),
            "{shown}"
        );
    }
    let referral = vec![("once", token.clone()), ("authority", "police".to_owned())];
    for _ in 0..2 {
        let page = post(
            format!("/incidents/{reference}/referrals"),
            referral.clone(),
        )
        .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    }
    let kinds = app.timeline_kinds(id).await;
    let count = |kind: &str| kinds.iter().filter(|k| *k == kind).count();
    assert_eq!(count("milestone_recorded"), 1, "{kinds:?}");
    assert_eq!(count("referral_recorded"), 1, "{kinds:?}");

    let contact = vec![
        ("once", directory_token),
        ("name", "新闻发言人".to_owned()),
        ("email", "press2@440106.example.org".to_owned()),
        ("unit_code", "440106".to_owned()),
        ("role", "press_officer".to_owned()),
    ];
    for _ in 0..2 {
        let page = post("/directory/contacts".to_owned(), contact.clone()).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    }
    let all: Value = app
        .get("/api/v1/contacts", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    let added = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["email"] == "press2@440106.example.org")
        .count();
    assert_eq!(added, 1);
}

/// A 一般 incident's page offers its 48-hour response: how it was answered and where; a
/// response without its way is refused in Chinese, with the way it was given on the
/// timeline once recorded.
async fn a_general_incidents_response_is_recorded_from_its_page(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    app.account("duty", "值班员甲", Role::Admin, None).await;
    let mut body = crate::helpers::major_incident(chrono::Duration::hours(3));
    body["severity"] = serde_json::json!("general");
    let incident = app.create_incident(&app.admin, &body).await;
    let reference = incident["reference"].as_str().unwrap();
    let mut console = Console::signed_in(&app, "duty").await;
    let page = console.get(&format!("/incidents/{reference}")).await;
    assert!(
        page.body
            .contains(r#"<option value="public_response" selected>回应社会关切</option>"#),
        "{}",
        page.body
    );
    assert!(page.body.contains("回应方式（回应社会关切必填）"));
    assert!(
        page.body
            .contains(r#"<option value="platform_reply">在原平台回复</option>"#)
    );
    let path = format!("/incidents/{reference}/milestones");
    let token = once(&page.body);
    let refused = console
        .post(
            &path,
            &[
                ("once", token.as_str()),
                ("kind", "public_response"),
                ("response_type", ""),
                ("url", "https://weibo.com/2"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("回应方式") && refused.body.contains("此类节点必须填写"),
        "{}",
        refused.body
    );
    let token = once(&refused.body);
    let done = console
        .post(
            &path,
            &[
                ("once", token.as_str()),
                ("kind", "public_response"),
                ("response_type", "platform_reply"),
                ("url", "https://weibo.com/2"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let shown = console.get(&format!("/incidents/{reference}")).await;
    assert!(
        shown.body.contains("回应社会关切于") && shown.body.contains("，在原平台回复（https:"),
        "{}",
        shown.body
    );
}

/// After the statement, the page offers the continued release and a box to mark it the
/// last; the last one posted, nothing further is due and the box is gone.
async fn the_last_continued_release_is_marked_from_the_page(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    app.account("duty", "值班员甲", Role::Admin, None).await;
    let incident = app
        .create_incident(
            &app.admin,
            &crate::helpers::major_incident(chrono::Duration::hours(1)),
        )
        .await;
    let (id, reference) = (
        incident["id"].as_str().unwrap(),
        incident["reference"].as_str().unwrap(),
    );
    let mut console = Console::signed_in(&app, "duty").await;
    let before = console.get(&format!("/incidents/{reference}")).await;
    assert!(
        !before.body.contains(r#"name="final""#),
        "no release due yet"
    );
    assert!(
        !before.body.contains("回应方式"),
        "a major incident's form does not ask how a 48-hour response was given"
    );
    crate::dashboards::statement_after(&app, id, chrono::Duration::minutes(30)).await;
    let page = console.get(&format!("/incidents/{reference}")).await;
    assert!(
        page.body.contains(r#"name="final""#) && page.body.contains("最后一次持续发布进展"),
        "{}",
        page.body
    );
    let token = once(&page.body);
    let posted = console
        .post(
            &format!("/incidents/{reference}/milestones"),
            &[
                ("once", token.as_str()),
                ("kind", "continued_release"),
                ("channel", "区税务局官方微博"),
                ("url", "https://weibo.com/3"),
                ("final", "on"),
            ],
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.body);
    let after = console.get(&format!("/incidents/{reference}")).await;
    assert!(after.body.contains("为最后一次发布"), "{}", after.body);
    assert!(!after.body.contains(r#"name="final""#));
    let incident: serde_json::Value = app
        .get(&format!("/api/v1/incidents/{id}"), &app.admin)
        .await
        .json()
        .await
        .unwrap();
    let running = incident["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "continued_release" && c["stopped_at"].is_null())
        .count();
    assert_eq!(running, 0);
}

on_both_backends!(
    the_last_continued_release_is_marked_from_the_page,
    a_general_incidents_response_is_recorded_from_its_page,
    a_form_without_its_csrf_token_or_from_another_origin_is_refused,
    a_form_posted_twice_records_once,
    forged_headers_and_borrowed_tokens_are_refused,
    a_double_submit_logs_one_incident_named_after_the_account,
    a_field_error_is_shown_next_to_the_field_with_the_input_kept,
    a_viewer_sees_no_action_and_a_forged_one_is_refused,
    a_unit_scoped_account_sees_only_its_units,
    a_concurrent_change_is_reported_not_overwritten,
);
