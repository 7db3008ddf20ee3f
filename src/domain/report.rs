//! Scheduled reports by mail: the daily digest of open major incidents and the weekly
//! timeliness summary. One per period and recipient.

use chrono::{DateTime, Datelike, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::domain::clock::StoredState;

use crate::domain::escalation::Step;
use crate::text_enum;

text_enum! {
    pub enum ReportKind {
        DailyDigest => "daily_digest",
        WeeklySummary => "weekly_summary",
    }
}

impl ReportKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::DailyDigest => "每日汇总",
            Self::WeeklySummary => "每周时效通报",
        }
    }

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

/// What the daily digest says to one leader about their unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Digest {
    /// "2026年11月22日"
    pub date: String,
    pub as_of: String,
    pub unit: String,
    pub incidents: Vec<DigestIncident>,
    /// How many of them have a clock past its deadline.
    pub breached: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DigestIncident {
    pub reference: String,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub clocks: Vec<DigestClock>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DigestClock {
    pub milestone: String,
    pub state: String,
    pub deadline: String,
    pub breached: bool,
}

/// What the weekly summary says to one principal leader: clocks due in the week, per
/// unit at or below theirs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// "2026-W47"
    pub period: String,
    pub from: String,
    pub to: String,
    pub unit: String,
    pub rows: Vec<SummaryRow>,
    pub total: SummaryRow,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    pub unit: String,
    pub due: u32,
    pub met: u32,
    pub met_late: u32,
    pub breached: u32,
    pub cancelled: u32,
    /// "83%", or "—" when nothing was judged yet.
    pub on_time_rate: String,
}

/// Counts of clocks due in a period, by how they ended.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub due: u32,
    pub met: u32,
    pub met_late: u32,
    pub breached: u32,
    pub cancelled: u32,
}

impl Tally {
    /// Counts one clock that was due, by its stored state (still running = breached).
    pub fn count(&mut self, state: StoredState) {
        self.due += 1;
        match state {
            StoredState::Met => self.met += 1,
            StoredState::MetLate => self.met_late += 1,
            StoredState::Running => self.breached += 1,
            StoredState::Cancelled => self.cancelled += 1,
        }
    }

    pub fn add(&mut self, other: Tally) {
        self.due += other.due;
        self.met += other.met;
        self.met_late += other.met_late;
        self.breached += other.breached;
        self.cancelled += other.cancelled;
    }

    pub fn row(&self, unit: &str) -> SummaryRow {
        let judged = self.met + self.met_late + self.breached;
        let on_time_rate = if judged == 0 {
            "—".to_owned()
        } else {
            format!("{:.0}%", f64::from(self.met) * 100.0 / f64::from(judged))
        };
        SummaryRow {
            unit: unit.to_owned(),
            due: self.due,
            met: self.met,
            met_late: self.met_late,
            breached: self.breached,
            cancelled: self.cancelled,
            on_time_rate,
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

    #[test]
    fn on_time_rate_counts_met_among_judged() {
        let mut t = Tally::default();
        for s in [
            StoredState::Met,
            StoredState::Met,
            StoredState::MetLate,
            StoredState::Cancelled,
        ] {
            t.count(s);
        }
        let row = t.row("天河区税务局");
        assert_eq!((row.due, row.met, row.cancelled), (4, 2, 1));
        assert_eq!(row.on_time_rate, "67%");
        assert_eq!(Tally::default().row("x").on_time_rate, "—");
    }
}
