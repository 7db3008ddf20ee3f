//! API tokens as both doors hold them: found tokens cached for a short while, and
//! revocation with its effects on this replica (forgotten at once, its streams ended).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sha2::Digest as _;

use crate::domain::access::{Actor, ApiToken};
use crate::error::AppError;
use crate::store::tokens::Authenticated;
use crate::web::AppState;

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

pub type Digest = [u8; 32];

pub fn digest(token: &str) -> Digest {
    sha2::Sha256::digest(token.as_bytes()).into()
}

impl TokenCache {
    /// The caller behind a token found recently, unless it has expired since.
    pub fn get(&self, key: &Digest, now: DateTime<Utc>) -> Option<Arc<Actor>> {
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

    pub fn put(&self, key: Digest, found: Authenticated) -> Arc<Actor> {
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

/// Revokes a token in the caller's scope: this replica forgets it and ends its event
/// streams at once; other replicas hear of it from the database.
pub async fn revoke(state: &AppState, actor: Actor, id: String) -> Result<ApiToken, AppError> {
    let (token, hash) = state.app.revoke_token(&actor, id).await?;
    state.tokens.forget(&hash);
    Ok(token)
}
