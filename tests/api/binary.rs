//! The real binary, as a new user runs it: token, serve, restart, configuration errors.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_yuqing-tracker");

fn command(dir: &std::path::Path, port: u16) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("YUQING__SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("YUQING__LOG__FILTER", "warn");
    cmd
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_ready(base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(res) = reqwest::get(format!("{base}/readyz")).await
            && res.status() == 200
        {
            return;
        }
        assert!(Instant::now() < deadline, "service did not become ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn terminate(mut child: Child) {
    let pid = child.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "graceful exit on SIGTERM: {status}");
            return;
        }
        assert!(Instant::now() < deadline, "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn token_serve_and_restart_on_the_embedded_default() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let out = command(dir.path(), port)
        .args(["token", "create", "--role", "admin", "--name", "值班管理员"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.lines().last().unwrap().trim().to_owned();
    assert!(
        token.starts_with("yqt_") && !token.contains(' '),
        "{stdout:?}"
    );
    assert!(
        dir.path().join("data/yuqing.db").exists(),
        "SQLite file in ./data"
    );

    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let server = command(dir.path(), port)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_ready(&base).await;
    let res = client
        .post(format!("{base}/api/v1/units"))
        .bearer_auth(&token)
        .json(&json!({ "code": "4401", "name": "广州市税务局", "level": "city_bureau" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = client
        .post(format!("{base}/api/v1/incidents"))
        .bearer_auth(&token)
        .json(&crate::helpers::incident_body("4401"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let incident: Value = res.json().await.unwrap();
    terminate(server);

    let server = command(dir.path(), port)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_ready(&base).await;
    let res = client
        .get(format!(
            "{base}/api/v1/incidents/{}/timeline",
            incident["reference"].as_str().unwrap()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "still there after a restart");
    let timeline: Value = res.json().await.unwrap();
    assert_eq!(timeline["items"][0]["kind"], "created");
    terminate(server);
}

/// The README's path for a new user: the first admin from the command line, then the
/// console in a browser, on the embedded default.
#[tokio::test]
async fn the_first_admin_is_created_on_the_command_line_and_signs_in() {
    use std::io::Write;

    use crate::console::{Console, PASSWORD};

    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut create = command(dir.path(), port)
        .args([
            "account",
            "create",
            "--login",
            "admin",
            "--name",
            "管理员",
            "--role",
            "admin",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(create.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let out = create.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = command(dir.path(), port)
        .args(["account", "list"])
        .output()
        .unwrap();
    let listed = String::from_utf8(list.stdout).unwrap();
    assert!(
        listed.contains("admin") && listed.contains("管理员"),
        "{listed}"
    );

    let base = format!("http://127.0.0.1:{port}");
    let server = command(dir.path(), port)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_ready(&base).await;
    let mut console = Console::at(&base);
    let login = console.get("/").await;
    assert_eq!(
        login.status,
        reqwest::StatusCode::SEE_OTHER,
        "sign-in first"
    );
    let wrong = console.sign_in("admin", "not-the-password").await;
    assert_eq!(wrong.status, reqwest::StatusCode::UNAUTHORIZED);
    let signed = console.sign_in("admin", PASSWORD).await;
    assert_eq!(
        signed.status,
        reqwest::StatusCode::SEE_OTHER,
        "{}",
        signed.body
    );
    let board = console.get("/").await;
    assert!(board.body.contains("看板") && board.body.contains("管理员"));
    for page in ["/directory", "/accounts", "/incidents/new"] {
        assert_eq!(console.get(page).await.status, 200, "{page}");
    }
    terminate(server);
}

#[test]
fn invalid_configuration_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for (key, value, named) in [
        ("YUQING__SERVER__BIND", "not-an-address", "server.bind"),
        ("YUQING__SERVER__BOGUS", "1", "bogus"),
        ("DATABASE_URL", "mysql://localhost/x", "database.url"),
        ("YUQING__TIME__ZONE", "Mars/Olympus", "time.zone"),
        (
            "YUQING__SCHEDULER__DAILY_DIGEST",
            "every morning",
            "scheduler.daily_digest",
        ),
        ("YUQING__MAIL__TRANSPORT", "pigeon", "mail.transport"),
        ("YUQING__ENGINE__LEASE_SECONDS", "1", "engine.lease_seconds"),
    ] {
        let out = Command::new(BIN)
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .env(key, value)
            .arg("check-config")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{key}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(named), "{key}: {stderr}");
    }
    let out = Command::new(BIN)
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .arg("check-config")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = BufReader::new(&out.stdout[..])
        .lines()
        .next()
        .unwrap()
        .unwrap();
    assert!(stdout.contains("configuration ok"), "{stdout}");
}

/// An office's override template with a misspelt variable is refused before anything
/// is sent: `check-config` and start-up name the file and the line.
#[test]
fn a_misspelt_override_template_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let overrides = dir.path().join("templates");
    std::fs::create_dir_all(overrides.join("escalation")).unwrap();
    std::fs::write(
        overrides.join("escalation/body.txt"),
        "{{ recipient_name }}：{{ refrence }} 已超时",
    )
    .unwrap();
    for args in [&["check-config"][..], &["serve"][..]] {
        let out = command(dir.path(), free_port())
            .env("YUQING__MAIL__TEMPLATE_DIR", &overrides)
            .env(
                "DATABASE_URL",
                format!("sqlite://{}/y.db", dir.path().display()),
            )
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("escalation/body.txt") && stderr.contains("undefined value"),
            "{args:?}: {stderr}"
        );
    }
}

/// An operator lists and revokes tokens from the command line.
#[test]
fn tokens_are_listed_and_revoked_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = command(dir.path(), free_port())
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let secret = run(&[
        "token",
        "create",
        "--role",
        "viewer",
        "--name",
        "大屏",
        "--expires-in-days",
        "30",
    ]);
    assert!(secret.trim().starts_with("yqt_"));
    let listed = run(&["token", "list"]);
    let line = listed.lines().find(|l| l.contains("大屏")).unwrap();
    let id = line.split('\t').next().unwrap().to_owned();
    assert!(!listed.contains("yqt_"), "never a secret: {listed}");
    assert!(line.ends_with("\t-"), "not revoked yet: {line}");
    assert!(run(&["token", "revoke", &id]).contains(&id));
    let line = run(&["token", "list"])
        .lines()
        .find(|l| l.contains("大屏"))
        .unwrap()
        .to_owned();
    assert!(!line.ends_with("\t-"), "revoked: {line}");
}
