//! Mail through a relay that needs encryption: STARTTLS with a login, implicit TLS
//! (SMTPS), and a certificate the service has not been told to trust. The relay's
//! certificate comes from an office CA named in `mail.smtp.ca_file`.

use chrono::Duration;
use secrecy::SecretString;
use serde_json::Value;
use yuqing_tracker::config::{Settings, SmtpSecurity};

use crate::helpers::wait_rows;
use crate::helpers::{Backend, TestApp, major_incident, spawn_app_with, use_smtp};
use crate::smtp::{Received, TestSmtp, free_port};
use crate::tls::{TestCerts, implicit_tls_front};

async fn app_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let app = spawn_app_with(backend, configure).await;
    app.seed_directory().await;
    app
}

/// Creates a major incident and waits until each of its three "new major incident"
/// notices is `done`; returns them.
async fn notices_when(app: &TestApp, what: &str, done: impl Fn(&Value) -> bool) -> Vec<Value> {
    let incident = app
        .create_incident(&app.admin, &major_incident(Duration::minutes(1)))
        .await;
    let id = incident["id"].as_str().unwrap();
    let rows = wait_rows(app, id, what, |rows| {
        let notices: Vec<&Value> = rows.iter().filter(|r| r["step"] == "new_major").collect();
        notices.len() == 3 && notices.iter().all(|r| done(r))
    })
    .await;
    rows.into_iter()
        .filter(|r| r["step"] == "new_major")
        .collect()
}

fn sent(row: &Value) -> bool {
    row["status"] == "sent"
}

fn tried_twice(row: &Value) -> bool {
    row["attempts"].as_i64() >= Some(2)
}

const LOGIN: (&str, &str) = ("duty-office", "口令-2026");

/// Mail through the secured test server: STARTTLS, trusting `ca` if given, logging in
/// as LOGIN's user with `password`.
fn through_starttls(s: &mut Settings, port: u16, ca: Option<String>, password: &str) {
    use_smtp(s, port);
    s.mail.smtp.security = SmtpSecurity::Starttls;
    s.mail.smtp.ca_file = ca.map(Into::into);
    s.mail.smtp.username = LOGIN.0.into();
    s.mail.smtp.password = SecretString::from(password);
}

/// Each notice reached the server exactly once, under its recorded Message-ID.
fn assert_delivered_once(rows: &[Value], received: &[Received]) {
    let mut got: Vec<&str> = received.iter().map(|m| m.message_id.as_str()).collect();
    let mut recorded: Vec<&str> = rows
        .iter()
        .map(|r| r["message_id"].as_str().unwrap())
        .collect();
    got.sort_unstable();
    recorded.sort_unstable();
    assert_eq!(got, recorded);
}

/// The test server offers AUTH only once STARTTLS is done, and takes mail only after a
/// login: delivery proves both.
async fn starttls_with_login_delivers(backend: Backend) {
    let certs = TestCerts::generate();
    let smtp = TestSmtp::start_secured(&certs, LOGIN);
    let app = app_with(backend, |s| {
        through_starttls(s, smtp.port, Some(certs.path("ca.pem")), LOGIN.1)
    })
    .await;
    let rows = notices_when(&app, "notices sent", sent).await;
    assert_delivered_once(&rows, &smtp.received());
    assert!(rows.iter().all(|r| r["attempts"] == 1));
}

async fn implicit_tls_delivers(backend: Backend) {
    let certs = TestCerts::generate();
    let smtp = TestSmtp::start();
    let port = free_port();
    implicit_tls_front(&certs, port, smtp.port).await;
    let app = app_with(backend, |s| {
        use_smtp(s, port);
        s.mail.smtp.security = SmtpSecurity::Tls;
        s.mail.smtp.ca_file = Some(certs.path("ca.pem").into());
    })
    .await;
    let rows = notices_when(&app, "notices sent", sent).await;
    assert_delivered_once(&rows, &smtp.received());
}

/// Without the office CA the relay's certificate is refused: nothing goes out in
/// plain text, the mail waits and is retried, and the reason is on the record.
async fn an_untrusted_certificate_is_refused_and_retried(backend: Backend) {
    let certs = TestCerts::generate();
    let smtp = TestSmtp::start_secured(&certs, LOGIN);
    let app = app_with(backend, |s| through_starttls(s, smtp.port, None, LOGIN.1)).await;
    for row in notices_when(&app, "a second attempt", tried_twice).await {
        assert!(
            row["status"] == "pending" || row["status"] == "sending",
            "{row}"
        );
        let error = row["last_error"].as_str().unwrap();
        assert!(
            error.contains("STARTTLS") && error.contains("certificate"),
            "{error}"
        );
    }
    assert!(smtp.received().is_empty());
}

/// A wrong password is the relay's answer about the office, not about a recipient:
/// the mail is kept and retried until the settings are fixed, never marked failed.
async fn a_rejected_login_keeps_the_mail(backend: Backend) {
    let certs = TestCerts::generate();
    let smtp = TestSmtp::start_secured(&certs, LOGIN);
    let app = app_with(backend, |s| {
        through_starttls(s, smtp.port, Some(certs.path("ca.pem")), "wrong")
    })
    .await;
    for row in notices_when(&app, "a second attempt", tried_twice).await {
        assert!(
            matches!(row["status"].as_str(), Some("pending" | "sending")),
            "retried, never failed: {row}"
        );
        let error = row["last_error"].as_str().unwrap();
        assert!(error.contains("login") && error.contains("535"), "{error}");
    }
    assert!(smtp.received().is_empty());
}

crate::on_both_backends!(
    starttls_with_login_delivers,
    implicit_tls_delivers,
    an_untrusted_certificate_is_refused_and_retried,
    a_rejected_login_keeps_the_mail,
);
