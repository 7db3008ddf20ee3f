//! The HTTP edge: routes, extractors, and errors rendered as JSON.

mod ack;
mod auth;
mod contacts;
pub mod error;
mod extract;
mod health;
mod incidents;
pub mod state;
mod units;

use actix_web::web;

pub use extract::BodyLimit;
pub use state::AppState;

/// Every route; `startup` mounts this on each worker.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .configure(ack::routes)
        .service(
            web::scope("/api/v1")
                .configure(units::routes)
                .configure(contacts::routes)
                .configure(incidents::routes),
        )
        .default_service(web::to(error::not_found));
}
