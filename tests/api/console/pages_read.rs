//! The list and the report, read as a person would: filters, paging, the chart and the CSV.

use reqwest::StatusCode;
use serde_json::json;
use yuqing_tracker::domain::access::Role;

use super::Console;
use crate::helpers::{Backend, incident_body, major_incident, spawn_app};
use crate::on_both_backends;

async fn the_list_searches_filters_and_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    for i in 0..55 {
        let mut body = incident_body(if i % 2 == 0 { "440106" } else { "440111" });
        body["title"] = json!(format!("测试舆情{i:02}"));
        body["severity"] = json!("general");
        app.create_incident(&app.admin, &body).await;
    }
    let mut special = incident_body("440106");
    special["title"] = json!("发票查验平台无法访问");
    app.create_incident(&app.admin, &special).await;
    app.account("viewer", "观察员", Role::Viewer, None).await;
    let mut console = Console::signed_in(&app, "viewer").await;

    let page = console.get("/incidents?q=%E5%8F%91%E7%A5%A8").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("发票查验平台无法访问"));
    assert!(!page.body.contains("测试舆情"), "only what the words match");

    let page = console.get("/incidents?severity=general").await;
    assert_eq!(
        page.body.matches("<tr class=\"urgency").count(),
        50,
        "a page holds 50"
    );
    let next = page.body.split("rel=\"next\"").next().unwrap();
    let href = next
        .rsplit("href=\"")
        .next()
        .unwrap()
        .trim_end_matches("\" ")
        .trim_end_matches('"');
    let href = href.replace("&amp;", "&").replace("&#x2f;", "/");
    let second = console.get(&href).await;
    assert_eq!(
        second.body.matches("<tr class=\"urgency").count(),
        5,
        "the rest on page two"
    );
    assert!(second.body.contains("第一页"));

    let page = console.get("/incidents?unit=440111&severity=general").await;
    assert_eq!(page.body.matches("<tr class=\"urgency").count(), 27);
    let page = console.get("/incidents?from=2026-13-01").await;
    assert!(
        page.body.contains("class=\"alert\""),
        "a bad date is said, not a 500"
    );
}

async fn the_report_shows_rates_a_chart_and_a_csv(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    // Two statement clocks already breached (discovered six hours ago), one met on time
    // (its statement four hours after discovery).
    for _ in 0..2 {
        app.create_incident(&app.admin, &major_incident(chrono::Duration::hours(6)))
            .await;
    }
    let on_time = app
        .create_incident(&app.admin, &major_incident(chrono::Duration::hours(6)))
        .await;
    let id = on_time["id"].as_str().unwrap();
    crate::dashboards::statement_after(&app, id, chrono::Duration::hours(4)).await;
    app.account("leader", "领导甲", Role::Leader, None).await;
    let mut console = Console::signed_in(&app, "leader").await;
    let page = console.get("/report").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<svg class=\"chart\""), "a chart");
    // A second chart, one bar per kind: the statement's rate is one in three; the press
    // conference, not due yet, has none.
    let kinds = &page.body[page.body.find("各类时限按时率").expect("the kinds' chart")..];
    let bar = |label: &str| {
        let at = kinds
            .find(&format!(">{label}</text>"))
            .unwrap_or_else(|| panic!("a bar for {label}"));
        let end = at + kinds[at..].find("</g>").unwrap();
        kinds[at..end].to_owned()
    };
    assert!(
        bar("发布权威信息").contains(">33.3%</text>"),
        "{}",
        bar("发布权威信息")
    );
    assert!(bar("举行新闻发布会").contains("bar-none"));
    let at = page
        .body
        .find("<tr><td data-label=\"单位\">天河区税务局")
        .unwrap_or_else(|| panic!("a row for the unit: {}", page.body));
    let row = &page.body[at..at + page.body[at..].find("</tr>").unwrap()];
    // The three press conferences fall due 18 hours from now, the continued release the
    // statement started 22 hours from now: inside the report's period (month to date,
    // office time) when that is still today there.
    let today = |after: i64| {
        let day = |t: chrono::DateTime<chrono::Utc>| {
            t.with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
        };
        let now = chrono::Utc::now();
        day(now + chrono::Duration::hours(after)) == day(now)
    };
    // Each of the three major incidents' first reports falls due an hour after logging.
    let not_yet = 3 * i32::from(today(18)) + i32::from(today(22)) + 3 * i32::from(today(1));
    let due = 3 + not_yet;
    for cell in [
        format!("data-label=\"到期时限\">{due}<"),
        format!("data-label=\"未到期\">{not_yet}<"),
    ] {
        assert!(row.contains(&cell), "{cell} in {row}");
    }
    for cell in [
        "data-label=\"按时完成\">1<",
        "data-label=\"超时完成\">0<",
        "data-label=\"超时未完成\">2<",
        "<strong>33.3%</strong>",
    ] {
        assert!(row.contains(cell), "{cell} in {row}");
    }
    let csv = console.get("/report.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body
            .trim_start_matches('\u{feff}')
            .starts_with("单位代码,单位名称"),
        "{}",
        csv.body
    );
    let bad = console.get("/report?from=2026-02-01&to=2026-01-01").await;
    assert!(bad.body.contains("class=\"alert\""), "{}", bad.body);
}

