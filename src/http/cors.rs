//! Cross-origin access for dashboards served from other origins (config
//! `server.cors_origins`). The service's own origin (`server.public_url`) is always
//! allowed, so the acknowledgement page's form keeps working.

use actix_cors::Cors;
use actix_web::http::{Method, header};

/// `scheme://host[:port]` with nothing after it, as browsers send in `Origin`.
pub fn check_origin(origin: &str) -> Result<(), String> {
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or("must start with http:// or https://")?;
    if rest.is_empty() || rest.contains(['/', '?', '#', ' ', '*']) {
        return Err("must be an origin: scheme://host[:port], no path or wildcard".into());
    }
    Ok(())
}

/// The origin part of a URL (`https://a.example.org/x` → `https://a.example.org`).
pub fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    format!("{scheme}://{host}")
}

pub fn cors(origins: &[String], public_url: &str) -> Cors {
    let mut cors = Cors::default()
        .allowed_origin(&origin_of(public_url))
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
        cors = cors.allowed_origin(origin);
    }
    cors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        assert!(check_origin("https://screen.example.org").is_ok());
        assert!(check_origin("http://10.0.0.5:3000").is_ok());
        for bad in [
            "screen.example.org",
            "https://a.org/",
            "https://*.a.org",
            "https://",
        ] {
            assert!(check_origin(bad).is_err(), "{bad}");
        }
        assert_eq!(
            origin_of("https://a.org:8443/ack?x=1"),
            "https://a.org:8443"
        );
    }
}
