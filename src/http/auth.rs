//! `Authorization: Bearer <token>` → the calling `Actor`, or 401.

use std::collections::HashMap;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::{DateTime, Utc};
use futures_util::future::Either;
use sha2::Digest as _;

use super::state::AppState;
use crate::domain::access::Actor;
use crate::error::AppError;
use crate::store::tokens::{self, Authenticated};

pub struct Auth(pub Arc<Actor>);

/// A caller who may log and change incidents. Checked before the body is read, so a
/// viewer's request is refused (403) whatever its body says.
pub struct Writer(pub Arc<Actor>);

/// A caller who may change the directory; checked before the body is read.
pub struct Admin(pub Arc<Actor>);

/// How long a token, once found, is trusted without asking the database again. Tokens
/// are never changed, only revoked: a revocation takes effect at once on the replica that
/// received it (it forgets the token) and within this time on the others; so do expiry
/// and a deactivated unit.
const TOKEN_TTL: Duration = Duration::from_secs(30);
const TOKENS_KEPT: usize = 10_000;

/// Tokens recently found, by their SHA-256 (the token itself is not kept).
#[derive(Default)]
pub struct TokenCache(Mutex<HashMap<Digest, Found>>);

/// A token found: when, who (shared by every request that presents it), until when.
struct Found {
    at: Instant,
    actor: Arc<Actor>,
    expires_at: Option<DateTime<Utc>>,
}

type Digest = [u8; 32];

fn digest(token: &str) -> Digest {
    sha2::Sha256::digest(token.as_bytes()).into()
}

impl TokenCache {
    /// The caller behind a token found recently, unless it has expired since.
    fn get(&self, key: &Digest, now: DateTime<Utc>) -> Option<Arc<Actor>> {
        let map = self.0.lock().ok()?;
        map.get(key)
            .filter(|found| {
                found.at.elapsed() < TOKEN_TTL && found.expires_at.is_none_or(|end| now < end)
            })
            .map(|found| found.actor.clone())
    }

    /// Forgets a token at once (revoked on this replica), by its stored (hex) hash.
    pub fn forget(&self, hash: &str) {
        let Ok(key) = hex::decode(hash).map(<Digest>::try_from) else {
            return;
        };
        if let (Ok(key), Ok(mut map)) = (key, self.0.lock()) {
            map.remove(&key);
        }
    }

    fn put(&self, key: Digest, found: Authenticated) -> Arc<Actor> {
        let actor = Arc::new(found.actor);
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= TOKENS_KEPT {
                map.clear();
            }
            let found = Found {
                at: Instant::now(),
                actor: actor.clone(),
                expires_at: found.expires_at,
            };
            map.insert(key, found);
        }
        actor
    }
}

impl FromRequest for Auth {
    type Error = AppError;
    type Future = Either<
        Ready<Result<Self, AppError>>,
        Pin<Box<dyn Future<Output = Result<Self, AppError>>>>,
    >;

    /// A token found recently answers at once (the path of every poll); otherwise the
    /// database is asked.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let (Some(token), Some(state)) = (token, req.app_data::<web::Data<AppState>>()) else {
            return Either::Left(ready(Err(AppError::Unauthorized)));
        };
        let key = digest(token);
        let now = state.now();
        if let Some(actor) = state.tokens.get(&key, now) {
            return Either::Left(ready(Ok(Auth(actor))));
        }
        let (token, state) = (token.to_owned(), state.clone());
        Either::Right(Box::pin(async move {
            let found = state
                .store
                .run(move |conn| tokens::authenticate(conn, &token, now))
                .await?
                .ok_or(AppError::Unauthorized)?;
            Ok(Auth(state.tokens.put(key, found)))
        }))
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
