//! Timeliness per office or per month: how many clocks fell due, how many were met on
//! time, late, or are still overdue, and how long each kind of milestone took. Computed from the clocks as stored (their own due times), so a
//! later change of policy never rewrites a past result.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::clock::{ClockKind, StoredState};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Unit,
    Month,
}

/// One clock that fell due in the period, with a responsible unit of its incident (a
/// clock of an incident with several units comes once per unit).
#[derive(Debug, Clone)]
pub struct ClockFact {
    pub clock_id: String,
    pub kind: ClockKind,
    pub state: StoredState,
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub stopped_at: Option<DateTime<Utc>>,
    pub unit_code: String,
    pub unit_name: String,
}

/// One clock kind's figures in a group: how long its milestone took, and how often it
/// was on time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct KindTimeliness {
    /// Start to milestone, in minutes begun (5 h 0 min 8 s is 301: a limit of 300 was
    /// missed, and the figure must not say otherwise).
    pub median_minutes: Option<i64>,
    pub p90_minutes: Option<i64>,
    /// Whether the median clock met its milestone after the deadline.
    pub median_late: Option<bool>,
    /// This kind's met_on_time / (met_on_time + met_late + breached_open); null when
    /// none of its clocks is decided.
    pub on_time_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Timeliness {
    /// Unit code, or month (YYYY-MM in the office time zone); "total" for the sum.
    pub key: String,
    /// Unit name, or the month again.
    pub label: String,
    pub clocks_due: i64,
    pub met_on_time: i64,
    pub met_late: i64,
    /// Past the deadline and still without its milestone.
    pub breached_open: i64,
    /// Still running, deadline not reached yet.
    pub not_yet_due: i64,
    /// met_on_time / (met_on_time + met_late + breached_open); null when none decided.
    pub on_time_rate: Option<f64>,
    /// Per clock kind, under the kind's `report_as` name (`statement`,
    /// `press_conference`, …): start to milestone, and its on-time rate.
    #[serde(flatten)]
    #[schema(value_type = BTreeMap<String, KindTimeliness>)]
    pub per_kind: BTreeMap<String, KindTimeliness>,
}

/// A clock kind as the report names it: the kind and its `report_as`.
pub type ReportedKind = (ClockKind, String);

/// Groups the facts; each clock counts once per group (and once in the total).
pub fn summarize(
    facts: &[ClockFact],
    kinds: &[ReportedKind],
    group_by: GroupBy,
    zone: Tz,
    now: DateTime<Utc>,
) -> (Vec<Timeliness>, Timeliness) {
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let mut all = Group::default();
    for fact in facts {
        let (key, label) = match group_by {
            GroupBy::Unit => (fact.unit_code.clone(), fact.unit_name.clone()),
            GroupBy::Month => {
                let month = fact.due_at.with_timezone(&zone).format("%Y-%m").to_string();
                (month.clone(), month)
            }
        };
        let group = groups.entry(key).or_insert_with(|| Group {
            label,
            ..Group::default()
        });
        group.add(fact);
        all.add(fact);
    }
    let rows = groups
        .into_iter()
        .map(|(key, group)| tally(key, group.label, &group.facts, kinds, now))
        .collect();
    (
        rows,
        tally("total".into(), "合计".into(), &all.facts, kinds, now),
    )
}

/// The clocks of one group, each once.
#[derive(Default)]
struct Group<'a> {
    label: String,
    facts: Vec<&'a ClockFact>,
    seen: HashSet<&'a str>,
}

impl<'a> Group<'a> {
    fn add(&mut self, fact: &'a ClockFact) {
        if self.seen.insert(&fact.clock_id) {
            self.facts.push(fact);
        }
    }
}

fn tally(
    key: String,
    label: String,
    facts: &[&ClockFact],
    kinds: &[ReportedKind],
    now: DateTime<Utc>,
) -> Timeliness {
    let counts = Counts::of(facts, now);
    Timeliness {
        key,
        label,
        clocks_due: facts.len() as i64,
        met_on_time: counts.met_on_time,
        met_late: counts.met_late,
        breached_open: counts.breached_open,
        not_yet_due: counts.not_yet_due,
        on_time_rate: counts.on_time_rate(),
        per_kind: kinds
            .iter()
            .map(|(kind, name)| {
                let of_kind: Vec<&ClockFact> =
                    facts.iter().copied().filter(|f| f.kind == *kind).collect();
                (name.clone(), of_kind_figures(&of_kind, now))
            })
            .collect(),
    }
}

