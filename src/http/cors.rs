//! Cross-origin access for dashboards served from other origins (config
//! `server.cors_origins`). The service's own origin (`server.public_url`) is always
//! allowed, so the acknowledgement page's form keeps working.

use actix_cors::Cors;
use actix_web::http::{Method, header};

use crate::config::{Origin, PublicUrl};

pub fn cors(origins: &[Origin], public_url: &PublicUrl) -> Cors {
    let mut cors = Cors::default()
        .allowed_origin(public_url.origin().as_str())
        .allowed_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static("last-event-id"),
        ])
        .expose_headers([
            header::ETAG,
            header::HeaderName::from_static("x-request-id"),
        ])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin.as_str());
    }
    cors
}
