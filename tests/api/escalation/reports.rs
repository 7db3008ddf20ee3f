//! The daily digest and the weekly timeliness summary, planned by hand and by the cron jobs.

use super::*;

async fn digest_and_weekly_summary_reach_leaders_once(backend: Backend) {
    use yuqing_tracker::domain::report::ReportKind;
    let smtp = TestSmtp::start();
    let app = smtp_app(backend, smtp.port).await;
    let incident = app
        .create_incident(&app.admin, &major_incident(Duration::hours(6)))
        .await;
    let reference = incident["reference"].as_str().unwrap();
    // The deadline passed an hour ago: the notice, and each person's most severe due
    // reminder (the duty officer's T−2h, the breach, the principal leaders' first repeat).
    smtp.wait_for("notice and reminders", StdDuration::from_secs(15), |r| {
        r.len() >= 9
    })
    .await;
    let engine = app.engine.as_ref().unwrap();

    assert_eq!(
        engine.plan_report(ReportKind::DailyDigest).await.unwrap(),
        2
    );
    assert_eq!(
        engine.plan_report(ReportKind::DailyDigest).await.unwrap(),
        0,
        "once per day and recipient"
    );
    let got = smtp
        .wait_for("digests", StdDuration::from_secs(15), |r| r.len() >= 11)
        .await;
    let digests: Vec<&Received> = got.iter().filter(|m| m.subject.contains("日报")).collect();
    let mut to: Vec<String> = digests.iter().map(|m| m.to.join(",")).collect();
    to.sort();
    assert_eq!(
        to,
        ["deputy@440106.example.org", "principal@440106.example.org"]
    );
    assert!(
        digests[0].text.contains(reference) && digests[0].text.contains("已超时"),
        "{}",
        digests[0].text
    );

    assert_eq!(
        engine.plan_report(ReportKind::WeeklySummary).await.unwrap(),
        2
    );
    assert_eq!(
        engine.plan_report(ReportKind::WeeklySummary).await.unwrap(),
        0
    );
    let got = smtp
        .wait_for("summaries", StdDuration::from_secs(15), |r| r.len() >= 13)
        .await;
    let city = got
        .iter()
        .find(|m| m.subject.contains("周报") && m.to == ["principal@4401.example.org"])
        .expect("the city's principal leader gets the summary of the units below");
    assert!(
        city.text
            .contains("天河区税务局：到期 1，按时 0，超时完成 0，超时未完成 1"),
        "{}",
        city.text
    );
    assert!(city.text.contains("按时率 0%"), "{}", city.text);
}

/// The cron jobs themselves plan the digest and the summary: with both set to fire every
/// second, each leader still gets one of each (one per period and recipient). The
/// incident's statement deadline passed an hour ago, so the summary has a clock to count.
async fn cron_jobs_send_digest_and_summary(backend: Backend) {
    let smtp = TestSmtp::start();
    let app = spawn_app_with(backend, |s| {
        use_smtp(s, smtp.port);
        let every_second = CronExpr::try_from("* * * * * *".to_owned()).unwrap();
        s.scheduler.sweep = every_second.clone();
        s.scheduler.daily_digest = every_second.clone();
        s.scheduler.weekly_summary = every_second;
    })
    .await;
    app.seed_directory().await;
    app.create_incident(&app.admin, &major_incident(Duration::hours(6)))
        .await;
    smtp.wait_for("a digest and a summary", StdDuration::from_secs(20), |r| {
        r.iter().any(|m| m.subject.contains("日报")) && r.iter().any(|m| m.subject.contains("周报"))
    })
    .await;
    // Three seconds' more ticks of the same scheduler later, still one per period and
    // recipient.
    let arrived = Utc::now();
    loop {
        let ready: Value = app.get("/readyz", "").await.json().await.unwrap();
        let tick = &ready["engine"]["scheduler_last_tick_at"];
        if tick.is_string() && at(tick) >= arrived + Duration::seconds(3) {
            break;
        }
        assert!(
            Utc::now() < arrived + Duration::seconds(15),
            "the scheduler stopped ticking: {ready}"
        );
        tokio::time::sleep(StdDuration::from_millis(200)).await;
    }
    let received = smtp.received();
    let recipients = |kind: &str| {
        let mut to: Vec<String> = received
            .iter()
            .filter(|m| m.subject.contains(kind))
            .map(|m| m.to.join(","))
            .collect();
        to.sort();
        to
    };
    assert_eq!(
        recipients("日报"),
        ["deputy@440106.example.org", "principal@440106.example.org"]
    );
    assert_eq!(
        recipients("周报"),
        ["principal@4401.example.org", "principal@440106.example.org"]
    );
}

crate::on_both_backends!(
    digest_and_weekly_summary_reach_leaders_once,
    cron_jobs_send_digest_and_summary,
);
