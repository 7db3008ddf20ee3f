//! The signed-in browser: a cookie holding a random session id, looked up in the
//! database on every request (so sign-out, expiry and a disabled account take effect at
//! once on every replica).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use super::error::ConsoleError;
use super::views::{Chrome, Me};
use crate::domain::access::Role;
use crate::domain::account::Session;
use crate::web::AppState;
use crate::web::session_policy::COOKIE;

/// A request from a signed-in browser.
pub struct Signed {
    pub session: Session,
    /// The cookie's value (to sign out, or keep this session on a password change).
    pub cookie: String,
}

impl Signed {
    pub fn chrome(&self, nav: &'static str) -> Chrome {
        let actor = &self.session.actor;
        let me = Me {
            name: self.session.display_name.clone(),
            role: super::labels::role(actor.role),
            admin: actor.role == Role::Admin,
            writer: actor.role != Role::Viewer,
            leader: actor.role == Role::Leader,
            unit: self.session.unit_name.clone(),
        };
        Chrome::new(Some(me), self.session.csrf_token.clone(), nav)
    }
}

/// Where to come back to after signing in: this request's path and query.
fn here(req: &HttpRequest) -> String {
    match req.uri().path_and_query() {
        Some(pq) if req.method() == actix_web::http::Method::GET => pq.to_string(),
        _ => "/".into(),
    }
}

async fn lookup(req: &HttpRequest) -> Result<Option<Signed>, ConsoleError> {
    let Some(cookie) = req.cookie(COOKIE).map(|c| c.value().to_owned()) else {
        return Ok(None);
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(None);
    };
    if cookie.is_empty() || cookie.len() > 128 {
        return Ok(None);
    }
    let found = state
        .app
        .session(cookie.clone(), state.console.rules)
        .await?;
    Ok(found.map(|session| Signed { session, cookie }))
}

impl FromRequest for Signed {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ConsoleError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            lookup(&req)
                .await?
                .ok_or_else(|| ConsoleError::SignIn { next: here(&req) })
        })
    }
}

/// A request that may or may not come from a signed-in browser (the sign-in page).
pub struct Visitor(pub Option<Signed>);

impl FromRequest for Visitor {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ConsoleError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(Visitor(lookup(&req).await?)) })
    }
}