/// Where a group's clocks stand at `now`.
struct Counts {
    met_on_time: i64,
    met_late: i64,
    breached_open: i64,
    not_yet_due: i64,
}

impl Counts {
    fn of(facts: &[&ClockFact], now: DateTime<Utc>) -> Self {
        let count =
            |pred: &dyn Fn(&ClockFact) -> bool| facts.iter().filter(|f| pred(f)).count() as i64;
        Self {
            met_on_time: count(&|f| f.state == StoredState::Met),
            met_late: count(&|f| f.state == StoredState::MetLate),
            breached_open: count(&|f| f.state == StoredState::Running && f.due_at < now),
            not_yet_due: count(&|f| f.state == StoredState::Running && f.due_at >= now),
        }
    }

    /// Met on time among the decided clocks (met, met late, or past due without it).
    fn on_time_rate(&self) -> Option<f64> {
        let decided = self.met_on_time + self.met_late + self.breached_open;
        (decided > 0).then(|| self.met_on_time as f64 / decided as f64)
    }
}

/// The clocks of one kind: start to milestone of the met ones, median and 90th
/// percentile (nearest rank) in minutes begun, and the kind's on-time rate.
fn of_kind_figures(facts: &[&ClockFact], now: DateTime<Utc>) -> KindTimeliness {
    let mut taken: Vec<(i64, bool)> = facts
        .iter()
        .filter(|f| matches!(f.state, StoredState::Met | StoredState::MetLate))
        .filter_map(|f| {
            let seconds = (f.stopped_at? - f.started_at).num_seconds();
            Some((seconds, f.state == StoredState::MetLate))
        })
        .collect();
    taken.sort_unstable();
    let minutes = |(seconds, _): (i64, bool)| (seconds.max(0) + 59) / 60;
    let median = nearest_rank(&taken, 50);
    KindTimeliness {
        median_minutes: median.map(minutes),
        p90_minutes: nearest_rank(&taken, 90).map(minutes),
        median_late: median.map(|(_, late)| late),
        on_time_rate: Counts::of(facts, now).on_time_rate(),
    }
}

fn nearest_rank<T: Copy>(sorted: &[T], percent: usize) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// The timeliness report of a period: one group per unit or month, and the total.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelinessReport {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub time_zone: String,
    pub group_by: GroupBy,
    pub as_of: DateTime<Utc>,
    pub groups: Vec<Timeliness>,
    pub total: Timeliness,
    /// The kinds whose figures the rows carry, in the order they are shown: their
    /// `report_as` names and labels.
    #[serde(skip)]
    pub kinds: Vec<KindHeading>,
}

/// A clock kind as a report's columns are headed.
#[derive(Debug, Clone)]
pub struct KindHeading {
    pub report_as: String,
    pub label: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn kinds() -> Vec<ReportedKind> {
        vec![
            (statement(), "statement".into()),
            (press(), "press_conference".into()),
        ]
    }

    fn statement() -> ClockKind {
        ClockKind::parse("authoritative_statement").unwrap()
    }

    fn press() -> ClockKind {
        ClockKind::parse("press_conference").unwrap()
    }

    fn fact(
        id: &str,
        unit: &str,
        kind: ClockKind,
        state: StoredState,
        due: &str,
        took_min: Option<i64>,
    ) -> ClockFact {
        let due_at = t(due);
        let started_at = due_at - chrono::Duration::hours(5);
        ClockFact {
            clock_id: id.into(),
            kind,
            state,
            started_at,
            due_at,
            stopped_at: took_min.map(|m| started_at + chrono::Duration::minutes(m)),
            unit_code: unit.into(),
            unit_name: format!("{unit}局"),
        }
    }

