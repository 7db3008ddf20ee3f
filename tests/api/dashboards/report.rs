//! The timeliness report against a hand count, as JSON and CSV.

use super::*;

async fn timeliness_report_matches_a_hand_count(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let now = Utc::now();
    // 440106: A met (240 min), B met late (420 min); 440111: C breached; D at both,
    // not yet due; E (一般) has the 48-hour response clock only, not yet due; F's major
    // clocks were cancelled when it was lowered, and its 48-hour clock started. A's and
    // B's statements started their first continued release, not yet due. Each major
    // incident's first report is due an hour after logging: A's was sent at once (met),
    // B's, C's and D's are not yet due; A's briefing started its first follow-up.
    let a = create(&app, incident("440106", "major", Duration::hours(6), "A")).await;
    statement_after(&app, &a, Duration::minutes(240)).await;
    let discovered = (now - Duration::hours(6)).to_rfc3339();
    let res = app
        .post(
            &format!("/api/v1/incidents/{a}/briefings"),
            &app.admin,
            &json!({ "kind": "first_report", "event": "A 的事件概况", "discovered_at": discovered,
                     "actions": "已核实" }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let b = create(&app, incident("440106", "major", Duration::hours(7), "B")).await;
    statement_after(&app, &b, Duration::minutes(420)).await;
    create(
        &app,
        incident("440111", "extremely_major", Duration::hours(6), "C"),
    )
    .await;
    let mut d = incident("440106", "major", Duration::hours(2), "D");
    d["responsible_units"] = json!([{ "code": "440106" }, { "code": "440111" }]);
    create(&app, d).await;
    create(&app, incident("440106", "general", Duration::hours(2), "E")).await;
    let f = create(&app, incident("440111", "major", Duration::hours(1), "F")).await;
    let res = app
        .patch(
            &format!("/api/v1/incidents/{f}"),
            &app.admin,
            &json!({ "severity": "general", "version": 1 }),
        )
        .await;
    assert_eq!(res.status(), 200);

    let zone = chrono_tz::Asia::Shanghai;
    let today = now.with_timezone(&zone).date_naive();
    let period = format!(
        "from={}&to={}",
        today - chrono::Days::new(1),
        today + chrono::Days::new(2)
    );
    let res = app
        .get(&format!("/api/v1/reports/timeliness?{period}"), &app.admin)
        .await;
    assert_eq!(res.status(), 200);
    let report: Value = res.json().await.unwrap();
    // The whole report as a dashboard receives it; the dates move with the day the test
    // runs.
    insta::assert_json_snapshot!("timeliness_report", report, {
        ".as_of" => "[time]",
        ".from" => "[date]",
        ".to" => "[date]",
    });
    assert_eq!(report["time_zone"], "Asia/Shanghai");
    let groups = report["groups"].as_array().unwrap();
    let row = |v: &Value| {
        (
            v["key"].as_str().unwrap().to_owned(),
            v["clocks_due"].as_i64().unwrap(),
            v["met_on_time"].as_i64().unwrap(),
            v["met_late"].as_i64().unwrap(),
            v["breached_open"].as_i64().unwrap(),
            v["not_yet_due"].as_i64().unwrap(),
        )
    };
    assert_eq!(row(&groups[0]), ("440106".into(), 13, 2, 1, 0, 10));
    assert_eq!(groups[0]["label"], "天河区税务局");
    let rate = groups[0]["on_time_rate"].as_f64().unwrap();
    assert!((rate - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(groups[0]["first_report"]["on_time_rate"], 1.0);
    assert_eq!(groups[0]["statement"]["median_minutes"], 240);
    assert_eq!(groups[0]["statement"]["p90_minutes"], 420);
    assert_eq!(groups[0]["statement"]["on_time_rate"], 0.5);
    assert!(field(&groups[0]["continued_release"], "on_time_rate").is_null());
    assert!(field(&groups[0]["press_conference"], "median_minutes").is_null());
    assert_eq!(row(&groups[1]), ("440111".into(), 7, 0, 0, 1, 6));
    assert!(field(&groups[1]["first_report"], "on_time_rate").is_null());
    assert_eq!(groups[1]["on_time_rate"], 0.0);
    assert_eq!(row(&report["total"]), ("total".into(), 17, 2, 1, 1, 13));
    assert!(field(&report["total"]["response"], "median_minutes").is_null());
    assert_eq!(report["total"]["on_time_rate"], 0.5);

    // One unit; by month; a scoped token sees its own units only.
    let one: Value = app
        .get(
            &format!("/api/v1/reports/timeliness?{period}&unit=440111"),
            &app.admin,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["groups"].as_array().unwrap().len(), 1);
    assert_eq!(row(&one["total"]), ("total".into(), 7, 0, 0, 1, 6));
    let months: Value = app
        .get(
            &format!("/api/v1/reports/timeliness?{period}&group_by=month"),
            &app.admin,
        )
        .await
        .json()
        .await
        .unwrap();
    let sum: i64 = months["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["clocks_due"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, 17);
    let scoped = app.token(Role::Viewer, Some("440106")).await;
    let mine: Value = app
        .get(&format!("/api/v1/reports/timeliness?{period}"), &scoped)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(row(&mine["total"]), ("total".into(), 13, 2, 1, 0, 10));
    // The city's own view rolls its districts up: a row each, and their total, first
    // reports included.
    let city = app.token(Role::Viewer, Some("4401")).await;
    let rolled: Value = app
        .get(&format!("/api/v1/reports/timeliness?{period}"), &city)
        .await
        .json()
        .await
        .unwrap();
    let keys: Vec<&str> = rolled["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["440106", "440111"]);
    assert_eq!(rolled["total"], report["total"]);
    assert_eq!(rolled["total"]["first_report"]["on_time_rate"], 1.0);

    // CSV: Chinese headers with a byte-order mark by default, English on request.
    let res = app
        .get(
            &format!("/api/v1/reports/timeliness?{period}&format=csv"),
            &app.admin,
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = res.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with(
        "\u{feff}单位代码,单位名称,到期时限数,按时完成,超时完成,已超时未完成,未到期,按时率"
    ));
    assert_eq!(
        lines[1],
        "440106,天河区税务局,13,2,1,0,10,66.7%,0,0,100.0%,240,420,50.0%,,,,,,,,,,,,,,,"
    );
    assert_eq!(
        lines[2],
        "440111,白云区税务局,7,0,0,1,6,0.0%,,,,,,0.0%,,,,,,,,,,,,,,,"
    );
    assert_eq!(
        lines[3],
        "total,合计,17,2,1,1,13,50.0%,0,0,100.0%,240,420,33.3%,,,,,,,,,,,,,,,"
    );
    let res = app
        .request(
            Method::GET,
            &format!("/api/v1/reports/timeliness?{period}&lang=en"),
            &app.admin,
        )
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    let text = res.text().await.unwrap();
    assert!(text.starts_with("unit_code,unit_name,clocks_due,met_on_time,met_late,breached_open,not_yet_due,on_time_rate,"));
    assert!(
        text.contains(
            "\ntotal,total,17,2,1,1,13,0.5000,0,0,1.0000,240,420,0.3333,,,,,,,,,,,,,,,\n"
        ),
        "{text}"
    );

    for (query, field) in [
        (
            format!("from={today}&to={}", today - chrono::Days::new(1)),
            "to",
        ),
        ("group_by=week".to_owned(), "group_by"),
        ("unit=9999".to_owned(), "unit"),
        ("from=2026-13-01".to_owned(), "from"),
        ("from=2020-01-01&to=2026-01-01".to_owned(), "from"),
        ("format=xlsx".to_owned(), "format"),
    ] {
        let res = app
            .get(&format!("/api/v1/reports/timeliness?{query}"), &app.admin)
            .await;
        let (_, details) = error_code(res, 422).await;
        assert_eq!(details["field"], field, "{query}");
    }
}

crate::on_both_backends!(timeliness_report_matches_a_hand_count,);
