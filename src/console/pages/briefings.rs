//! 舆情快报 to the parent unit: the form (prefilled with the facts known so far), the
//! printable A4 document, and the receiving unit's inbox where officers mark it read.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, get, post, web};
use serde::{Deserialize, Serialize};

use crate::console::error::ConsoleError;
use crate::console::form::Posted;
use crate::console::labels;
use crate::console::present::{self, Choice};
use crate::console::session::Signed;
use crate::console::views;
use crate::domain::access::Actor;
use crate::domain::briefing::{Briefing, BriefingInput};
use crate::domain::clock::{ClockKind, ClockRules, ClockStart, MilestoneForm};
use crate::domain::ids::BriefingId;
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

fn view(b: &Briefing, zone: chrono_tz::Tz) -> BriefingView {
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

/// Whether this caller is an officer of the unit the briefing went to.
fn receives(actor: &Actor, briefing_to_code: &str) -> bool {
    actor.role != crate::domain::access::Role::Viewer
        && actor
            .scope
            .as_ref()
            .is_some_and(|s| s.unit_code == briefing_to_code)
}

#[derive(Serialize)]
struct DocumentPage {
    b: BriefingView,
    done: Option<&'static str>,
    may_mark: bool,
}

#[derive(Deserialize)]
struct DocumentQuery {
    #[serde(default)]
    done: String,
}

#[get("/briefings/{id}")]
async fn show(
    state: web::Data<AppState>,
    signed: Signed,
    id: web::Path<String>,
    q: web::Query<DocumentQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let actor = &signed.session.actor;
    let briefing = state
        .app
        .briefing(actor, BriefingId::from(id.into_inner()))
        .await?;
    let page = DocumentPage {
        may_mark: briefing.read_at.is_none() && receives(actor, &briefing.to_unit.code),
        done: match q.done.as_str() {
            "sent" => Some("快报已报送。"),
            "read" => Some("已标为已阅，报送单位可以看到阅读时间。"),
            _ => None,
        },
        b: view(&briefing, state.zone()),
    };
    Ok(views::page("briefing.html", &signed.chrome("inbox"), page)?)
}

#[derive(Deserialize)]
struct ReadForm {
    /// Where to go back to: the inbox or the document.
    #[serde(default)]
    back: String,
}

#[post("/briefings/{id}/read")]
async fn mark_read(
    state: web::Data<AppState>,
    id: web::Path<String>,
    posted: Posted<ReadForm>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, form, .. } = posted;
    let id = BriefingId::from(id.into_inner());
    let briefing = state
        .app
        .mark_briefing_read(&signed.session.actor, id)
        .await?;
    let to = if form.back == "inbox" {
        "/inbox?done=read".to_owned()
    } else {
        format!("/briefings/{}?done=read", briefing.id)
    };
    Ok(views::see_other(&to))
}

#[derive(Serialize)]
struct InboxPage {
    items: Vec<BriefingView>,
    unread: usize,
    /// The caller belongs to no unit: it sees every unit's briefings, and marks none.
    every_unit: bool,
    may_mark: bool,
    done: bool,
}

#[derive(Deserialize)]
struct InboxQuery {
    #[serde(default)]
    done: String,
}

#[get("/inbox")]
async fn inbox(
    state: web::Data<AppState>,
    signed: Signed,
    q: web::Query<InboxQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let actor = &signed.session.actor;
    let items = state.app.briefing_inbox(actor, false).await?;
    let zone = state.zone();
    let page = InboxPage {
        unread: items.iter().filter(|b| b.read_at.is_none()).count(),
        every_unit: actor.scope.is_none(),
        may_mark: actor.scope.is_some() && actor.role != crate::domain::access::Role::Viewer,
        items: items.iter().map(|b| view(b, zone)).collect(),
        done: q.done == "read",
    };
    Ok(views::page("inbox.html", &signed.chrome("inbox"), page)?)
}
