//! Cheap polling: strong ETags and 304 until something visible changes.

use super::*;

async fn polling_gets_304_until_something_changes(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let id = create(
        &app,
        incident("440106", "major", Duration::hours(1), "轮询"),
    )
    .await;
    let one = format!("/api/v1/incidents/{id}");
    let paths = [
        "/api/v1/incidents".to_owned(),
        "/api/v1/incidents?severity=major&sort=deadline".to_owned(),
        "/api/v1/board".to_owned(),
        "/api/v1/reports/timeliness".to_owned(),
        one.clone(),
    ];
    let mut tags = Vec::new();
    for path in &paths {
        let (status, tag) = poll(&app, path, &app.admin, None).await;
        assert_eq!(status, 200, "{path}");
        for _ in 0..3 {
            assert_eq!(
                poll(&app, path, &app.admin, Some(&tag)).await,
                (304, tag.clone()),
                "{path}"
            );
        }
        tags.push(tag);
    }
    // Another view, another scope: another tag.
    assert_ne!(tags[0], tags[1]);
    let scoped = app.token(Role::Viewer, Some("440106")).await;
    assert_eq!(poll(&app, &paths[0], &scoped, Some(&tags[0])).await.0, 200);

    // Something changes: every view answers in full again, then 304 again.
    let other_id = create(
        &app,
        incident("440111", "general", Duration::hours(1), "新的"),
    )
    .await;
    for (path, old) in paths.iter().zip(&tags) {
        let (status, tag) = poll(&app, path, &app.admin, Some(old)).await;
        assert_eq!(status, 200, "{path} after a change");
        assert_ne!(&tag, old);
        assert_eq!(
            poll(&app, path, &app.admin, Some(&tag)).await.0,
            304,
            "{path}"
        );
    }

    // The single incident's read tag still serves If-Match.
    let (_, tag) = poll(&app, &one, &app.admin, None).await;
    let res = app
        .request(Method::PATCH, &one, &app.admin)
        .header("If-Match", &tag)
        .json(&json!({ "title": "改过的标题" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (status, _) = poll(&app, &one, &app.admin, Some(&tag)).await;
    assert_eq!(status, 200);

    // One incident's tag is not another's.
    let (_, fresh) = poll(&app, &one, &app.admin, None).await;
    let other_path = format!("/api/v1/incidents/{other_id}");
    assert_eq!(
        poll(&app, &other_path, &app.admin, Some(&fresh)).await.0,
        200
    );

    // A token outside the incident's scope gets no 304 for it.
    let other = app.token(Role::Viewer, Some("440111")).await;
    let (_, fresh) = poll(&app, &one, &app.admin, None).await;
    let res = app
        .request(Method::GET, &one, &other)
        .header("If-None-Match", &fresh)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

crate::on_both_backends!(polling_gets_304_until_something_changes,);
