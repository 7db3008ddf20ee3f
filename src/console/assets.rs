//! Stylesheet and script, embedded in the binary (offices run on intranets with no CDN)
//! and served under a name carrying a hash of their content, so a browser may keep them
//! for a year and still never runs an old script after an upgrade.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use sha2::{Digest, Sha256};

struct Asset {
    /// The name templates ask for, e.g. `console.css`.
    name: &'static str,
    /// The name it is served under, e.g. `console.1a2b3c4d5e.css`.
    served_as: String,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:literal) => {
        (
            $name,
            $type,
            include_bytes!(concat!("static/", $name)) as &[u8],
        )
    };
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    [
        asset!("console.css", "text/css; charset=utf-8"),
        asset!("console.js", "text/javascript; charset=utf-8"),
    ]
    .into_iter()
    .map(|(name, content_type, body)| {
        let hash = hex::encode(Sha256::digest(body));
        let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
        Asset {
            name,
            served_as: format!("{stem}.{}.{ext}", &hash[..10]),
            content_type,
            body,
        }
    })
    .collect()
});

/// The URL of an embedded asset by its plain name.
pub fn url(name: &str) -> String {
    ASSETS
        .iter()
        .find(|a| a.name == name)
        .map(|a| format!("/static/{}", a.served_as))
        .unwrap_or_default()
}

#[get("/static/{file}")]
async fn serve(file: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|a| a.served_as == *file) {
        Some(asset) => HttpResponse::Ok()
            .content_type(asset.content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .body(asset.body),
        None => HttpResponse::NotFound()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
    }
}
