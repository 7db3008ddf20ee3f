//! `/metrics` labels requests by method: invented methods must not grow the scrape.

use super::*;

async fn invented_methods_share_one_label(backend: Backend) {
    let app = spawn_app(backend).await;
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
    // 200 distinct methods cost one label set (one series count), not 200. (Counted by
    // method: tests running beside this one share the registry and add their own routes.)
    let sets: Vec<&str> = after
        .lines()
        .filter(|l| l.starts_with("yuqing_http_request_duration_seconds_count{"))
        .filter(|l| l.contains("method=\"other\""))
        .collect();
    assert_eq!(sets.len(), 1, "{sets:#?}");
}

crate::on_both_backends!(invented_methods_share_one_label);