async fn the_board_rows_answer_304_until_something_changes(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    app.account("viewer", "观察员", Role::Viewer, None).await;
    let console = Console::signed_in(&app, "viewer").await;
    let rows = |tag: Option<String>| {
        let mut req = console.http.get(format!("{}/board/rows", app.base));
        if let Some(tag) = tag {
            req = req.header("If-None-Match", tag);
        }
        req.send()
    };
    let first = rows(None).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let tag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(
        first
            .text()
            .await
            .unwrap()
            .contains("没有符合条件的未办结舆情")
    );
    assert_eq!(
        rows(Some(tag.clone())).await.unwrap().status(),
        StatusCode::NOT_MODIFIED
    );

    app.create_incident(&app.admin, &major_incident(chrono::Duration::minutes(10)))
        .await;
    let changed = rows(Some(tag)).await.unwrap();
    assert_eq!(
        changed.status(),
        StatusCode::OK,
        "a new incident changes the rows"
    );
    assert!(changed.text().await.unwrap().contains("剩余 4:49:"));
}

async fn pages_carry_a_strict_policy_and_are_never_cached(backend: Backend) {
    let app = spawn_app(backend).await;
    app.account("leader", "领导甲", Role::Leader, None).await;
    let console = Console::signed_in(&app, "leader").await;
    let signed_out = reqwest::Client::new();
    for path in ["/", "/login", "/incidents", "/report", "/account/password"] {
        let client = if path == "/login" {
            &signed_out
        } else {
            &console.http
        };
        let res = client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["cache-control"], "no-store", "{path}");
    }
    let page = console
        .http
        .get(format!("{}/", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("<script>") && !page.contains(" style=\""),
        "no inline script or style"
    );
    let css = page
        .split("href=\"")
        .find(|s| s.contains("console."))
        .unwrap();
    let css = css.split('"').next().unwrap().replace("&#x2f;", "/");
    let res = console
        .http
        .get(format!("{}{css}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
}

async fn an_unknown_page_is_a_page_for_browsers_and_json_for_the_api(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = reqwest::Client::new();
    let page = client
        .get(format!("{}/no-such-page", app.base))
        .header("Accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(page.text().await.unwrap().contains("未找到"));
    let api = client
        .get(format!("{}/api/v1/no-such-thing", app.base))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}

async fn the_api_lists_open_incidents_only_when_asked(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let open = app
        .create_incident(&app.admin, &incident_body("440106"))
        .await;
    let dismissed = app
        .create_incident(&app.admin, &incident_body("440106"))
        .await;
    let res = app
        .post(
            &format!(
                "/api/v1/incidents/{}/status",
                dismissed["id"].as_str().unwrap()
            ),
            &app.admin,
            &json!({ "status": "dismissed", "reason": "经核实不构成舆情", "version": 1 }),
        )
        .await;
    assert_eq!(res.status(), 200);
    let all: serde_json::Value = app
        .get("/api/v1/incidents", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let only: serde_json::Value = app
        .get("/api/v1/incidents?open=true", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    let items = only["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], open["id"]);
}

async fn an_idle_session_ends_and_a_used_one_slides(backend: Backend) {
    let app = spawn_app(backend).await;
    app.account("duty", "值班员甲", Role::DutyOfficer, None)
        .await;
    let mut console = Console::signed_in(&app, "duty").await;
    app.clock.advance(chrono::Duration::hours(11));
    assert_eq!(
        console.get("/").await.status,
        StatusCode::OK,
        "used within 12 hours"
    );
    app.clock.advance(chrono::Duration::hours(11));
    assert_eq!(
        console.get("/").await.status,
        StatusCode::OK,
        "the last use moved the end"
    );
    app.clock
        .advance(chrono::Duration::hours(12) + chrono::Duration::minutes(1));
    let page = console.get("/").await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "12 idle hours sign it out"
    );
}

/// More open incidents than the board lists: it says so and links to all of them on the
/// list page, nearest deadline first, closed ones left out.
async fn a_full_board_says_so_and_links_to_the_rest(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let mut body = incident_body("440106");
    body["severity"] = json!("general");
    for _ in 0..201 {
        app.create_incident(&app.admin, &body).await;
    }
    let dismissed = app.create_incident(&app.admin, &body).await;
    let res = app
        .post(
            &format!(
                "/api/v1/incidents/{}/status",
                dismissed["id"].as_str().unwrap()
            ),
            &app.admin,
            &json!({ "status": "dismissed", "reason": "经核实不构成舆情", "version": 1 }),
        )
        .await;
    assert_eq!(res.status(), 200);
    app.account("viewer", "观察员", Role::Viewer, None).await;
    let mut console = Console::signed_in(&app, "viewer").await;

    let board = console.get("/?severity=general").await;
    assert_eq!(board.body.matches("<tr class=\"urgency").count(), 200);
    assert!(
        board.body.contains("超过 200 条"),
        "the board says it is not all"
    );
    let link = "/incidents?open=true&amp;sort=deadline&amp;unit=&amp;severity=general&amp;status=";
    assert!(board.body.contains(link), "{}", board.body);
    let rows = console.get("/board/rows?severity=general").await;
    assert!(rows.body.contains(link), "the refreshed rows say it too");

    let list = console.get(&link.replace("&amp;", "&")).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("name=\"open\" value=\"true\" checked"));
    assert_eq!(list.body.matches("<tr class=\"urgency").count(), 50);
    let reference = dismissed["reference"].as_str().unwrap();
    let found = |page: &super::Page| page.body.matches("<tr class=\"urgency").count();
    let closed = console.get(&format!("/incidents?q={reference}")).await;
    assert_eq!(found(&closed), 1, "the list finds the dismissed one");
    let open_only = console
        .get(&format!("/incidents?q={reference}&open=true"))
        .await;
    assert_eq!(found(&open_only), 0, "but not among the open ones");

    let major = console.get("/?severity=major").await;
    assert!(
        !major.body.contains("超过"),
        "a board that fits says nothing"
    );
}

on_both_backends!(
    a_full_board_says_so_and_links_to_the_rest,
    the_list_searches_filters_and_pages,
    the_report_shows_rates_a_chart_and_a_csv,
    the_board_rows_answer_304_until_something_changes,
    pages_carry_a_strict_policy_and_are_never_cached,
    an_idle_session_ends_and_a_used_one_slides,
    an_unknown_page_is_a_page_for_browsers_and_json_for_the_api,
    the_api_lists_open_incidents_only_when_asked,
);
