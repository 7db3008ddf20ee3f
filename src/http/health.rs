//! Liveness and readiness for orchestrators and load balancers.

use actix_web::{HttpResponse, get, web};
use serde_json::{Value, json};

use crate::error::AppError;
use crate::web::AppState;

/// The process is up and answering.
#[utoipa::path(
    get, path = "/healthz", operation_id = "health", tag = "operations", security(()), responses((status = 200, description = "The process answers"))
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Ready when the database answers, every migration is applied and, on a replica that
/// runs the engine, the engine is keeping up: it ran recently and no escalation has
/// waited longer than `engine.stall_after_seconds`.
#[utoipa::path(
    get, path = "/readyz", operation_id = "readiness", tag = "operations", security(()), responses((status = 200, description = "Database reachable, migrations applied, engine keeping up"), (status = 503, description = "Not ready (engine stalled or database away)"))
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let database = format!("{:?}", state.app.ready().await?).to_lowercase();
    let Some(stall_after) = state.engine_stall_after else {
        return Ok(HttpResponse::Ok()
            .json(json!({ "status": "ready", "database": database, "engine": Value::Null })));
    };
    let crate::app::overview::EngineLag { now, lag_seconds } = state.app.engine_lag().await?;
    let last_sweep = state.health.last_sweep();
    let swept_recently = last_sweep.is_some_and(|at| now - at <= stall_after);
    let stalled = !swept_recently || lag_seconds > stall_after.num_seconds();
    let body = json!({
        "status": if stalled { "engine_stalled" } else { "ready" },
        "database": database,
        "engine": {
            "lag_seconds": lag_seconds,
            "last_sweep_at": last_sweep,
            "scheduler_last_tick_at": state.health.last_tick(),
        },
    });
    Ok(if stalled {
        HttpResponse::ServiceUnavailable().json(body)
    } else {
        HttpResponse::Ok().json(body)
    })
}
