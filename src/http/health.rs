//! Liveness and readiness for orchestrators and load balancers.

use actix_web::{HttpResponse, get, web};
use serde_json::json;

use super::state::AppState;
use crate::error::AppError;

/// The process is up and answering.
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// The database answers and every migration is applied.
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    state.store.ready().await?;
    Ok(HttpResponse::Ok().json(json!({
        "status": "ready",
        "database": format!("{:?}", state.store.backend()).to_lowercase(),
    })))
}
