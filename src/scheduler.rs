//! Periodic jobs on tokio-cron-scheduler: the engine sweep tick, the watchdog, the daily
//! digest and the weekly summary.
//! Correctness never depends on a tick firing exactly once (the engine also wakes on
//! its own timer); the last tick is kept so /readyz shows when ticks stop.

use std::sync::Arc;

use chrono_tz::Tz;
use tokio::sync::Notify;
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::config::SchedulerSettings;
use crate::domain::report::ReportKind;
use crate::engine::{Engine, Health};
use crate::error::AppError;

pub async fn start(
    settings: &SchedulerSettings,
    zone: Tz,
    engine: Arc<Engine>,
    wake: Arc<Notify>,
    health: Arc<Health>,
) -> Result<JobScheduler, AppError> {
    let scheduler = JobScheduler::new().await.map_err(AppError::internal)?;
    let sweep_engine = engine.clone();
    let sweep = Job::new_async_tz(settings.sweep.as_str(), zone, move |_, _| {
        let (wake, health, engine) = (wake.clone(), health.clone(), sweep_engine.clone());
        Box::pin(async move {
            health.ticked(engine.now());
            wake.notify_one();
            if let Err(e) = engine.record_phases().await {
                tracing::error!(error = %e.chain(), "recording clock phases failed");
            }
            engine.close_idle_connections();
        })
    })
    .map_err(AppError::internal)?;
    let watchdog_engine = engine.clone();
    let watchdog = Job::new_async_tz(settings.watchdog.as_str(), zone, move |_, _| {
        let engine = watchdog_engine.clone();
        Box::pin(async move {
            if let Err(e) = engine.watchdog().await {
                tracing::error!(error = %e.chain(), "watchdog failed");
            }
        })
    })
    .map_err(AppError::internal)?;
    scheduler.add(sweep).await.map_err(AppError::internal)?;
    scheduler.add(watchdog).await.map_err(AppError::internal)?;
    for (expr, kind) in [
        (&settings.daily_digest, ReportKind::DailyDigest),
        (&settings.weekly_summary, ReportKind::WeeklySummary),
    ] {
        let engine = engine.clone();
        let job = Job::new_async_tz(expr.as_str(), zone, move |_, _| {
            let engine = engine.clone();
            Box::pin(async move {
                if let Err(e) = engine.plan_report(kind).await {
                    tracing::error!(report = %kind, error = %e.chain(), "planning the report failed");
                }
            })
        })
        .map_err(AppError::internal)?;
        scheduler.add(job).await.map_err(AppError::internal)?;
    }
    scheduler.start().await.map_err(AppError::internal)?;
    Ok(scheduler)
}
