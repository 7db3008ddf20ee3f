//! Event streams are pushed, not polled: they hear another replica's changes through
//! PostgreSQL, are capped per token and per replica, and end when their token is
//! revoked.

use yuqing_tracker::config::DbTarget;

use super::*;

/// Reads the stream until it ends (the server closed it), within `within`.
pub async fn ends_within(res: reqwest::Response, within: StdDuration) -> bool {
    let mut stream = res.bytes_stream();
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Err(_) => return false,
            Ok(None) | Ok(Some(Err(_))) => return true,
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// Revokes the (only) viewer token through `app`'s API.
pub async fn revoke_the_viewer(app: &TestApp, admin: &str) {
    let tokens: Value = app.get("/api/v1/tokens", admin).await.json().await.unwrap();
    let id = tokens["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["role"] == "viewer")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .request(Method::DELETE, &format!("/api/v1/tokens/{id}"), admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

async fn streams_are_capped_per_token_and_per_replica(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.server.max_event_streams = 3;
        s.server.max_event_streams_per_token = 2;
    })
    .await;
    let a = open_stream(&app, &app.admin, None).await;
    let _b = open_stream(&app, &app.admin, None).await;
    let res = app.get("/api/v1/events", &app.admin).await;
    let (code, _) = error_code(res, 429).await;
    assert_eq!(code, "too_many_requests");
    let viewer = app.token(Role::Viewer, None).await;
    let _c = open_stream(&app, &viewer, None).await;
    let res = app.get("/api/v1/events", &viewer).await;
    let (code, _) = error_code(res, 503).await;
    assert_eq!(code, "unavailable");
    // A closed stream frees its place once the server notices the client is gone: a
    // write after the client closed fails, at the latest with the second keep-alive
    // (every 15 s).
    drop(a);
    let deadline = tokio::time::Instant::now() + StdDuration::from_secs(45);
    loop {
        let res = app.get("/api/v1/events", &app.admin).await;
        if res.status() == 200 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the place was not freed"
        );
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
}

async fn a_revoked_tokens_stream_ends(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let viewer = app.token(Role::Viewer, None).await;
    let stream = open_stream(&app, &viewer, None).await;
    revoke_the_viewer(&app, &app.admin).await;
    assert!(
        ends_within(stream, StdDuration::from_secs(5)).await,
        "the stream of a revoked token went on"
    );
}

/// Two replicas on one PostgreSQL: a change logged on one reaches a stream on the other
/// (LISTEN/NOTIFY), and a token revoked on one ends its stream on the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_replicas_changes_reach_the_stream() {
    let first = spawn_app(Backend::Postgres).await;
    first.seed_units().await;
    let url = DbTarget::parse(&first.database_url()).unwrap();
    let second = spawn_app_with(Backend::Postgres, |s| s.database.url = url).await;
    let stream = open_stream(&second, &first.admin, None).await;
    let id = create(
        &first,
        incident("440106", "general", Duration::hours(1), "别处登记"),
    )
    .await;
    let events = read_events(stream, 1).await;
    assert_eq!(events[0].1, "created");
    assert_eq!(events[0].2["incident_id"], id.as_str());

    let viewer = first.token(Role::Viewer, None).await;
    let watching = open_stream(&second, &viewer, None).await;
    revoke_the_viewer(&first, &first.admin).await;
    assert!(
        ends_within(watching, StdDuration::from_secs(5)).await,
        "the other replica kept streaming to a revoked token"
    );
}

crate::on_both_backends!(
    streams_are_capped_per_token_and_per_replica,
    a_revoked_tokens_stream_ends,
);
