//! GET /metrics: Prometheus text. Unauthenticated like /healthz (it names no person and
//! no incident); keep it off the public network at the proxy.

use actix_web::{HttpResponse, get, web};

use crate::domain::escalation::EscalationStatus;
use crate::error::AppError;
use crate::metrics::{Snapshot, render};
use crate::web::AppState;

#[utoipa::path(
    get, path = "/metrics", operation_id = "metrics", tag = "operations", security(()), responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let g = state.app.gauges().await?;
    let snapshot = Snapshot {
        mails_by_status: EscalationStatus::ALL
            .iter()
            .map(|status| {
                let n = g
                    .mails_by_status
                    .iter()
                    .find(|(s, _)| s == status)
                    .map_or(0, |(_, n)| *n);
                (status.as_str(), n)
            })
            .collect(),
        open_clocks: vec![
            ("running", g.running),
            ("at_risk", g.at_risk),
            ("breached", g.breached),
        ],
        engine_lag_seconds: g.lag_seconds,
    };
    let body = render(&snapshot).map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body))
}
