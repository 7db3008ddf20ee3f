//! Scheduled reports: planned as escalation rows, so they are delivered (and retried,
//! and never doubled across replicas) like every other mail.

use super::Engine;
use crate::app::reports;
use crate::domain::report::ReportKind;
use crate::error::AppError;
use crate::store::escalations;

impl Engine {
    /// Plans this period's report for every recipient; returns how many this call added
    /// (0 when another replica, or an earlier tick, planned them already).
    pub async fn plan_report(&self, kind: ReportKind) -> Result<usize, AppError> {
        let (rules, zone) = (self.rules.clone(), self.zone);
        let addressing = self.addressing.clone();
        let planned = self
            .store
            .write(move |conn| {
                let now = escalations::db_now(conn)?;
                match kind {
                    ReportKind::DailyDigest => {
                        reports::plan_daily_digest(conn, &rules, zone, &addressing, now)
                    }
                    ReportKind::WeeklySummary => {
                        reports::plan_weekly_summary(conn, zone, &addressing, now)
                    }
                }
            })
            .await?;
        if planned > 0 {
            tracing::info!(report = %kind, recipients = planned, "report planned");
            self.wake.notify_one();
        }
        Ok(planned)
    }
}
