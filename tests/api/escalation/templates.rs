//! Template overrides from mail.template_dir.

use super::*;

/// An office rewords a mail without a rebuild: a file in mail.template_dir wins.
async fn template_override_folder_replaces_the_wording(backend: Backend) {
    let overrides = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(overrides.path().join("new_major")).unwrap();
    std::fs::write(
        overrides.path().join("new_major/subject.txt"),
        "【本局自定义】{{ reference }} 请立即研判",
    )
    .unwrap();
    let dir = overrides.path().to_path_buf();
    let smtp = TestSmtp::start();
    let app = crate::helpers::spawn_app_with(backend, |s| {
        use_smtp(s, smtp.port);
        s.mail.template_dir = dir;
    })
    .await;
    app.seed_directory().await;
    let incident = app
        .create_incident(&app.admin, &major_incident(Duration::minutes(5)))
        .await;
    let got = smtp
        .wait_for("notices", StdDuration::from_secs(15), |r| r.len() >= 3)
        .await;
    let expected = format!(
        "【本局自定义】{} 请立即研判",
        incident["reference"].as_str().unwrap()
    );
    assert!(
        got.iter().all(|m| m.subject == expected),
        "{:?}",
        got.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    assert!(
        got[0].text.contains("请立即组织研判"),
        "the body keeps the built-in text"
    );
}

crate::on_both_backends!(template_override_folder_replaces_the_wording,);
