//! Headless browsers driven over WebDriver: Debian's Chromium (chromium, chromium-driver)
//! and Firefox ESR (firefox-esr, with geckodriver from crates.io). A test that needs a
//! browser fails when it is missing: it never skips.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::smtp::free_port;

/// Browser tests: in Chromium on both backends, and in Firefox ESR on SQLite (what the
/// browser does not depend on the database behind the service).
#[macro_export]
macro_rules! in_browsers {
    ($($name:ident),+ $(,)?) => {
        mod chromium {
            mod sqlite {
                $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::super::$name(
                        $crate::helpers::Backend::Sqlite,
                        $crate::console::browser::Engine::Chromium,
                    )
                    .await
                })+
            }
            mod postgres {
                $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::super::$name(
                        $crate::helpers::Backend::Postgres,
                        $crate::console::browser::Engine::Chromium,
                    )
                    .await
                })+
            }
        }
        mod firefox {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(
                    $crate::helpers::Backend::Sqlite,
                    $crate::console::browser::Engine::Firefox,
                )
                .await
            })+
        }
    };
}

/// The browsers the console supports (the issue: current Chromium and Firefox ESR).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Chromium,
    Firefox,
}

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const FIREFOX: &str = "/usr/bin/firefox-esr";

/// geckodriver has no Debian package: `.ci/run` builds it with `cargo install`.
fn geckodriver() -> PathBuf {
    let in_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("geckodriver"));
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|home| home.join("bin/geckodriver"));
    in_path
        .chain(cargo_home)
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!(
                "geckodriver is missing: `cargo install geckodriver --locked` (.ci/run does); \
                 browser tests fail without it"
            )
        })
}

/// A phone's viewport (an iPhone 12–15: 390 × 844 CSS pixels).
pub const PHONE: (u32, u32) = (390, 844);

impl Engine {
    /// The narrowest viewport this browser can be given for `width`: Firefox's windows
    /// are at least 500 CSS pixels wide (headless too), so its phone-width checks run at
    /// 500; Chromium's at the phone's own width.
    pub fn narrowest(self, (width, height): (u32, u32)) -> (u32, u32) {
        match self {
            Engine::Chromium => (width, height),
            Engine::Firefox => (width.max(500), height),
        }
    }

    /// The driver to start, and the capabilities that make its browser headless, at
    /// `width` × `height`, in Chinese, and quiet on a machine with no network.
    fn driver_and_capabilities(self, width: u32, height: u32, profile: &str) -> (PathBuf, Value) {
        let need = |path: &str, package: &str| {
            assert!(
                std::path::Path::new(path).exists(),
                "{path} is missing: install Debian's {package} (.ci/run does); \
                 browser tests fail without it"
            );
        };
        match self {
            Engine::Chromium => {
                need(CHROMEDRIVER, "chromium-driver");
                need(CHROMIUM, "chromium");
                let options = json!({
                    "binary": CHROMIUM,
                    "args": [
                        "--headless=new", "--no-sandbox", "--disable-gpu",
                        "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--hide-scrollbars", "--lang=zh-CN",
                        "--force-device-scale-factor=1",
                        format!("--window-size={width},{height}"),
                        format!("--user-data-dir={profile}"),
                    ],
                });
                (
                    PathBuf::from(CHROMEDRIVER),
                    json!({ "goog:chromeOptions": options }),
                )
            }
            Engine::Firefox => {
                need(FIREFOX, "firefox-esr");
                let options = json!({
                    "binary": FIREFOX,
                    "args": ["-headless", format!("--width={width}"), format!("--height={height}")],
                    "prefs": {
                        "intl.accept_languages": "zh-CN",
                        "layout.css.devPixelsPerPx": "1.0",
                        "app.update.auto": false,
                        "browser.safebrowsing.malware.enabled": false,
                        "browser.safebrowsing.phishing.enabled": false,
                        "network.captive-portal-service.enabled": false,
                        "network.connectivity-service.enabled": false,
                        "datareporting.policy.dataSubmissionEnabled": false,
                        "toolkit.telemetry.enabled": false,
                    },
                });
                (geckodriver(), json!({ "moz:firefoxOptions": options }))
            }
        }
    }
}

