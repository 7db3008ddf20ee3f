//! Incidents as pages show them: labels in Chinese, times in the office's zone, and each
//! clock's deadline both as text and as a machine time the page's script counts down to.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::labels;
use crate::domain::clock::{ClockState, ClockView};
use crate::domain::incident::Incident;

#[derive(Debug, Clone, Serialize)]
pub struct ClockCell {
    pub kind: String,
    pub kind_label: String,
    /// CSS class and `data-state`: running, at_risk, breached, met, met_late, cancelled.
    pub state: &'static str,
    pub state_label: &'static str,
    pub running: bool,
    /// RFC 3339, for the countdown script.
    pub due_at: String,
    pub at_risk_at: String,
    pub due_local: String,
    /// "剩余 4:59:50" / "超时 0:00:05" / "按时完成 14:03".
    pub remaining: String,
    pub next_reminder: Option<String>,
}

pub fn clock(c: &ClockView, zone: Tz) -> ClockCell {
    let running = c.state.is_running();
    let remaining = if running {
        if c.remaining_seconds >= 0 {
            format!("剩余 {}", labels::span(c.remaining_seconds))
        } else {
            format!("超时 {}", labels::span(c.remaining_seconds))
        }
    } else {
        match c.stopped_at {
            Some(at) => format!("{} {}", c.state.label_zh(), labels::local(at, zone)),
            None => c.state.label_zh().to_owned(),
        }
    };
    ClockCell {
        kind: c.kind.to_string(),
        kind_label: c.label.clone(),
        state: c.state.as_str(),
        state_label: c.state.label_zh(),
        running,
        due_at: c.due_at.to_rfc3339(),
        at_risk_at: c.at_risk_at.to_rfc3339(),
        due_local: labels::local(c.due_at, zone),
        remaining,
        next_reminder: c
            .next_escalation
            .as_ref()
            .map(|n| labels::local(n.at, zone)),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct IncidentRow {
    pub id: String,
    pub reference: String,
    pub title: String,
    pub severity: &'static str,
    pub severity_label: &'static str,
    pub status_label: &'static str,
    pub category_label: &'static str,
    /// Responsible units, the first responsible first and marked.
    pub units: String,
    pub discovered_local: String,
    pub clocks: Vec<ClockCell>,
    /// The worst state among its running clocks, for the row's colour.
    pub urgency: &'static str,
}

/// The responsible units, the first responsible first and marked when there are several.
pub fn units(i: &Incident) -> String {
    let mut units: Vec<_> = i.responsible_units.iter().collect();
    units.sort_by_key(|u| !u.first_responsible);
    units
        .iter()
        .map(|u| {
            if u.first_responsible && i.responsible_units.len() > 1 {
                format!("{}（第一责任）", u.name)
            } else {
                u.name.clone()
            }
        })
        .collect::<Vec<_>>()
        .join("、")
}

pub fn row(i: &Incident, zone: Tz) -> IncidentRow {
    let units = units(i);
    let current: Vec<&ClockView> = current_clocks(&i.clocks);
    let urgency = if current.iter().any(|c| c.state == ClockState::Breached) {
        "breached"
    } else if current.iter().any(|c| c.state == ClockState::AtRisk) {
        "at_risk"
    } else {
        "calm"
    };
    IncidentRow {
        id: i.id.to_string(),
        reference: i.reference.clone(),
        title: i.title.clone(),
        severity: i.severity.as_str(),
        severity_label: i.severity.label_zh(),
        status_label: i.status.label_zh(),
        category_label: i.category.label_zh(),
        units,
        discovered_local: labels::local(i.discovered_at, zone),
        clocks: current.into_iter().map(|c| clock(c, zone)).collect(),
        urgency,
    }
}

/// The clocks that count now: the latest of each kind (earlier cancelled ones are
/// history, shown on the incident page's timeline), nearest deadline first.
pub fn current_clocks(clocks: &[ClockView]) -> Vec<&ClockView> {
    let mut out: Vec<&ClockView> = Vec::new();
    for c in clocks {
        match out.iter_mut().find(|o| o.kind == c.kind) {
            Some(o) if o.started_at <= c.started_at => *o = c,
            Some(_) => {}
            None => out.push(c),
        }
    }
    out.sort_by(|a, b| (a.due_at, &a.kind).cmp(&(b.due_at, &b.kind)));
    out
}

pub fn now_local(now: DateTime<Utc>, zone: Tz) -> String {
    now.with_timezone(&zone)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// One option of a `<select>` or a group of checkboxes.
#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The domain's text enums as form options: wire value and Chinese label.
pub trait Options: Copy + PartialEq + 'static {
    fn all() -> &'static [Self];
    fn value(self) -> &'static str;
    fn label(self) -> &'static str;
}

macro_rules! options {
    ($($t:ty),+ $(,)?) => {
        $(impl Options for $t {
            fn all() -> &'static [Self] {
                <$t>::ALL
            }
            fn value(self) -> &'static str {
                self.as_str()
            }
            fn label(self) -> &'static str {
                self.label_zh()
            }
        })+
    };
}

options!(
    crate::domain::incident::Severity,
    crate::domain::incident::Status,
    crate::domain::incident::Category,
    crate::domain::incident::SourceChannel,
    crate::domain::incident::SpecialTopic,
    crate::domain::incident::ReferralAuthority,
    crate::domain::unit::UnitLevel,
    crate::domain::contact::ContactRole,
    crate::domain::clock::ResponseType,
    crate::domain::robot::RobotKind,
);

impl Options for crate::domain::access::Role {
    fn all() -> &'static [Self] {
        Self::ALL
    }
    fn value(self) -> &'static str {
        self.as_str()
    }
    fn label(self) -> &'static str {
        labels::role(self)
    }
}

/// These options, `selected` marked.
pub fn options_of<T: Options>(
    items: impl IntoIterator<Item = T>,
    selected: Option<T>,
) -> Vec<Choice> {
    items
        .into_iter()
        .map(|t| Choice {
            value: t.value().to_owned(),
            label: t.label().to_owned(),
            selected: Some(t) == selected,
        })
        .collect()
}

/// Every option of `T`, `selected` marked.
pub fn options<T: Options>(selected: Option<T>) -> Vec<Choice> {
    options_of(T::all().iter().copied(), selected)
}

/// Units as options (value: code, label: name), the active ones only.
pub fn unit_options(units: Vec<crate::domain::unit::Unit>, selected: &str) -> Vec<Choice> {
    units
        .into_iter()
        .filter(|u| u.active)
        .map(|u| Choice {
            selected: u.code == selected,
            value: u.code.into_string(),
            label: u.name.into_string(),
        })
        .collect()
}
