//! A browser's `EventSource` sends no `Authorization` header: it opens the event stream
//! with a ticket minted with the token. A ticket opens one stream, within a minute, in
//! the token's scope, and only while the token is live.

use super::streams::{ends_within, revoke_the_viewer};
use super::*;

/// Mints a ticket with `token`; returns the ticket.
async fn ticket(app: &TestApp, token: &str) -> String {
    minted(app, token).await.0
}

/// Mints a ticket with `token`; returns the ticket and its expiry.
async fn minted(app: &TestApp, token: &str) -> (String, chrono::DateTime<Utc>) {
    let res = app
        .request(Method::POST, "/api/v1/events/tickets", token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    let expires_at: chrono::DateTime<Utc> = body["expires_at"].as_str().unwrap().parse().unwrap();
    (body["ticket"].as_str().unwrap().to_owned(), expires_at)
}

/// GET /api/v1/events?ticket=… with no Authorization header, as an EventSource does.
async fn open_with(app: &TestApp, ticket: &str) -> reqwest::Response {
    app.client
        .get(format!("{}/api/v1/events?ticket={ticket}", app.base))
        .send()
        .await
        .unwrap()
}

async fn a_ticket_opens_one_stream_in_its_tokens_scope(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let district = app.token(Role::Viewer, Some("440106")).await;
    let (pass, expires_at) = minted(&app, &district).await;
    let left = expires_at - Utc::now();
    assert!(
        left > Duration::seconds(50) && left <= Duration::seconds(60),
        "a ticket lives a minute: {left}"
    );
    let stream = open_with(&app, &pass).await;
    assert_eq!(stream.status(), 200);

    // The other district's incident is outside the token's scope; its own arrives.
    create(
        &app,
        incident("440111", "general", Duration::hours(1), "白云"),
    )
    .await;
    let own = create(
        &app,
        incident("440106", "general", Duration::hours(1), "天河"),
    )
    .await;
    let events = read_events(stream, 1).await;
    assert_eq!(events[0].1, "created");
    assert_eq!(events[0].2["incident_id"], own.as_str());

    // Used once: the same ticket opens nothing again.
    let (code, body) = error_code(open_with(&app, &pass).await, 401).await;
    assert_eq!(code, "unauthorized", "{body}");
    // Nor does a made-up one, or a token passed as a ticket.
    let made_up = format!("yqs_{}", "0".repeat(64));
    error_code(open_with(&app, &made_up).await, 401).await;
    error_code(open_with(&app, &district).await, 401).await;
}

async fn a_ticket_expires_after_a_minute(backend: Backend) {
    let app = spawn_app(backend).await;
    let pass = ticket(&app, &app.admin).await;
    app.clock.advance(Duration::seconds(61));
    error_code(open_with(&app, &pass).await, 401).await;
    let fresh = ticket(&app, &app.admin).await;
    assert_eq!(open_with(&app, &fresh).await.status(), 200);
}

async fn a_revoked_tokens_tickets_open_nothing_and_its_streams_end(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    let viewer = app.token(Role::Viewer, None).await;
    let first = ticket(&app, &viewer).await;
    let second = ticket(&app, &viewer).await;
    let stream = open_with(&app, &first).await;
    assert_eq!(stream.status(), 200);
    revoke_the_viewer(&app, &app.admin).await;
    assert!(
        ends_within(stream, StdDuration::from_secs(5)).await,
        "a stream opened with a ticket outlived its token"
    );
    error_code(open_with(&app, &second).await, 401).await;
}

/// Twenty requests present one ticket at once: exactly one stream opens.
async fn a_ticket_presented_together_opens_one_stream(backend: Backend) {
    let app = spawn_app(backend).await;
    let pass = ticket(&app, &app.admin).await;
    let tries = (0..20).map(|_| open_with(&app, &pass));
    let statuses: Vec<u16> = futures_util::future::join_all(tries)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        19,
        "{statuses:?}"
    );
}

crate::on_both_backends!(
    a_ticket_opens_one_stream_in_its_tokens_scope,
    a_ticket_expires_after_a_minute,
    a_revoked_tokens_tickets_open_nothing_and_its_streams_end,
    a_ticket_presented_together_opens_one_stream,
);
