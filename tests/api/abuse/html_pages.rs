//! The acknowledgement pages: HTML with the headers a page needs, errors as the same
//! page, and nothing recorded for an incident that is already closed.

use yuqing_tracker::domain::time::{SystemClock, TimeSource};
use yuqing_tracker::mail::LinkSigner;
use yuqing_tracker::store::{secrets, write_tx};

use super::*;

/// A signed acknowledgement link to the incident's first notice, as mail carries it.
async fn ack_link(app: &TestApp, incident_id: &str) -> String {
    let rows = app.notifications(incident_id).await;
    let escalation = rows[0]["id"].as_str().unwrap().to_owned();
    let now = SystemClock.now();
    let key = app
        .store
        .run(move |conn| {
            write_tx(conn, |conn| {
                // Made at start: this insert is skipped and the stored key returned.
                secrets::get_or_create(conn, "ack_link_key", now, String::new)
            })
        })
        .await
        .unwrap();
    let exp = (now + Duration::hours(1)).timestamp();
    let sig = LinkSigner::new(key.as_bytes()).sign(&escalation, exp);
    format!("/ack/{escalation}?exp={exp}&sig={sig}")
}

/// A major incident in the seeded directory, and a link to acknowledge its first notice.
async fn incident_with_link(app: &TestApp) -> (String, String) {
    app.seed_directory().await;
    let created = app
        .create_incident(
            &app.admin,
            &crate::helpers::major_incident(Duration::minutes(5)),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let link = ack_link(app, &id).await;
    (id, link)
}

fn assert_page_headers(res: &reqwest::Response) {
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no {name}"))
            .to_owned()
    };
    assert!(header("content-type").starts_with("text/html"));
    assert!(header("content-security-policy").contains("frame-ancestors 'none'"));
    assert!(header("content-security-policy").contains("default-src 'none'"));
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("cache-control"), "no-store");
    assert_eq!(header("referrer-policy"), "no-referrer");
}

async fn acknowledgement_pages_are_pages_even_when_wrong(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, link) = incident_with_link(&app).await;
    let page = app
        .client
        .get(format!("{}{link}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_page_headers(&page);

    let escalation = link.split(['/', '?']).nth(2).unwrap().to_owned();
    for broken in [
        format!("/ack/{escalation}"),
        format!("/ack/{escalation}?exp=soon&sig=x"),
        format!("/ack/{escalation}?exp=1"),
    ] {
        let res = app
            .client
            .get(format!("{}{broken}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{broken}");
        assert_page_headers(&res);
        assert!(res.text().await.unwrap().contains("链接无效"), "{broken}");
    }
    let res = app
        .client
        .post(format!("{}/ack/{escalation}", app.base))
        .body("exp=1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_page_headers(&res);
}

async fn acknowledging_a_closed_incident_records_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let (id, link) = incident_with_link(&app).await;
    let dismiss = json!({ "status": "dismissed", "reason": "重复登记", "version": 1 });
    let res = app
        .post(
            &format!("/api/v1/incidents/{id}/status"),
            &app.admin,
            &dismiss,
        )
        .await;
    assert_eq!(res.status(), 200);
    let before = app.timeline_kinds(&id).await;
    let (path, query) = link.split_once('?').unwrap();
    let res = app
        .client
        .post(format!("{}{path}", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(query.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("无需确认") && html.contains("已排除"),
        "{html}"
    );
    assert_eq!(
        app.timeline_kinds(&id).await,
        before,
        "the timeline is unchanged"
    );
    assert!(!before.iter().any(|k| k == "acknowledged"));
}

crate::on_both_backends!(
    acknowledgement_pages_are_pages_even_when_wrong,
    acknowledging_a_closed_incident_records_nothing,
);
