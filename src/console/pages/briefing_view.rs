//! A briefing as the console shows it: on the incident page, in the inbox and as the
//! A4 document, times in the office's zone.

use serde::Serialize;

use crate::console::labels;
use crate::domain::briefing::Briefing;

/// A briefing as the document and the lists show it, times in the office's zone.
#[derive(Serialize)]
pub struct BriefingView {
    id: String,
    reference: String,
    incident_title: String,
    version: i64,
    label: String,
    from_unit: String,
    to_unit: String,
    submitted: String,
    submitted_by: String,
    read: Option<String>,
    event: String,
    location: Option<String>,
    discovered: String,
    spread: Option<String>,
    units_involved: Option<String>,
    actions: String,
    next_steps: Option<String>,
    contact: Option<String>,
}

pub fn view(b: &Briefing, zone: chrono_tz::Tz) -> BriefingView {
    BriefingView {
        id: b.id.to_string(),
        reference: b.incident_reference.clone(),
        incident_title: b.incident_title.clone(),
        version: b.version,
        label: b.label.clone(),
        from_unit: b.from_unit.name.clone(),
        to_unit: b.to_unit.name.clone(),
        submitted: labels::local(b.submitted_at, zone),
        submitted_by: b.submitted_by.clone(),
        read: b.read_at.map(|at| {
            format!(
                "{} 于 {} 阅",
                b.read_by.as_deref().unwrap_or(""),
                labels::local(at, zone)
            )
        }),
        event: b.facts.event.clone(),
        location: b.facts.location.clone(),
        discovered: labels::local(b.facts.discovered_at, zone),
        spread: b.facts.spread.clone(),
        units_involved: b.facts.units_involved.clone(),
        actions: b.facts.actions.clone(),
        next_steps: b.facts.next_steps.clone(),
        contact: b.facts.contact.clone(),
    }
}

/// The incident page's list of briefings, newest first.
pub fn views_of(briefings: &[Briefing], zone: chrono_tz::Tz) -> Vec<BriefingView> {
    briefings.iter().map(|b| view(b, zone)).collect()
}
