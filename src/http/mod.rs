//! The HTTP edge: routes, extractors, and errors rendered as JSON.

mod ack;
pub mod auth;
pub mod board;
pub mod bodies;
mod cache;
pub mod client;
mod conditional;
mod contacts;
pub mod cors;
pub mod error;
mod events;
mod extract;
pub mod feed;
mod health;
mod incidents;
mod metrics;
pub mod middleware;
mod openapi;
mod reports;
mod spreadsheet;
pub mod state;
mod tokens;
mod units;

use actix_web::web;

pub use extract::BodyLimit;
pub use state::AppState;

/// Every route; `startup` mounts this on each worker.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(metrics::metrics)
        .configure(ack::routes)
        .service(
            web::scope("/api/v1")
                .configure(units::routes)
                .configure(contacts::routes)
                .configure(tokens::routes)
                .configure(incidents::routes)
                .service(board::show)
                .service(reports::timeliness_report)
                .service(events::stream)
                .service(openapi::openapi_json),
        )
        .default_service(web::to(error::not_found));
}
