//! The HTTP edge: routes, extractors, and errors rendered as JSON.

mod ack;
pub mod auth;
pub mod board;
pub mod bodies;
mod briefings;
mod contacts;
pub mod cors;
pub mod error;
pub mod events;
mod extract;
mod health;
pub(crate) mod incidents;
mod metrics;
pub mod middleware;
mod openapi;
pub(crate) mod reports;
mod robots;
pub(crate) mod tokens;
mod units;

use actix_web::web;

pub use extract::BodyLimit;

/// Every API route; `startup` mounts this on each worker (before the console's routes,
/// with `console::not_found` for anything unmatched). Routes are tried in order, most
/// of them by regular expression: what dashboards poll comes first.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .configure(incidents::routes)
            .configure(briefings::routes)
            .service(board::show)
            .service(events::stream)
            .service(events::ticket)
            .configure(units::routes)
            .configure(contacts::routes)
            .configure(robots::routes)
            .configure(tokens::routes)
            .service(reports::timeliness_report)
            .service(openapi::openapi_json),
    )
    .service(health::healthz)
    .service(health::readyz)
    .service(metrics::metrics)
    .configure(ack::routes);
}
