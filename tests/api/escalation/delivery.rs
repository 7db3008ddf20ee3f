//! Getting mail delivered: SMTP outages, refused addresses, and the embedded file transport.

use super::*;

async fn smtp_outage_delays_but_loses_nothing(backend: Backend) {
    let port = free_port();
    let app = smtp_app(backend, port).await;
    // Refused connections first.
    let incident = app
        .create_incident(&app.admin, &major_incident(Duration::minutes(1)))
        .await;
    let id = incident["id"].as_str().unwrap().to_owned();
    let failing = |rows: &[Value]| {
        rows.iter().all(|r| {
            r["step"] != "new_major"
                || (r["status"] == "pending" && r["attempts"].as_i64().unwrap() >= 1)
        })
    };
    wait_rows(&app, &id, "refused attempts", failing).await;
    // Each phase lasts until every notice has been tried in it.
    let every_notice_says = |text: &'static str| {
        move |rows: &[Value]| {
            rows.iter()
                .filter(|r| r["step"] == "new_major")
                .all(|r| r["last_error"].as_str().is_some_and(|e| e.contains(text)))
        }
    };
    // Then a server that accepts TCP and never greets: sends time out, nothing hangs.
    let silent = Silent::bind(port).await;
    wait_rows(
        &app,
        &id,
        "timed-out attempts",
        every_notice_says("no answer"),
    )
    .await;
    silent.stop().await;
    // Then 421 at the greeting, then 451 at RCPT, then it recovers.
    let smtp = TestSmtp::start_on(port);
    smtp.set_faults(Faults {
        helo: Some(421),
        ..Faults::default()
    });
    wait_rows(&app, &id, "421 replies", every_notice_says("421")).await;
    smtp.set_faults(Faults {
        rcpt: Some(451),
        ..Faults::default()
    });
    wait_rows(&app, &id, "451 replies", every_notice_says("451")).await;
    smtp.set_faults(Faults::default());
    let sent = |rows: &[Value]| {
        rows.iter()
            .filter(|r| r["step"] == "new_major")
            .all(|r| r["status"] == "sent")
    };
    let rows = wait_rows(&app, &id, "delivery after recovery", sent).await;
    let received = smtp.received();
    let notices: Vec<&Value> = rows.iter().filter(|r| r["step"] == "new_major").collect();
    assert_eq!(notices.len(), 3);
    for row in notices {
        let copies = received
            .iter()
            .filter(|m| m.message_id == row["message_id"])
            .count();
        assert_eq!(copies, 1, "delivered once: {row}");
        // Refused, timed out, 421, 451, then accepted: at least five attempts.
        assert!(row["attempts"].as_i64().unwrap() >= 5, "retried: {row}");
    }
    assert!(rows.iter().all(|r| r["status"] != "sending"));
}

async fn a_refused_address_fails_alone_without_retries(backend: Backend) {
    let smtp = TestSmtp::start();
    smtp.set_faults(Faults {
        refuse: vec![("liaison@440106.example.org".into(), 550)],
        ..Faults::default()
    });
    let app = smtp_app(backend, smtp.port).await;
    let incident = app
        .create_incident(&app.admin, &major_incident(Duration::minutes(1)))
        .await;
    let id = incident["id"].as_str().unwrap().to_owned();
    let settled = |rows: &[Value]| {
        rows.iter()
            .filter(|r| r["step"] == "new_major")
            .all(|r| r["status"] == "sent" || r["status"] == "failed")
    };
    let rows = wait_rows(&app, &id, "notice settled", settled).await;
    let notice: Vec<&Value> = rows.iter().filter(|r| r["step"] == "new_major").collect();
    let failed: Vec<&&Value> = notice.iter().filter(|r| r["status"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["address"], "liaison@440106.example.org");
    assert!(failed[0]["last_error"].as_str().unwrap().contains("550"));
    assert_eq!(failed[0]["attempts"], 1, "a 5xx is not retried");
    assert_eq!(
        notice.iter().filter(|r| r["status"] == "sent").count(),
        2,
        "the others are delivered"
    );
    // It stays failed: later rounds do not pick it up again.
    let (_tx, rx) = tokio::sync::watch::channel(false);
    app.engine.as_ref().unwrap().round(&rx).await.unwrap();
    let rows = app.notifications(&id).await;
    let again = rows
        .iter()
        .find(|r| r["address"] == "liaison@440106.example.org" && r["step"] == "new_major")
        .unwrap();
    assert_eq!(again["attempts"], 1);

    // The failure shows on the board and in the metrics.
    let board: Value = app
        .get("/api/v1/board", &app.admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(board["mails_failed"]["count"], 1);
    let recent = &board["mails_failed"]["recent"][0];
    assert_eq!(recent["incident_id"], id.as_str());
    assert!(recent["last_error"].as_str().unwrap().contains("550"));
    let metrics = app.get("/metrics", "").await.text().await.unwrap();
    assert!(
        metrics.contains("yuqing_mails{status=\"failed\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("yuqing_mail_attempts_total{outcome=\"failed\"}"));
}

/// The embedded default: mail is written as .eml files, one per step and recipient.
async fn file_transport_writes_the_same_mails(backend: Backend) {
    let app = crate::helpers::spawn_app_with(backend, crate::helpers::fast_engine).await;
    app.seed_directory().await;
    let incident = app
        .create_incident(
            &app.admin,
            &major_incident(Duration::hours(5) + Duration::minutes(1)),
        )
        .await;
    let dir = app.files.path().join("mail");
    let deadline = std::time::Instant::now() + StdDuration::from_secs(20);
    let files = loop {
        let files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        if files.len() >= 8 {
            break files;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "only {} mail files",
            files.len()
        );
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    };
    assert!(
        files
            .iter()
            .all(|f| f.extension().is_some_and(|e| e == "eml"))
    );
    let rows = app.notifications(incident["id"].as_str().unwrap()).await;
    let mut steps = Vec::new();
    for file in &files {
        let raw = std::fs::read(file).unwrap();
        let mail = mailparse::parse_mail(&raw).unwrap();
        let header = |n: &str| {
            mail.headers
                .iter()
                .find(|h| h.get_key().eq_ignore_ascii_case(n))
                .unwrap()
                .get_value()
        };
        let row = rows
            .iter()
            .find(|r| r["message_id"] == header("Message-ID"))
            .expect("a recorded Message-ID");
        assert!(header("To").contains(row["address"].as_str().unwrap()));
        steps.push(row["step"].as_str().unwrap().to_owned());
        let subject = header("Subject");
        assert!(
            subject.contains(incident["reference"].as_str().unwrap()),
            "{subject}"
        );
    }
    steps.sort();
    assert_eq!(
        steps,
        [
            "before_120m",
            "breach",
            "breach",
            "breach",
            "breach",
            "new_major",
            "new_major",
            "new_major"
        ]
    );
}

crate::on_both_backends!(
    smtp_outage_delays_but_loses_nothing,
    a_refused_address_fails_alone_without_retries,
    file_transport_writes_the_same_mails,
);
