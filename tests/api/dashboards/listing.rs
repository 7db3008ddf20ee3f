//! The incident listing: filters, sorts and keyset paging.

use super::*;

async fn listing_filters_sorts_and_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    // a: statement at risk (due in 1 h); b: statement breached; c: no clocks;
    // d: statement met, press conference running.
    let a = create(
        &app,
        incident("440106", "major", Duration::hours(4), "A 退税舆情"),
    )
    .await;
    let b = create(
        &app,
        incident("440111", "major", Duration::hours(6), "B 社保费舆情"),
    )
    .await;
    let c = create(
        &app,
        incident("440106", "general", Duration::hours(1), "C 增值税发票"),
    )
    .await;
    let d = create(
        &app,
        incident("440106", "major", Duration::hours(1), "D 个税舆情"),
    )
    .await;
    statement(&app, &d, Utc::now()).await;

    let ids = |v: &[&String]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    for (query, expected) in [
        ("severity=general", ids(&[&c])),
        ("unit=440111", ids(&[&b])),
        ("clock_state=breached", ids(&[&b])),
        (
            "clock_kind=authoritative_statement&clock_state=at_risk",
            ids(&[&a]),
        ),
        ("clock_state=met", ids(&[&d])),
        (
            "clock_kind=press_conference&clock_state=running",
            ids(&[&a, &b, &d]),
        ),
        ("clock_kind=press_conference&clock_state=breached", vec![]),
        ("q=%E5%8F%91%E7%A5%A8", ids(&[&c])), // 发票
        ("q=%25", vec![]),                    // a literal %, not a wildcard
        ("q=YQ-", ids(&[&a, &b, &c, &d])),
    ] {
        let (found, _) = page(&app, query).await;
        assert_eq!(sorted(found), sorted(expected), "{query}");
    }
    let since = urlencoding(&ago(Duration::minutes(150)));
    let (found, _) = page(&app, &format!("discovered_from={since}")).await;
    assert_eq!(sorted(found), sorted(ids(&[&c, &d])));
    let (found, _) = page(&app, &format!("discovered_to={since}")).await;
    assert_eq!(sorted(found), sorted(ids(&[&a, &b])));
    let (found, _) = page(
        &app,
        &format!("updated_since={}", urlencoding(&ago(Duration::zero()))),
    )
    .await;
    assert!(found.is_empty(), "nothing changed after now");

    // Nearest running deadline first, then the incidents without one, newest first;
    // one page at a time gives the same order with nothing twice.
    let order = ids(&[&b, &a, &d, &c]);
    assert_eq!(page(&app, "sort=deadline").await.0, order);
    assert_eq!(all_pages(&app, "sort=deadline&limit=1").await, order);
    assert_eq!(all_pages(&app, "sort=deadline&limit=3").await, order);

    // Newest first stays stable while new incidents arrive.
    let (first, cursor) = page(&app, "limit=2").await;
    assert_eq!(first, ids(&[&d, &c]));
    let e = create(
        &app,
        incident("440106", "general", Duration::hours(1), "E 新舆情"),
    )
    .await;
    let (second, cursor) = page(&app, &format!("limit=2&cursor={}", cursor.unwrap())).await;
    assert_eq!(second, ids(&[&b, &a]));
    assert!(cursor.is_none());
    assert_eq!(page(&app, "limit=1").await.0, ids(&[&e]));

    // Each item carries its clocks: the first report, the statement and the press
    // conference.
    let res: Value = app
        .get("/api/v1/incidents?q=A%20", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    let clocks = res["items"][0]["clocks"].as_array().unwrap();
    assert_eq!(clocks.len(), 3);
    assert!(
        clocks
            .iter()
            .any(|c| c["state"] == "at_risk" && c["remaining_seconds"].as_i64().unwrap() > 0)
    );

    // Bad input names the parameter.
    let (_, deadline_cursor) = page(&app, "sort=deadline&limit=1").await;
    for (query, field) in [
        ("sort=oldest".to_owned(), "sort"),
        ("clock_state=late".to_owned(), "clock_state"),
        ("clock_kind=hearing".to_owned(), "clock_kind"),
        (format!("cursor={}", deadline_cursor.unwrap()), "cursor"),
        ("cursor=nonsense".to_owned(), "cursor"),
        (format!("q={}", "税".repeat(101)), "q"),
        (
            format!("discovered_from={since}&discovered_to={since}"),
            "discovered_to",
        ),
        ("discovered_from=yesterday".to_owned(), "discovered_from"),
        ("unit=9999".to_owned(), "unit"),
    ] {
        let res = app
            .get(&format!("/api/v1/incidents?{query}"), &app.admin)
            .await;
        let (_, details) = error_code(res, 422).await;
        assert_eq!(details["field"], field, "{query}");
    }
}

crate::on_both_backends!(listing_filters_sorts_and_pages,);
