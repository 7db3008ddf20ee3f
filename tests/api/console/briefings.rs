//! A district reports a major incident up to its city, in a real browser: the 舆情快报 form
//! comes prefilled with the facts, the sent briefing prints as one A4 page (checked as
//! the PDF the browser prints), the city's duty officer finds it in the inbox and marks it
//! read, and the district sees when it was read.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use fantoccini::wd::{PrintConfiguration, PrintMargins, PrintSize};
use yuqing_tracker::domain::access::Role;

use super::PASSWORD;
use super::browser::{Browser, Engine};
use crate::helpers::{Backend, TestApp, major_incident, spawn_app_with};
use crate::in_browsers;

async fn sign_in(browser: &Browser, app: &TestApp, login: &str) {
    browser.goto(&format!("{}/login", app.base)).await;
    browser.fill("#login", login).await;
    browser.fill("#password", PASSWORD).await;
    browser.click_and_wait("button[type=submit]").await;
    assert_eq!(browser.path().await, "/");
}

async fn sign_out(browser: &Browser) {
    browser
        .click_and_wait("form[action='/logout'] button")
        .await;
}

/// Runs a poppler tool on `file` and returns what it printed.
fn poppler(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} runs (poppler-utils): {e}"));
    assert!(
        out.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn a_district_reports_up_and_the_city_reads_it(backend: Backend, engine: Engine) {
    let app = spawn_app_with(backend, |_| {}).await;
    app.seed_directory().await;
    app.account("district", "区局值班员", Role::DutyOfficer, Some("440106"))
        .await;
    app.account("city", "市局值班员", Role::DutyOfficer, Some("4401"))
        .await;
    let incident = app
        .create_incident(&app.admin, &major_incident(chrono::Duration::minutes(25)))
        .await;
    let reference = incident["reference"].as_str().unwrap().to_owned();
    let browser = Browser::start(engine, 1366, 768).await;

    // The district opens the form from the incident page: the 首报, prefilled.
    sign_in(&browser, &app, "district").await;
    browser
        .goto(&format!("{}/incidents/{reference}", app.base))
        .await;
    let clocks = browser.text(".clock-panel").await;
    assert!(clocks.contains("首报"), "{clocks}");
    browser.click_and_wait("#write-briefing").await;
    assert_eq!(
        browser.path().await,
        format!("/incidents/{reference}/briefings/new")
    );
    let value = |css: &'static str| {
        let browser = &browser;
        async move {
            browser
                .client
                .find(fantoccini::Locator::Css(css))
                .await
                .unwrap()
                .prop("value")
                .await
                .unwrap()
                .unwrap_or_default()
        }
    };
    assert_eq!(value("#kind").await, "first_report");
    assert_eq!(value("#from_unit").await, "440106");
    assert!(value("#event").await.contains("个税汇算退税被追缴"));
    assert_eq!(value("#units_involved").await, "天河区税务局");
    assert!(!value("#discovered_at").await.is_empty());
    browser
        .fill("#spread", "转发 3200 次，评论 5100 条，两家自媒体跟进。")
        .await;
    browser
        .fill("#actions", "已核实当事人退税记录，正在准备情况说明。")
        .await;
    browser
        .fill("#next_steps", "今日 18 时前在官方微博发布说明。")
        .await;
    browser.fill("#contact", "办公室 王某 020-00000000").await;
    browser.screenshot("briefing-form-1366x768").await;
    browser
        .click_and_wait("#briefing-form button[type=submit]")
        .await;
    let path = browser.path().await;
    assert!(
        path.starts_with("/briefings/"),
        "landed on {path}: {}",
        browser.text("main").await
    );
    let document = browser.text("main").await;
    assert!(document.contains("快报已报送"), "{document}");
    assert!(document.contains("广州市税务局尚未阅读"), "{document}");
    assert!(document.contains("首报 · 第 1 版"), "{document}");

    // Printed: one A4 page with the document and nothing of the console around it.
    let config = PrintConfiguration::builder()
        .size(PrintSize::A4)
        .margins(PrintMargins {
            top: 0.0,
            bottom: 0.0,
            left: 0.0,
            right: 0.0,
        })
        .background(true)
        .build()
        .unwrap();
    let pdf = browser.client.print(config).await.unwrap();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let name = format!("briefing-a4-{engine:?}-{backend:?}").to_lowercase();
    let file = dir.join(format!("{name}.pdf"));
    std::fs::write(&file, &pdf).unwrap();
    let file = file.to_str().unwrap();
    let info = poppler("pdfinfo", &[file]);
    assert!(info.contains("Pages:           1"), "{info}");
    assert!(info.contains("(A4)"), "{info}");
    // Firefox embeds its CJK font subsets without a map back to Unicode, so only
    // Chromium's PDF can be read as text; both are rendered to a PNG to look at.
    let text = match engine {
        Engine::Chromium => poppler("pdftotext", &["-layout", file, "-"]),
        Engine::Firefox => String::new(),
    };
    for expected in [
        "舆情快报",
        "首报",
        "天河区税务局",
        "已采取措施",
        "正在准备情况说明",
    ] {
        assert!(
            engine == Engine::Firefox || text.contains(expected),
            "{expected} printed: {text}"
        );
    }
    for console_only in ["快报收件箱", "打印", "尚未阅读", "退出"] {
        assert!(
            !text.contains(console_only),
            "{console_only} printed: {text}"
        );
    }
    let png = dir.join(&name);
    poppler(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "60",
            "-singlefile",
            file,
            png.to_str().unwrap(),
        ],
    );
    println!("printed page: {}.png", png.display());

    // The city finds it in its inbox, unread, and marks it read.
    sign_out(&browser).await;
    sign_in(&browser, &app, "city").await;
    browser.click_and_wait("a[href='/inbox']").await;
    let inbox = browser.text("table.inbox").await;
    assert!(inbox.contains("天河区税务局"), "{inbox}");
    assert!(inbox.contains("首报 · 第 1 版"), "{inbox}");
    assert!(browser.exists("tr.unread").await);
    browser.screenshot("briefing-inbox-1366x768").await;
    browser.click_and_wait("table.inbox a").await;
    browser.click_and_wait("form[action$='/read'] button").await;
    let read = browser.text("#read-state").await;
    assert!(read.contains("市局值班员"), "{read}");
    assert!(!browser.exists("form[action$='/read']").await);

    // The district sees when it was read.
    sign_out(&browser).await;
    sign_in(&browser, &app, "district").await;
    browser
        .goto(&format!("{}/incidents/{reference}", app.base))
        .await;
    browser
        .wait_for_text(
            "the read receipt on the incident page",
            false,
            Duration::from_secs(5),
            |t| t.contains("市局值班员（city） 于"),
        )
        .await;
    browser.close().await;
}

in_browsers!(a_district_reports_up_and_the_city_reads_it);