    #[test]
    fn counts_rates_and_durations_per_unit_and_in_total() {
        use StoredState::*;
        let now = t("2026-11-20T12:00:00Z");
        let facts = vec![
            fact("a", "A", statement(), Met, "2026-11-10T05:00:00Z", Some(60)),
            fact(
                "b",
                "A",
                statement(),
                MetLate,
                "2026-11-11T05:00:00Z",
                Some(400),
            ),
            fact("c", "A", press(), Running, "2026-11-12T05:00:00Z", None),
            fact("d", "A", press(), Running, "2026-11-21T05:00:00Z", None),
            // One clock of an incident shared by two units counts for each, once in total.
            fact(
                "e",
                "A",
                statement(),
                Met,
                "2026-11-13T05:00:00Z",
                Some(120),
            ),
            fact(
                "e",
                "B",
                statement(),
                Met,
                "2026-11-13T05:00:00Z",
                Some(120),
            ),
        ];
        let (rows, total) = summarize(
            &facts,
            &kinds(),
            GroupBy::Unit,
            chrono_tz::Asia::Shanghai,
            now,
        );
        assert_eq!(rows.len(), 2);
        let a = &rows[0];
        assert_eq!((a.key.as_str(), a.label.as_str()), ("A", "A局"));
        assert_eq!(
            (
                a.clocks_due,
                a.met_on_time,
                a.met_late,
                a.breached_open,
                a.not_yet_due
            ),
            (5, 2, 1, 1, 1)
        );
        assert_eq!(a.on_time_rate, Some(0.5));
        assert_eq!(a.per_kind["statement"].median_minutes, Some(120));
        assert_eq!(a.per_kind["statement"].median_late, Some(false));
        assert_eq!(a.per_kind["statement"].p90_minutes, Some(400));
        let statement_rate = a.per_kind["statement"].on_time_rate.unwrap();
        assert!(
            (statement_rate - 2.0 / 3.0).abs() < 1e-9,
            "{statement_rate}"
        );
        // The press conference past due counts against its kind; the later one is not
        // decided yet.
        assert_eq!(
            a.per_kind["press_conference"],
            KindTimeliness {
                on_time_rate: Some(0.0),
                ..KindTimeliness::default()
            }
        );
        assert_eq!(rows[1].clocks_due, 1);
        assert_eq!(rows[1].on_time_rate, Some(1.0));
        assert_eq!(total.clocks_due, 5);
        assert_eq!(total.key, "total");
    }

    /// A statement 8 s past a 5-hour limit took 5 h 01 min begun, and was late: the
    /// figure must not read as on time.
    #[test]
    fn a_median_seconds_late_reads_late() {
        let mut late = fact(
            "a",
            "A",
            statement(),
            StoredState::MetLate,
            "2026-11-10T05:00:00Z",
            Some(300),
        );
        late.stopped_at = late.stopped_at.map(|s| s + chrono::Duration::seconds(8));
        let (rows, _) = summarize(
            &[late],
            &kinds(),
            GroupBy::Unit,
            chrono_tz::Asia::Shanghai,
            t("2026-11-20T00:00:00Z"),
        );
        assert_eq!(rows[0].per_kind["statement"].median_minutes, Some(301));
        assert_eq!(rows[0].per_kind["statement"].median_late, Some(true));
    }

    #[test]
    fn months_follow_the_office_time_zone() {
        let now = t("2026-12-20T00:00:00Z");
        // 2026-11-30T17:00Z is already 1 December in Shanghai.
        let facts = vec![fact(
            "a",
            "A",
            statement(),
            StoredState::Met,
            "2026-11-30T17:00:00Z",
            Some(10),
        )];
        let (rows, _) = summarize(
            &facts,
            &kinds(),
            GroupBy::Month,
            chrono_tz::Asia::Shanghai,
            now,
        );
        assert_eq!(rows[0].key, "2026-12");
    }

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(nearest_rank::<i64>(&[], 50), None);
        assert_eq!(nearest_rank(&[7], 90), Some(7));
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&ten, 50), Some(5));
        assert_eq!(nearest_rank(&ten, 90), Some(9));
    }
}
