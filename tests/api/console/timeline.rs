//! The incident page's timeline and reminder table in Chinese sentences a leader reads
//! at a glance: no stored keys, no English reasons, no empty-to-value pairs.

use serde_json::{Value, json};
use yuqing_tracker::domain::access::Role;

use super::Console;
use crate::helpers::{Backend, major_incident, spawn_app};
use crate::on_both_backends;

/// The page's text between two markers, tags removed.
fn section(body: &str, from: &str, to: &str) -> String {
    let start = body.find(from).unwrap_or_else(|| panic!("no {from}"));
    let end = body[start..].find(to).map_or(body.len(), |e| start + e);
    let mut text = String::new();
    let mut in_tag = false;
    for c in body[start..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn the_timeline_reads_as_sentences(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_directory().await;
    app.account("duty", "值班员甲", Role::DutyOfficer, None)
        .await;
    let mut body = major_incident(chrono::Duration::minutes(30));
    body["title"] = json!("网传退税暂停");
    body["responsible_units"] = json!([
        { "code": "440106", "first_responsible": true },
        { "code": "440111" }
    ]);
    let incident = app.create_incident(&app.admin, &body).await;
    let id = incident["id"].as_str().unwrap().to_owned();
    let reference = incident["reference"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/incidents/{id}");

    let res = app
        .patch(
            &path,
            &app.admin,
            &json!({ "version": 1, "title": "网传个税退税暂停", "category": "wrong_view" }),
        )
        .await;
    assert_eq!(res.status(), 200);
    let statement = json!({ "kind": "authoritative_statement",
        "occurred_at": chrono::Utc::now().to_rfc3339(),
        "channel": "官方微博", "url": "https://weibo.com/gzstax/2" });
    let res = app
        .post(&format!("{path}/milestones"), &app.admin, &statement)
        .await;
    assert_eq!(res.status(), 201);
    let now: Value = app.get(&path, &app.admin).await.json().await.unwrap();
    let res = app
        .post(
            &format!("{path}/status"),
            &app.admin,
            &json!({ "status": "dismissed", "version": now["version"], "reason": "经核实与本局无关" }),
        )
        .await;
    assert_eq!(res.status(), 200);

    let mut console = Console::signed_in(&app, "duty").await;
    let page = console.get(&format!("/incidents/{reference}")).await;
    let timeline = section(&page.body, "id=\"timeline-h\"", "</section>");
    for said in [
        // 登记: what was logged, by name and label.
        "标题：网传退税暂停；级别：重大；类型：误解误读；来源渠道：微博",
        "责任单位：天河区税务局（第一责任单位）、白云区税务局",
        // Edits: old to new.
        "标题由「网传退税暂停」改为「网传个税退税暂停」",
        "类型由「误解误读」改为「错误观点」",
        // Clocks: what is due when; the statement met; the rest stopped with why.
        "发布权威信息须在",
        "发布权威信息于",
        "发布渠道 官方微博",
        "计时结束：按时完成",
        "状态由「已登记」改为「已排除」",
        "开始计时 测试用户 持续发布进展须在",
        "举行新闻发布会、持续发布进展停止计时：舆情已排除",
    ] {
        assert!(
            timeline.contains(said),
            "timeline lacks {said}:\n{timeline}"
        );
    }
    for raw in [
        "phase",
        "before",
        "after",
        "clock_state",
        "true",
        "（空）",
        "incident ",
        "_",
        "authoritative",
    ] {
        assert!(!timeline.contains(raw), "timeline shows {raw}:\n{timeline}");
    }

    let mails = section(&page.body, "id=\"mails-h\"", "</section>");
    assert!(
        mails.contains("时限节点已完成") && mails.contains("舆情已排除"),
        "withdrawn reminders say why in Chinese:\n{mails}"
    );
    assert!(mails.contains("天河区税务局"), "units by name:\n{mails}");
    for raw in ["milestone met", "incident dismissed", "失败", " 440106 "] {
        assert!(!mails.contains(raw), "reminders show {raw}:\n{mails}");
    }
}

/// The header names the person's unit, not its code.
async fn the_header_names_the_unit(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    app.account("duty", "李明", Role::DutyOfficer, Some("440106"))
        .await;
    let mut console = Console::signed_in(&app, "duty").await;
    let page = console.get("/").await;
    assert!(
        page.body.contains("李明 · 值班人员 · 天河区税务局"),
        "{}",
        section(&page.body, "<header", "</header>")
    );
}

on_both_backends!(the_timeline_reads_as_sentences, the_header_names_the_unit);
