//! Scheduled reports by mail: the daily digest of open major incidents and the weekly
//! timeliness summary. One per period and recipient.

use chrono::{DateTime, Datelike, Duration, Utc};
use chrono_tz::Tz;

use crate::domain::escalation::Step;
use crate::text_enum;

text_enum! {
    pub enum ReportKind {
        DailyDigest => "daily_digest",
        WeeklySummary => "weekly_summary",
    }
}

impl ReportKind {
    /// The period a report planned at `now` covers, as its key: the local date for the
    /// digest, the ISO week just ended for the summary.
    pub fn period(self, now: DateTime<Utc>, zone: Tz) -> String {
        let local = now.with_timezone(&zone);
        match self {
            Self::DailyDigest => local.format("%Y-%m-%d").to_string(),
            Self::WeeklySummary => {
                let week = (local - Duration::days(7)).iso_week();
                format!("{}-W{:02}", week.year(), week.week())
            }
        }
    }

    /// The escalation step that carries this report for the period covering `now`.
    pub fn step(self, now: DateTime<Utc>, zone: Tz) -> Step {
        Step::Report {
            kind: self,
            period: self.period(now, zone),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_follow_local_time() {
        let zone = chrono_tz::Asia::Shanghai;
        // 2026-11-22 23:30 UTC is already Monday 23 November in Shanghai.
        let now: DateTime<Utc> = "2026-11-22T23:30:00Z".parse().unwrap();
        assert_eq!(ReportKind::DailyDigest.period(now, zone), "2026-11-23");
        assert_eq!(ReportKind::WeeklySummary.period(now, zone), "2026-W47");
        assert_eq!(
            ReportKind::DailyDigest.step(now, zone).key(),
            "daily_digest:2026-11-23"
        );
    }
}
