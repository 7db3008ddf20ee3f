//! Starts the real App on a random port against a fresh database, and talks HTTP to it.

use std::sync::Arc;

use diesel::{Connection, RunQueryDsl};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};
use yuqing_tracker::config::{DbTarget, MailTransport, Settings};
use yuqing_tracker::domain::access::Role;
use yuqing_tracker::domain::time::ShiftedClock;
use yuqing_tracker::engine::Engine;
use yuqing_tracker::startup::Application;
use yuqing_tracker::store::{Store, tokens, write_tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named test once per backend: `mod sqlite { … }` and `mod postgres { … }`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($crate::helpers::Backend::Sqlite).await
            })+
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($crate::helpers::Backend::Postgres).await
            })+
        }
    };
}

/// The server PostgreSQL tests create their databases on. Tests fail, never skip,
/// when it is not reachable.
pub fn pg_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database that exists for one test: a SQLite file in a temporary folder, or a
/// PostgreSQL database dropped when the test ends.
pub enum TestDb {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    pub fn create(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => TestDb::Sqlite(tempfile::tempdir().expect("temp dir")),
            Backend::Postgres => {
                let admin_url = pg_admin_url();
                let name = format!("yq_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = diesel::PgConnection::establish(&admin_url).unwrap_or_else(|e| {
                    panic!("PostgreSQL is required for the tests ({admin_url}): {e}")
                });
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .expect("create test database");
                TestDb::Postgres { admin_url, name }
            }
        }
    }

    pub fn url(&self) -> String {
        match self {
            TestDb::Sqlite(dir) => format!("sqlite://{}/yuqing.db", dir.path().display()),
            TestDb::Postgres { admin_url, name } => {
                let base = admin_url
                    .rsplit_once('/')
                    .map_or(admin_url.as_str(), |(b, _)| b);
                format!("{base}/{name}")
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { admin_url, name } = self
            && let Ok(mut conn) = diesel::PgConnection::establish(admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

pub fn test_settings(db: &TestDb, files: &std::path::Path) -> Settings {
    let mut settings = Settings::load(None).expect("default settings load");
    settings.server.bind = "127.0.0.1:0".parse().unwrap();
    settings.server.workers = 2;
    settings.database.url = DbTarget::parse(&db.url()).unwrap();
    settings.mail.file_dir = files.join("mail");
    settings.log.filter = "warn".into();
    settings
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Store,
    /// The use cases the server answers with (what the CLI calls).
    pub service: yuqing_tracker::app::App,
    pub admin: String,
    pub engine: Option<Arc<Engine>>,
    /// The service's "now": `clock.advance(…)` moves it forward.
    pub clock: Arc<ShiftedClock>,
    pub files: tempfile::TempDir,
    server: actix_web::dev::ServerHandle,
    // Dropped last: the database outlives the server.
    _db: TestDb,
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Mail goes to the SMTP server on `port`; the engine retries and times out quickly.
pub fn use_smtp(settings: &mut Settings, port: u16) {
    settings.mail.transport = MailTransport::Smtp;
    settings.mail.smtp.host = "127.0.0.1".into();
    settings.mail.smtp.port = port;
    fast_engine(settings);
}

pub fn fast_engine(settings: &mut Settings) {
    let e = &mut settings.engine;
    e.poll_interval_ms = 200;
    e.send_timeout_seconds = 2;
    e.lease_seconds = 4;
    e.retry_initial_seconds = 1;
    e.retry_max_seconds = 2;
}

pub async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let db = TestDb::create(backend);
    let files = tempfile::tempdir().expect("temp dir");
    let mut settings = test_settings(&db, files.path());
    configure(&mut settings);
    yuqing_tracker::telemetry::init(&settings.log);
    let clock = Arc::new(ShiftedClock::default());
    let app = Application::build(&settings, clock.clone())
        .await
        .expect("app builds");
    let base = format!("http://127.0.0.1:{}", app.port());
    let server = app.handle();
    let engine = app.engine();
    let service = app.service();
    tokio::spawn(app.run_until_stopped());
    let store = Store::open(&settings.database).await.expect("store opens");
    let mut app = TestApp {
        base,
        client: reqwest::Client::new(),
        store,
        service,
        admin: String::new(),
        engine,
        clock,
        files,
        server,
        _db: db,
    };
    app.admin = app.token(Role::Admin, None).await;
    app
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let server = self.server.clone();
        // Stop without waiting: requests in flight are the test's business.
        drop(server.stop(false));
    }
}

impl TestApp {
    /// A new API token, as `token create` would make it.
    /// The URL of this app's database, for a second app (a replica) on the same one.
    pub fn database_url(&self) -> String {
        self._db.url()
    }

    pub async fn token(&self, role: Role, unit: Option<&str>) -> String {
        let unit = unit.map(str::to_owned);
        self.store
            .run(move |conn| {
                write_tx(conn, |conn| {
                    tokens::create(
                        conn,
                        &tokens::NewToken {
                            name: "测试用户",
                            role,
                            unit_code: unit.as_deref(),
                            expires_at: None,
                        },
                        chrono::Utc::now(),
                    )
                })
            })
            .await
            .expect("token created")
            .1
    }

    pub fn request(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, token)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.request(Method::POST, path, token)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Response {
        self.request(Method::PATCH, path, token)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// A city bureau 4401 with district bureaus 440106 and 440111 below it.
    pub async fn seed_units(&self) {
        for (code, name, level, parent) in [
            ("4401", "广州市税务局", "city_bureau", None),
            ("440106", "天河区税务局", "district_bureau", Some("4401")),
            ("440111", "白云区税务局", "district_bureau", Some("4401")),
        ] {
            let body = json!({ "code": code, "name": name, "level": level, "parent_code": parent });
            let res = self.post("/api/v1/units", &self.admin, &body).await;
            assert_eq!(res.status(), 201, "seed unit {code}");
        }
    }

    pub async fn create_incident(&self, token: &str, body: &Value) -> Value {
        let res = self.post("/api/v1/incidents", token, body).await;
        assert_eq!(res.status(), 201);
        res.json().await.unwrap()
    }
}

/// A valid incident body for unit `unit`, discovered an hour ago.
pub fn incident_body(unit: &str) -> Value {
    json!({
        "title": "网传\"个税汇算退税被追缴\"",
        "summary": "微博话题阅读量快速上升，涉及个人所得税汇算清缴。",
        "source_channel": "weibo",
        "source_url": format!("https://weibo.com/{}", uuid::Uuid::new_v4().simple()),
        "discovered_at": (chrono::Utc::now() - chrono::Duration::hours(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "severity": "major",
        "category": "misunderstanding",
        "responsible_units": [{ "code": unit }],
    })
}

/// Reads `{"error": {"code", …}}` and returns the code, asserting the status.
pub async fn error_code(res: Response, status: u16) -> (String, Value) {
    assert_eq!(res.status(), status, "status");
    let body: Value = res.json().await.expect("error body is JSON");
    let code = body["error"]["code"]
        .as_str()
        .expect("error.code")
        .to_owned();
    assert!(
        body["error"]["message"].is_string(),
        "error.message: {body}"
    );
    (code, body["error"]["details"].clone())
}

/// Roles in the two-level directory `seed_units` makes: the district 440106 has one
/// contact per role, the city 4401 an office director and a principal leader.
pub const DISTRICT: &[(&str, &str)] = &[
    ("duty@440106.example.org", "duty_officer"),
    ("director@440106.example.org", "office_director"),
    ("deputy@440106.example.org", "deputy_leader"),
    ("principal@440106.example.org", "principal_leader"),
    ("press@440106.example.org", "press_officer"),
    ("liaison@440106.example.org", "liaison"),
];
pub const CITY: &[(&str, &str)] = &[
    ("director@4401.example.org", "office_director"),
    ("principal@4401.example.org", "principal_leader"),
];

impl TestApp {
    pub async fn seed_directory(&self) {
        self.seed_units().await;
        for (unit, people) in [("440106", DISTRICT), ("4401", CITY)] {
            for (email, role) in people {
                let name = format!("{role}@{unit}");
                let body =
                    json!({ "name": name, "email": email, "unit_code": unit, "roles": [role] });
                let res = self.post("/api/v1/contacts", &self.admin, &body).await;
                assert_eq!(res.status(), 201, "seed contact {email}");
            }
        }
    }

    /// The kinds of an incident's timeline events, oldest first.
    pub async fn timeline_kinds(&self, incident: &str) -> Vec<String> {
        let res = self
            .get(
                &format!("/api/v1/incidents/{incident}/timeline"),
                &self.admin,
            )
            .await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_owned())
            .collect()
    }

    pub async fn notifications(&self, incident_id: &str) -> Vec<Value> {
        let res = self
            .get(
                &format!("/api/v1/incidents/{incident_id}/notifications"),
                &self.admin,
            )
            .await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        body["items"].as_array().unwrap().clone()
    }
}

/// A major incident at 440106 discovered `ago` before now.
pub fn major_incident(ago: chrono::Duration) -> Value {
    let mut body = incident_body("440106");
    let at = chrono::Utc::now() - ago;
    body["discovered_at"] = json!(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    body
}

/// The incident's escalation rows once `done` holds for them (30 s at most).
pub async fn wait_rows(
    app: &TestApp,
    incident_id: &str,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let rows = app.notifications(incident_id).await;
        if done(&rows) {
            return rows;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}: {rows:#?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// `v[key]`, failing when the key is missing: a negative check (`is_null()`, "not X")
/// on a misspelt key would otherwise pass for the wrong reason.
pub fn field<'a>(v: &'a Value, key: &str) -> &'a Value {
    v.get(key).unwrap_or_else(|| panic!("no {key:?} in {v}"))
}
