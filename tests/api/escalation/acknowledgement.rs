//! Acknowledging from the mail: the signed link, what it stops and when it expires.

use super::*;

async fn acknowledging_stops_repeats_for_that_person_only(backend: Backend) {
    let smtp = TestSmtp::start();
    let app = smtp_app(backend, smtp.port).await;
    let incident = app
        .create_incident(
            &app.admin,
            &major_incident(Duration::hours(5) + Duration::minutes(1)),
        )
        .await;
    let id = incident["id"].as_str().unwrap().to_owned();
    assert_eq!(
        clock(&incident, "authoritative_statement")["state"],
        "breached"
    );
    let received = smtp
        .wait_for("breach mail", StdDuration::from_secs(15), |r| r.len() >= 7)
        .await;
    let rows = app.notifications(&id).await;
    let breach = rows
        .iter()
        .find(|r| r["step"] == "breach" && r["address"] == "principal@440106.example.org")
        .unwrap();
    let mail = received
        .iter()
        .find(|m| m.message_id == breach["message_id"])
        .unwrap();
    // Links point at server.public_url; this test server listens elsewhere.
    let start = mail
        .text
        .find("/ack/")
        .unwrap_or_else(|| panic!("no ack link in {}", mail.text));
    let link = format!(
        "{}{}",
        app.base,
        mail.text[start..].split_whitespace().next().unwrap()
    );
    let link = link.as_str();

    let page = app.client.get(link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("确认已知悉") && html.contains(incident["reference"].as_str().unwrap()));
    let query = link.split_once('?').unwrap().1;
    let form: HashMap<&str, &str> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    let post = app
        .client
        .post(link.split_once('?').unwrap().0)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 200);
    assert!(post.text().await.unwrap().contains("已确认"));

    let rows = app.notifications(&id).await;
    let repeat = |email: &str| {
        rows.iter()
            .find(|r| r["step"] == "repeat_1" && r["address"] == email)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(repeat("principal@440106.example.org"), "cancelled");
    assert_eq!(repeat("principal@4401.example.org"), "pending");
    let timeline: Value = app
        .get(&format!("/api/v1/incidents/{id}/timeline"), &app.admin)
        .await
        .json()
        .await
        .unwrap();
    let ack = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "acknowledged")
        .unwrap()
        .clone();
    assert_eq!(ack["actor"], "principal_leader@440106");
    let incident: Value = app
        .get(&format!("/api/v1/incidents/{id}"), &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        clock(&incident, "authoritative_statement")["state"],
        "breached",
        "the clock runs on"
    );

    let forged = link.replace("sig=", "sig=00");
    let res = app.client.get(&forged).send().await.unwrap();
    assert_eq!(res.status(), 403);

    // mail.ack_link_ttl_hours (72) later the link has expired.
    assert_eq!(app.client.get(link).send().await.unwrap().status(), 200);
    app.clock
        .advance(Duration::hours(72) + Duration::minutes(1));
    let expired = app.client.get(link).send().await.unwrap();
    assert_eq!(expired.status(), 403);
    assert!(expired.text().await.unwrap().contains("已过期"));
}

crate::on_both_backends!(acknowledging_stops_repeats_for_that_person_only,);