/// One driver process and one browser session; both end when this is dropped.
pub struct Browser {
    pub client: Client,
    pub engine: Engine,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts the driver and a headless browser with a window of `width` × `height`.
    pub async fn start(engine: Engine, width: u32, height: u32) -> Self {
        let profile = tempfile::tempdir().unwrap();
        let (driver_path, caps) =
            engine.driver_and_capabilities(width, height, &profile.path().display().to_string());
        let port = free_port();
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{} starts: {e}", driver_path.display()));
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "{} did not listen within 20 s",
                driver_path.display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let Value::Object(caps) = caps else {
            unreachable!("capabilities are an object")
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| panic!("a WebDriver session with headless {engine:?}: {e}"));
        let browser = Self {
            client,
            engine,
            driver,
            _profile: profile,
        };
        browser.resize(width, height).await;
        browser
    }

    /// Makes the page's viewport exactly `width` × `height` CSS pixels (the window is
    /// larger by the browser's frame), and fails when the browser cannot. Under load a
    /// resize takes a while to reach the page: the size is read again until it holds,
    /// correcting for the frame each time, for at most 15 s.
    pub async fn resize(&self, width: u32, height: u32) {
        let inner = || async {
            let v = self
                .client
                .execute("return [window.innerWidth, window.innerHeight];", vec![])
                .await
                .unwrap();
            (v[0].as_u64().unwrap() as u32, v[1].as_u64().unwrap() as u32)
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        let (mut outer_w, mut outer_h) = (width, height);
        loop {
            self.client.set_window_size(outer_w, outer_h).await.unwrap();
            let mut seen = inner().await;
            // The page may still show the old size for a moment.
            let settle = Instant::now() + Duration::from_secs(1);
            while seen != (width, height) && Instant::now() < settle {
                tokio::time::sleep(Duration::from_millis(50)).await;
                seen = inner().await;
            }
            if seen == (width, height) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{:?} cannot show a {width} × {height} viewport (shows {seen:?})",
                self.engine
            );
            // Whatever the frame takes, add it to the window.
            let (w, h) = seen;
            outer_w = (outer_w + width).saturating_sub(w).max(width);
            outer_h = (outer_h + height).saturating_sub(h).max(height);
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Opens the collapsed section holding `css`, so its fields can be used.
    pub async fn open_details(&self, css: &str) {
        self.client
            .execute(
                "const d = document.querySelector(arguments[0]).closest('details'); if (d) d.open = true;",
                vec![json!(css)],
            )
            .await
            .unwrap();
    }

    /// Sets an input's value directly (date-time inputs read keys by locale).
    pub async fn set_value(&self, css: &str, value: &str) {
        self.client
            .execute(
                "document.querySelector(arguments[0]).value = arguments[1];",
                vec![json!(css), json!(value)],
            )
            .await
            .unwrap();
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// Clicks something that submits a form or follows a link, and waits until the next
    /// page has loaded (WebDriver's click may return before the navigation).
    pub async fn click_and_wait(&self, css: &str) {
        self.client
            .execute("window.__leaving = true;", vec![])
            .await
            .unwrap();
        self.click(css).await;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let arrived = self
                .client
                .execute(
                    "return window.__leaving === undefined && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .map(|v| v.as_bool() == Some(true))
                .unwrap_or(false);
            if arrived {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no new page within 20 s after clicking {css}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(found) => found.text().await.unwrap(),
            Err(e) => {
                let url = self.client.current_url().await.unwrap();
                let page = self.client.source().await.unwrap_or_default();
                panic!("{css}: {e}\nat {url}:\n{page}")
            }
        }
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .unwrap()
            .is_empty()
    }

    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    /// Waits until `check` holds for the page's text content, reloading when asked.
    pub async fn wait_for_text(
        &self,
        what: &str,
        reload: bool,
        timeout: Duration,
        check: impl Fn(&str) -> bool,
    ) {
        let deadline = Instant::now() + timeout;
        loop {
            let body = self.text("body").await;
            if check(&body) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "waited {timeout:?} for {what}; page:\n{body}"
            );
            if reload {
                self.client.refresh().await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Whether the page scrolls sideways (it must not, at any supported width).
    pub async fn scrolls_sideways(&self) -> bool {
        self.client
            .execute(
                "return document.documentElement.scrollWidth > window.innerWidth;",
                vec![],
            )
            .await
            .unwrap()
            .as_bool()
            .unwrap()
    }

    /// Saves a PNG of the viewport under target/screenshots and prints its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.unwrap();
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let name = match self.engine {
            Engine::Chromium => name.to_owned(),
            Engine::Firefox => format!("firefox-{name}"),
        };
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        println!("screenshot: {}", path.display());
        path
    }
}

impl Browser {
    /// Ends the browser session (the browser exits), then its driver.
    pub async fn close(mut self) {
        let client = self.client.clone();
        let _ = client.close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
