//! 撰写舆情快报: the form for a briefing to the parent unit, prefilled with the facts
//! known so far (the last briefing's, or the incident's), and its submission.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, get, post, web};
use serde::{Deserialize, Serialize};

use crate::console::error::ConsoleError;
use crate::console::form::Posted;
use crate::console::labels;
use crate::console::present::{self, Choice};
use crate::console::session::Signed;
use crate::console::views;
use crate::domain::briefing::{Briefing, BriefingInput};
use crate::domain::clock::{ClockKind, ClockRules, ClockStart, MilestoneForm};
use crate::domain::incident::{Incident, Status};
use crate::error::AppError;
use crate::rule::Rule;
use crate::web::AppState;

/// The form's fields, as typed (or prefilled).
#[derive(Serialize, Deserialize, Default)]
struct Fields {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    from_unit: String,
    #[serde(default)]
    event: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    discovered_at: String,
    #[serde(default)]
    spread: String,
    #[serde(default)]
    units_involved: String,
    #[serde(default)]
    actions: String,
    #[serde(default)]
    next_steps: String,
    #[serde(default)]
    contact: String,
}

#[derive(Serialize)]
struct FormPage {
    reference: String,
    title: String,
    values: Fields,
    kinds: Vec<Choice>,
    units: Vec<Choice>,
    /// The version this submission will be.
    version: usize,
    /// (form field, message)
    error: Option<(String, String)>,
}

/// The briefing kinds, in the order their deadlines come.
fn briefing_kinds(rules: &ClockRules) -> Vec<(&ClockKind, &str)> {
    rules
        .kinds()
        .into_iter()
        .filter(|(_, p)| p.milestone == MilestoneForm::Briefing)
        .map(|(kind, p)| (kind, p.label.as_str()))
        .collect()
}

/// The kind the form suggests: the running briefing clock with the nearest deadline;
/// else, by the incident's stage, the kind that starts on closing, the first report,
/// or the follow-up.
fn suggested_kind(incident: &Incident, earlier: &[Briefing], rules: &ClockRules) -> String {
    let running = present::current_clocks(&incident.clocks)
        .into_iter()
        .find(|c| c.state.is_running() && c.milestone == MilestoneForm::Briefing);
    if let Some(clock) = running {
        return clock.kind.to_string();
    }
    let pick = |fits: &dyn Fn(&crate::domain::clock::ClockPolicy) -> bool| {
        rules
            .kinds()
            .into_iter()
            .find(|(_, p)| p.milestone == MilestoneForm::Briefing && fits(p))
            .map(|(kind, _)| kind.to_string())
    };
    let stage = if incident.status == Status::Closed {
        pick(&|p| p.starts_on_close())
    } else if earlier.is_empty() {
        pick(&|p| p.starts_with_severity())
    } else {
        pick(&|p| p.after.is_some() || p.start_from == ClockStart::StatusChangedAt)
    };
    stage.or_else(|| pick(&|_| true)).unwrap_or_default()
}

/// The form's first values: the latest briefing's facts, or what the incident says.
fn prefill(state: &AppState, incident: &Incident, earlier: &[Briefing]) -> Fields {
    let zone = state.zone();
    let rules = state.app.clock_rules();
    let kind = suggested_kind(incident, earlier, rules);
    match earlier.first() {
        Some(last) => {
            let f = &last.facts;
            Fields {
                kind,
                from_unit: last.from_unit.code.clone(),
                event: f.event.clone(),
                location: f.location.clone().unwrap_or_default(),
                discovered_at: labels::input_value(f.discovered_at, zone),
                spread: f.spread.clone().unwrap_or_default(),
                units_involved: f.units_involved.clone().unwrap_or_default(),
                actions: f.actions.clone(),
                next_steps: f.next_steps.clone().unwrap_or_default(),
                contact: f.contact.clone().unwrap_or_default(),
            }
        }
        None => Fields {
            kind,
            from_unit: String::new(),
            event: format!("{}。{}", incident.title, incident.summary),
            location: match &incident.source_url {
                Some(url) => format!("{}（{url}）", incident.source_channel.label_zh()),
                None => incident.source_channel.label_zh().to_owned(),
            },
            discovered_at: labels::input_value(incident.discovered_at, zone),
            spread: String::new(),
            units_involved: present::units(incident),
            actions: String::new(),
            next_steps: String::new(),
            contact: String::new(),
        },
    }
}

