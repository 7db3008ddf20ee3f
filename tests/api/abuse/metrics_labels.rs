//! `/metrics` labels requests by method: invented methods must not grow the scrape.

use super::*;

async fn invented_methods_share_one_label(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = app.get("/metrics", "").await.text().await.unwrap();
    for i in 0..200 {
        let method = Method::from_bytes(format!("X{i:04}").as_bytes()).unwrap();
        let res = app
            .request(method, "/api/v1/incidents", "")
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error());
    }
    let after = app.get("/metrics", "").await.text().await.unwrap();
    assert!(
        !after.contains("X0001"),
        "an invented method became a label"
    );
    assert!(after.contains("method=\"other\""), "{after}");
    // 200 distinct methods cost at most one new label set, not 200.
    let lines = |text: &str| text.lines().filter(|l| l.contains("http_request")).count();
    assert!(
        lines(&after) <= lines(&before) + 40,
        "{} → {} lines",
        lines(&before),
        lines(&after)
    );
}

crate::on_both_backends!(invented_methods_share_one_label);
