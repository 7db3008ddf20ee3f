//! Page templates (embedded, HTML-escaped by minijinja) and the headers every page gets.
//! Templates receive view structs whose times are already in the office's zone; the page
//! chrome (who is signed in, the CSRF token, the asset URLs) is added here.

use std::sync::LazyLock;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use super::assets;
use crate::error::AppError;

macro_rules! embedded {
    ($($name:literal),+ $(,)?) => {
        &[$(($name, include_str!(concat!("templates/", $name)))),+]
    };
}

const TEMPLATES: &[(&str, &str)] = embedded!(
    "layout.html",
    "error.html",
    "signin.html",
    "password.html",
    "board.html",
    "board_rows.html",
    "incident_new.html",
    "incident.html",
    "incidents.html",
    "report.html",
    "directory.html",
    "robots.html",
    "accounts.html",
    "briefing_form.html",
    "briefing.html",
    "inbox.html",
);

static ENV: LazyLock<Result<Environment<'static>, minijinja::Error>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)?;
    }
    Ok(env)
});

/// Compiles every template (a unit test and start-up call it).
pub fn check() -> Result<(), String> {
    ENV.as_ref()
        .map(|_| ())
        .map_err(|e| format!("console template: {e:#}"))
}

/// Who is signed in, as the page header shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Me {
    pub name: String,
    pub role: &'static str,
    pub admin: bool,
    pub writer: bool,
    /// A leader reads first and acts rarely: long sections open folded.
    pub leader: bool,
    pub unit: Option<String>,
}

/// What every page's frame needs besides its own content.
#[derive(Debug, Clone, Serialize)]
pub struct Chrome {
    pub me: Option<Me>,
    /// The session's CSRF token, put in every form.
    pub csrf: String,
    /// A one-time token for this page's forms, so a double submit records once
    /// (`form::Once`).
    pub once: String,
    /// Which navigation entry is current.
    pub nav: &'static str,
    pub css: String,
    pub js: String,
}

impl Chrome {
    pub fn new(me: Option<Me>, csrf: String, nav: &'static str) -> Self {
        Self {
            me,
            csrf,
            once: hex::encode(rand::random::<[u8; 16]>()),
            nav,
            css: assets::url("console.css"),
            js: assets::url("console.js"),
        }
    }
}

pub fn render(template: &str, chrome: &Chrome, ctx: impl Serialize) -> Result<String, AppError> {
    let env = ENV
        .as_ref()
        .map_err(|e| AppError::internal(e.to_string()))?;
    let started = std::time::Instant::now();
    let ctx = minijinja::context! { chrome => chrome, ..minijinja::Value::from_serialize(&ctx) };
    let html = env
        .get_template(template)
        .and_then(|t| t.render(ctx))
        .map_err(|e| AppError::internal(format!("{template}: {e:#}")))?;
    crate::metrics::CONSOLE_RENDER
        .with_label_values(&[template])
        .observe(started.elapsed().as_secs_f64());
    Ok(html)
}

/// Headers of every console page: scripts and styles only from this service, no
/// framing, no sniffing, and never kept by a browser or proxy (pages show who is signed
/// in and incidents under review).
pub fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(ContentType::html())
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// A page rendered with status 200.
pub fn page(
    template: &str,
    chrome: &Chrome,
    ctx: impl Serialize,
) -> Result<HttpResponse, AppError> {
    Ok(html(StatusCode::OK, render(template, chrome, ctx)?))
}

/// After a successful form post: go to `to` with GET (so a reload does not post again).
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}
