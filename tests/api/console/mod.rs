//! The web console: sign-in, sessions and forms over HTTP (a cookie-keeping client, as a
//! browser would), and whole journeys in headless Chromium over WebDriver.

use reqwest::redirect::Policy;
use reqwest::{Response, StatusCode};
use yuqing_tracker::domain::access::Role;
use yuqing_tracker::domain::account::{AccountProfile, NewAccount};

use crate::helpers::TestApp;

mod acknowledgement;
mod admin;
mod briefings;
mod browser;
mod forms;
mod journey;
mod live;
mod pages_read;
mod screens;
mod signin;
mod signin_attacks;
mod timeline;

pub const PASSWORD: &str = "测试密码0123456789";

impl TestApp {
    /// A console account, as `account create` would make it, with `PASSWORD`.
    pub async fn account(&self, login: &str, name: &str, role: Role, unit: Option<&str>) {
        let profile = AccountProfile::parse(name, role, unit, None).unwrap();
        let new = NewAccount::parse(login, profile, PASSWORD).unwrap();
        self.service
            .create_account(None, new)
            .await
            .expect("account created");
    }

    /// A console account linked to a directory contact (the person it is).
    pub async fn linked_account(&self, login: &str, name: &str, role: Role, contact: &str) {
        let profile = AccountProfile::parse(name, role, None, Some(contact)).unwrap();
        let new = NewAccount::parse(login, profile, PASSWORD).unwrap();
        self.service
            .create_account(None, new)
            .await
            .expect("account created");
    }

    /// An account's id by its login.
    pub async fn account_id(&self, login: &str) -> String {
        self.service
            .account_id(login.to_owned())
            .await
            .expect("such an account")
            .into_string()
    }
}

/// A browser without JavaScript: keeps cookies, does not follow redirects (the tests
/// look at them), sends Origin with its posts as browsers do.
pub struct Console {
    pub base: String,
    pub http: reqwest::Client,
    /// The CSRF token of the last page read.
    pub csrf: String,
    /// The session cookie's value from the last sign-in.
    pub session: Option<String>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    /// The session cookie this answer set, if any.
    pub session: Option<String>,
    pub body: String,
}

impl Page {
    async fn read(res: Response) -> Self {
        let status = res.status();
        let location = res
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let session = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("yq_session="))
            .map(|v| v.split(';').next().unwrap_or("").to_owned())
            .filter(|v| !v.is_empty());
        Self {
            status,
            location,
            session,
            body: res.text().await.unwrap(),
        }
    }

    /// The value of the first hidden `csrf` input.
    pub fn csrf(&self) -> Option<String> {
        let at = self.body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
        let end = self.body[at..].find('"')? + at;
        Some(self.body[at..end].to_owned())
    }
}

impl Console {
    pub fn new(app: &TestApp) -> Self {
        Self::at(&app.base)
    }

    /// A browser for the service at `base` (the real binary, say).
    pub fn at(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .build()
                .unwrap(),
            csrf: String::new(),
            session: None,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let page = Page::read(res).await;
        if let Some(token) = page.csrf() {
            self.csrf = token;
        }
        page
    }

    /// Posts a form as the page would: with Origin and the CSRF token.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut all: Vec<(&str, &str)> = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all, Some(&self.base.clone())).await
    }

    /// Posts exactly these fields, with this Origin (None: no Origin header).
    pub async fn post_raw(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
    ) -> Page {
        let mut req = self.http.post(format!("{}{path}", self.base)).form(fields);
        if let Some(origin) = origin {
            req = req.header("Origin", origin);
        }
        Page::read(req.send().await.unwrap()).await
    }

    pub async fn sign_in(&mut self, login: &str, password: &str) -> Page {
        let base = self.base.clone();
        let page = self
            .post_raw(
                "/login",
                &[("login", login), ("password", password), ("next", "/")],
                Some(&base),
            )
            .await;
        if page.status == StatusCode::SEE_OTHER {
            self.session = page.session.clone();
            self.get("/").await;
        }
        page
    }

    /// Signs in and fails the test when that does not work.
    pub async fn signed_in(app: &TestApp, login: &str) -> Self {
        let mut console = Self::new(app);
        let page = console.sign_in(login, PASSWORD).await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "sign-in of {login}: {}",
            page.body
        );
        console
    }
}
