//! `Authorization: Bearer <token>` → the calling `Actor`, or 401.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::{DateTime, Utc};

use super::state::AppState;
use crate::domain::access::Actor;
use crate::error::AppError;
use crate::store::tokens::{self, Authenticated};

pub struct Auth(pub Actor);

/// A caller who may log and change incidents. Checked before the body is read, so a
/// viewer's request is refused (403) whatever its body says.
pub struct Writer(pub Actor);

/// A caller who may change the directory; checked before the body is read.
pub struct Admin(pub Actor);

/// How long a token, once found, is trusted without asking the database again. Tokens
/// are never changed, only revoked: a revocation takes effect at once on the replica that
/// received it (it forgets the token) and within this time on the others; so do expiry
/// and a deactivated unit.
const TOKEN_TTL: Duration = Duration::from_secs(30);
const TOKENS_KEPT: usize = 10_000;

/// Tokens recently found, by their hash (the token itself is not kept).
#[derive(Default)]
pub struct TokenCache(Mutex<HashMap<String, (Instant, Authenticated)>>);

impl TokenCache {
    /// The caller behind a token found recently, unless it has expired since.
    fn get(&self, hash: &str, now: DateTime<Utc>) -> Option<Actor> {
        let map = self.0.lock().ok()?;
        map.get(hash)
            .filter(|(at, found)| {
                at.elapsed() < TOKEN_TTL && found.expires_at.is_none_or(|end| now < end)
            })
            .map(|(_, found)| found.actor.clone())
    }

    /// Forgets a token at once (revoked on this replica).
    pub fn forget(&self, hash: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(hash);
        }
    }

    fn put(&self, hash: String, found: Authenticated) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= TOKENS_KEPT {
                map.clear();
            }
            map.insert(hash, (Instant::now(), found));
        }
    }
}

impl FromRequest for Auth {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned());
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let (Some(token), Some(state)) = (token, state) else {
                return Err(AppError::Unauthorized);
            };
            let key = tokens::hash(&token);
            let now = state.now();
            if let Some(actor) = state.tokens.get(&key, now) {
                return Ok(Auth(actor));
            }
            let found = state
                .store
                .run(move |conn| tokens::authenticate(conn, &token, now))
                .await?
                .ok_or(AppError::Unauthorized)?;
            let actor = found.actor.clone();
            state.tokens.put(key, found);
            Ok(Auth(actor))
        })
    }
}

/// An extractor for callers holding a role: `Auth`, then `$check` on the actor.
macro_rules! role_extractor {
    ($name:ident, $check:ident) => {
        impl FromRequest for $name {
            type Error = AppError;
            type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

            fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
                let auth = Auth::from_request(req, payload);
                Box::pin(async move {
                    let Auth(actor) = auth.await?;
                    actor.$check()?;
                    Ok($name(actor))
                })
            }
        }
    };
}

role_extractor!(Writer, require_incident_writer);
role_extractor!(Admin, require_admin);