async fn render_form(
    state: &AppState,
    signed: &Signed,
    key: String,
    values: Option<Fields>,
    error: Option<(String, String)>,
    status: StatusCode,
) -> Result<HttpResponse, ConsoleError> {
    let actor = &signed.session.actor;
    let (incident, earlier) = state.app.incident_briefings(actor, key).await?;
    let values = values.unwrap_or_else(|| prefill(state, &incident, &earlier));
    let rules = state.app.clock_rules();
    let own = actor.scope.as_ref().map(|s| s.unit_code.as_str());
    let from = if values.from_unit.is_empty() {
        own.unwrap_or_default().to_owned()
    } else {
        values.from_unit.clone()
    };
    let page = FormPage {
        reference: incident.reference.clone(),
        title: incident.title.clone(),
        kinds: briefing_kinds(rules)
            .into_iter()
            .map(|(kind, label)| Choice {
                selected: kind.as_str() == values.kind,
                value: kind.to_string(),
                label: label.to_owned(),
            })
            .collect(),
        units: incident
            .responsible_units
            .iter()
            .map(|u| Choice {
                selected: u.code == from,
                value: u.code.clone(),
                label: u.name.clone(),
            })
            .collect(),
        version: earlier.len() + 1,
        values,
        error,
    };
    let body = views::render("briefing_form.html", &signed.chrome("incident"), page)?;
    Ok(views::html(status, body))
}

#[get("/incidents/{key}/briefings/new")]
async fn compose(
    state: web::Data<AppState>,
    signed: Signed,
    key: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    signed.session.actor.require_incident_writer()?;
    render_form(
        &state,
        &signed,
        key.into_inner(),
        None,
        None,
        StatusCode::OK,
    )
    .await
}

fn optional(value: &str) -> Option<String> {
    Some(value.to_owned()).filter(|v| !v.trim().is_empty())
}

fn parse(form: &Fields, state: &AppState) -> Result<BriefingInput, AppError> {
    Ok(BriefingInput {
        kind: form
            .kind
            .parse()
            .map_err(|e: Rule| AppError::invalid("kind", e))?,
        from_unit: optional(&form.from_unit),
        event: form.event.clone(),
        location: optional(&form.location),
        discovered_at: labels::parse_input("discovered_at", &form.discovered_at, state.zone())?,
        spread: optional(&form.spread),
        units_involved: optional(&form.units_involved),
        actions: form.actions.clone(),
        next_steps: optional(&form.next_steps),
        contact: optional(&form.contact),
    })
}

#[post("/incidents/{key}/briefings")]
async fn submit(
    state: web::Data<AppState>,
    key: web::Path<String>,
    posted: Posted<Fields>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, form, once } = posted;
    signed.session.actor.require_incident_writer()?;
    let key = key.into_inner();
    let result = match parse(&form, &state) {
        Ok(input) => {
            state
                .app
                .submit_briefing(&signed.session.actor, key.clone(), input, once)
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(briefing) => Ok(views::see_other(&format!(
            "/briefings/{}?done=sent",
            briefing.id
        ))),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            let error = labels::field_message(&e)
                .unwrap_or_else(|| (String::new(), labels::error_message(&e)));
            let status = e.status_code();
            render_form(&state, &signed, key, Some(form), Some(error), status).await
        }
        Err(e) => Err(e.into()),
    }
}
