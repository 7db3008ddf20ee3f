//! Cheap polling: validators built from the change counter, so answering 304 costs one
//! read of one row instead of the query behind the view.
//!
//! A view's tag changes whenever anything it shows may have changed: an incident or its
//! clocks, a clock entering at-risk or breached (recorded by the sweep), a round of mail,
//! a unit renamed. Time alone also moves `remaining_seconds`; a 304 keeps the copy the
//! client has, whose `due_at` lets it count down on its own.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use sha2::{Digest, Sha256};

use crate::domain::access::Actor;
use crate::error::AppError;
use crate::web::AppState;

/// Clients must revalidate; the answer depends on the token.
pub const CACHE_CONTROL: &str = "private, no-cache";

/// The change counter (see `Store::change_counter` for how fresh).
pub async fn counter(state: &AppState) -> Result<i64, AppError> {
    state.app.change_counter().await
}

/// A strong tag for the view this request asks for (path, query, variant) as this
/// token sees it, at `counter`.
pub fn view_tag(counter: i64, req: &HttpRequest, actor: &Actor, variant: &str) -> String {
    let mut hash = Sha256::new();
    for part in [
        req.path(),
        req.query_string(),
        actor.scope.as_ref().map_or("*", |s| s.path.as_str()),
        variant,
    ] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    let digest = hash.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    format!("\"r{counter}-{:016x}\"", u64::from_be_bytes(first))
}

/// Whether `If-None-Match` names `tag` (or `*`).
pub fn unchanged(req: &HttpRequest, tag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            let t = t.trim();
            t == tag || t == "*"
        })
}

pub fn not_modified(tag: &str) -> HttpResponse {
    tagged(HttpResponse::NotModified(), tag).finish()
}

/// Adds the validator and the caching rules to a response being built.
pub fn tagged(mut builder: HttpResponseBuilder, tag: &str) -> HttpResponseBuilder {
    if let Ok(value) = HeaderValue::from_str(tag) {
        builder.insert_header((header::ETAG, value));
    }
    builder
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static(CACHE_CONTROL),
        ))
        .insert_header((
            header::VARY,
            HeaderValue::from_static("Authorization, Accept"),
        ));
    builder
}
