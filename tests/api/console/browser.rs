//! Headless Chromium driven over WebDriver (Debian's chromium and chromium-driver).
//! A test that needs the browser fails when it is missing: it never skips.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::smtp::free_port;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// One chromedriver process and one browser session; both end when this is dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a window of `width` × `height`.
    pub async fn start(width: u32, height: u32) -> Self {
        for path in [CHROMEDRIVER, CHROMIUM] {
            assert!(
                std::path::Path::new(path).exists(),
                "{path} is missing: install Debian's chromium and chromium-driver \
                 (.ci/run does); browser tests fail without them"
            );
        }
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen within 20 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                    "--lang=zh-CN", "--force-device-scale-factor=1",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session with headless Chromium");
        let browser = Self {
            client,
            driver,
            _profile: profile,
        };
        browser.resize(width, height).await;
        browser
    }

    /// Makes the page's viewport exactly `width` × `height` CSS pixels.
    pub async fn resize(&self, width: u32, height: u32) {
        self.client.set_window_size(width, height).await.unwrap();
        let inner = self
            .client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .unwrap();
        let (w, h) = (
            inner[0].as_u64().unwrap() as u32,
            inner[1].as_u64().unwrap() as u32,
        );
        if (w, h) != (width, height) {
            self.client
                .set_window_size(
                    width + (width - w.min(width)),
                    height + (height - h.min(height)),
                )
                .await
                .unwrap();
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
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        println!("screenshot: {}", path.display());
        path
    }
}

impl Browser {
    /// Ends the browser session (Chromium exits), then chromedriver.
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
