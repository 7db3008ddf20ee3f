//! The web console: server-rendered pages in Chinese for duty officers, leaders and
//! admins, signed in with personal accounts. A second front door beside the JSON API:
//! each handler parses a form into the same domain types and calls the same use case.

mod assets;
mod error;
mod form;
mod labels;
mod pages;
mod present;
mod session;
mod timeline;
mod views;

use actix_web::web;

pub use error::ConsoleError;

/// The console stylesheet's URL (content-hashed).
pub fn stylesheet_url() -> String {
    assets::url("console.css")
}
pub use views::check as check_templates;

/// Anything unmatched: a page for a browser outside the API, the API's JSON error otherwise.
pub async fn not_found(req: actix_web::HttpRequest) -> actix_web::HttpResponse {
    let browser = !req.path().starts_with("/api/")
        && req
            .headers()
            .get(actix_web::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
    if browser {
        let e = crate::error::AppError::NotFound(format!("page {}", req.path()));
        return actix_web::ResponseError::error_response(&ConsoleError::from(e));
    }
    // Unmatched routes answer in the API's JSON error shape.
    let e = crate::error::AppError::NotFound(format!("route {} {}", req.method(), req.path()));
    actix_web::ResponseError::error_response(&e)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(assets::serve);
    pages::routes(cfg);
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_compiles() {
        super::views::check().unwrap();
    }
}
