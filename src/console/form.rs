//! A posted console form: from a signed-in browser, sent from this service's own pages
//! (Origin check) and carrying the session's CSRF token (compared in constant time).
//! Only then is the body read and parsed.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::error::ConsoleError;
use super::session::Signed;
use crate::app::Once;
use crate::error::AppError;
use crate::web::AppState;

/// The form's fields and the session that posted it.
pub struct Posted<T> {
    pub signed: Signed,
    pub form: T,
    /// The form's one-time token (the hidden `once` field, new with every page).
    pub once: Once,
}

/// Refuses a form a page of another site made the browser send. Browsers send Origin
/// with every POST; a client that sends none still needs the session's token.
pub fn check_origin(req: &HttpRequest) -> Result<(), ConsoleError> {
    let fetch_site = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok());
    if matches!(fetch_site, Some("cross-site")) {
        return Err(ConsoleError::Forged("表单来自其他网站"));
    }
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("");
    let state = req.app_data::<web::Data<AppState>>();
    let configured = state.is_some_and(|s| s.console.origin.as_str() == origin);
    let trusted = state.map_or(&[][..], |s| s.trusted_proxies.as_slice());
    if configured || origin == request_origin(req, trusted) {
        Ok(())
    } else {
        Err(ConsoleError::Forged("表单来自其他来源（Origin 不符）"))
    }
}

/// The origin this request was sent to: scheme and Host of the connection itself, or,
/// from one of `server.trusted_proxies`, what the proxy says (`Forwarded`,
/// `X-Forwarded-Host`/`-Proto`). Anyone else could write those headers to match their
/// own Origin.
fn request_origin(req: &HttpRequest, trusted: &[std::net::IpAddr]) -> String {
    if req
        .peer_addr()
        .is_some_and(|peer| trusted.contains(&peer.ip()))
    {
        let info = req.connection_info();
        return format!("{}://{}", info.scheme(), info.host());
    }
    let scheme = if req.app_config().secure() {
        "https"
    } else {
        "http"
    };
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_else(|| req.app_config().host());
    format!("{scheme}://{host}")
}

/// The form's fields, as pairs; `csrf` is checked and removed.
pub fn fields(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// The first value of field `name` ("" when absent).
pub fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// Every value of a repeated field (checkboxes).
pub fn every<'a>(pairs: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
    pairs
        .iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn csrf_matches(pairs: &[(String, String)], expected: &str) -> bool {
    pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .is_some_and(|(_, v)| bool::from(v.as_bytes().ct_eq(expected.as_bytes())))
}

impl<T: DeserializeOwned + 'static> FromRequest for Posted<T> {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ConsoleError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let origin = check_origin(req);
        let path = req.path().to_owned();
        let signed = Signed::from_request(req, payload);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            origin?;
            let signed = signed.await?;
            let body = body
                .await
                .map_err(|e| AppError::BadRequest(format!("form body: {e}")))?;
            let pairs = fields(&body);
            if !csrf_matches(&pairs, &signed.session.csrf_token) {
                return Err(ConsoleError::Forged(
                    "缺少或不符的表单令牌（CSRF），请返回刷新页面后重试",
                ));
            }
            if pairs
                .iter()
                .any(|(k, v)| k.contains('\0') || v.contains('\0'))
            {
                return Err(AppError::BadRequest("form fields must not contain NUL".into()).into());
            }
            let form = serde_urlencoded::from_bytes(&body)
                .map_err(|e| AppError::BadRequest(format!("form: {e}")))?;
            let token = field(&pairs, "once");
            let once = Once::posted(&path, token);
            Ok(Posted { signed, form, once })
        })
    }
}
