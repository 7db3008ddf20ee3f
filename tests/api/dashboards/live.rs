//! Time-driven changes: clock phases reach the board and the live event stream.

use super::*;

async fn clock_phases_reach_the_board_and_the_event_stream(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let live = open_stream(&app, &app.admin, None).await;
    let scoped = app.token(Role::Viewer, Some("440111")).await;
    let scoped_live = open_stream(&app, &scoped, None).await;

    // Discovered 6 hours ago: the statement deadline has passed.
    let id = create(
        &app,
        incident("440106", "major", Duration::hours(6), "超时的"),
    )
    .await;
    let engine = app.engine.as_ref().expect("engine").clone();
    // The scheduler's sweep may get there first; either way it is recorded once.
    engine.record_phases().await.unwrap();
    assert_eq!(engine.record_phases().await.unwrap(), 0, "recorded once");
    let other = create(
        &app,
        incident("440111", "general", Duration::hours(1), "白云区的"),
    )
    .await;

    let events = read_events(live, 4).await;
    let kinds: Vec<&str> = events.iter().map(|(_, k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        ["created", "clocks_started", "clock_breached", "created"]
    );
    assert!(events.windows(2).all(|w| w[0].0 < w[1].0), "ids grow");
    assert_eq!(events[2].2["incident_id"], id.as_str());
    assert_eq!(events[2].2["changes"]["kind"], "authoritative_statement");
    assert_eq!(events[2].2["changes"]["phase"]["after"], "breached");
    assert_eq!(events[2].2["actor"], "系统");

    // The scoped stream only carries its unit's incidents.
    let mine = read_events(scoped_live, 1).await;
    assert_eq!(mine[0].2["incident_id"], other.as_str());

    // Reconnecting after the first event resumes right after it.
    let resumed = read_events(open_stream(&app, &app.admin, Some(events[0].0)).await, 3).await;
    assert_eq!(
        resumed.iter().map(|e| e.0).collect::<Vec<_>>(),
        events[1..].iter().map(|e| e.0).collect::<Vec<_>>()
    );
    let res = app
        .request(Method::GET, "/api/v1/events", &app.admin)
        .header("Last-Event-ID", "yesterday")
        .send()
        .await
        .unwrap();
    error_code(res, 400).await;

    // The board shows it as breached, and the scoped board does not see it.
    let board: Value = app
        .get("/api/v1/board", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    let deadline = |list: &str| {
        [
            (format!(".{list}[].incident_id"), "[id]"),
            (format!(".{list}[].reference"), "[reference]"),
            (format!(".{list}[].due_at"), "[time]"),
            (format!(".{list}[].remaining_seconds"), "[seconds]"),
        ]
    };
    let mut settings = insta::Settings::clone_current();
    settings.add_redaction(".as_of", "[time]");
    for (selector, placeholder) in deadline("breached")
        .into_iter()
        .chain(deadline("next_deadlines"))
    {
        settings.add_redaction(selector.as_str(), placeholder);
    }
    settings.bind(|| insta::assert_json_snapshot!("board", board));
    assert_eq!(board["clocks"]["breached"]["major"], 1);
    assert_eq!(
        board["clocks"]["running"]["major"], 2,
        "the press conference and the first report"
    );
    assert_eq!(board["open_incidents"]["major"], 1);
    assert_eq!(board["open_incidents"]["general"], 1);
    assert_eq!(board["breached"][0]["incident_id"], id.as_str());
    assert_eq!(board["breached"][0]["units"][0], "天河区税务局");
    assert!(board["breached"][0]["remaining_seconds"].as_i64().unwrap() < -3500);
    assert_eq!(board["next_deadlines"][0]["clock"], "first_report");
    assert_eq!(board["next_deadlines"][1]["clock"], "press_conference");
    assert_eq!(board["mails_failed"]["count"], 0);
    let board: Value = app
        .get("/api/v1/board", &scoped)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(board["clocks"]["breached"]["major"], 0);
    assert_eq!(board["open_incidents"]["general"], 1);
    assert!(board["breached"].as_array().unwrap().is_empty());

    // The timeline records the crossing too.
    assert!(
        app.timeline_kinds(&id)
            .await
            .iter()
            .any(|k| k == "clock_breached")
    );
}

crate::on_both_backends!(clock_phases_reach_the_board_and_the_event_stream,);
