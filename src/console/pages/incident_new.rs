//! 登记舆情: the form a duty officer fills in at 02:00. Every field has a Chinese label
//! and help; discovered_at defaults to now; units come from the directory. The form
//! carries a one-time id used as the API's Idempotency-Key, so a double submit logs one
//! incident. The API's validation runs unchanged and its message lands next to the field.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::app::incidents::Created;
use crate::console::error::ConsoleError;
use crate::console::form::{Posted, every, field};
use crate::console::labels;
use crate::console::present::{self, Choice};
use crate::console::session::Signed;
use crate::console::views;
use crate::domain::access::Actor;
use crate::domain::incident::CreateIncident;
use crate::domain::incident::IdempotencyKey;
use crate::domain::incident::{Category, Severity, SourceChannel, SpecialTopic, UnitRef};
use crate::error::AppError;
use crate::rule::Rule;
use crate::web::AppState;

#[derive(Serialize)]
struct UnitChoice {
    code: String,
    name: String,
    /// Indented by depth in the tree.
    depth: usize,
    checked: bool,
    first: bool,
}

/// What the form shows: the values typed so far and the error, if any.
#[derive(Serialize, Default)]
struct Values {
    form_id: String,
    title: String,
    summary: String,
    source_channel: String,
    source_url: String,
    discovered_at: String,
    severity: String,
    category: String,
    special_topic: String,
}

#[derive(Serialize)]
struct NewIncidentPage {
    values: Values,
    units: Vec<UnitChoice>,
    channels: Vec<Choice>,
    severities: Vec<Choice>,
    categories: Vec<Choice>,
    topics: Vec<Choice>,
    /// (form field, message)
    error: Option<(String, String)>,
}

async fn render(
    state: &AppState,
    signed: &Signed,
    values: Values,
    picked: &[String],
    first: &str,
    error: Option<(String, String)>,
    status: StatusCode,
) -> Result<HttpResponse, ConsoleError> {
    let actor: &Actor = &signed.session.actor;
    let scope = actor.scope.as_ref().map(|s| s.path.clone());
    let all = state.app.units(scope).await?;
    let base_depth = all
        .iter()
        .map(|u| u.path.matches('/').count())
        .min()
        .unwrap_or(0);
    let units = all
        .into_iter()
        .filter(|u| u.active)
        .map(|u| UnitChoice {
            depth: u.path.matches('/').count() - base_depth,
            checked: picked.iter().any(|p| u.code == p.as_str()),
            first: u.code == first,
            code: u.code.into_string(),
            name: u.name.into_string(),
        })
        .collect();
    let page = NewIncidentPage {
        channels: present::options::<SourceChannel>(values.source_channel.parse().ok()),
        severities: present::options::<Severity>(values.severity.parse().ok()),
        categories: present::options::<Category>(values.category.parse().ok()),
        topics: present::options::<SpecialTopic>(values.special_topic.parse().ok()),
        values,
        units,
        error,
    };
    let body = views::render("incident_new.html", &signed.chrome("new"), page)?;
    Ok(views::html(status, body))
}

#[get("/incidents/new")]
async fn show(state: web::Data<AppState>, signed: Signed) -> Result<HttpResponse, ConsoleError> {
    signed.session.actor.require_incident_writer()?;
    let values = Values {
        form_id: hex::encode(rand::random::<[u8; 16]>()),
        discovered_at: labels::input_value(state.now(), state.zone()),
        source_channel: "weibo".into(),
        severity: "general".into(),
        category: "misunderstanding".into(),
        ..Default::default()
    };
    render(&state, &signed, values, &[], "", None, StatusCode::OK).await
}

fn enum_field<T: std::str::FromStr<Err = Rule>>(field: &str, value: &str) -> Result<T, AppError> {
    value.parse().map_err(|e: Rule| AppError::invalid(field, e))
}

/// The form as the API's request: the same parsing and rules follow.
fn request(
    pairs: &[(String, String)],
    picked: &[String],
    first: &str,
    state: &AppState,
) -> Result<CreateIncident, AppError> {
    let optional =
        |name: &str| Some(field(pairs, name).to_owned()).filter(|v| !v.trim().is_empty());
    Ok(CreateIncident {
        title: field(pairs, "title").to_owned(),
        summary: field(pairs, "summary").to_owned(),
        source_channel: enum_field("source_channel", field(pairs, "source_channel"))?,
        source_url: optional("source_url"),
        discovered_at: labels::parse_input(
            "discovered_at",
            field(pairs, "discovered_at"),
            state.zone(),
        )?,
        severity: enum_field("severity", field(pairs, "severity"))?,
        category: enum_field("category", field(pairs, "category"))?,
        special_topic: optional("special_topic")
            .map(|t| enum_field("special_topic", &t))
            .transpose()?,
        responsible_units: picked
            .iter()
            .map(|code| UnitRef {
                code: code.clone(),
                first_responsible: code == first,
            })
            .collect(),
    })
}

/// The form field an error belongs to (the API names `responsible_units[0].code`).
fn form_field(api_field: &str) -> String {
    if api_field.starts_with("responsible_units") {
        "units".into()
    } else {
        api_field.to_owned()
    }
}

#[post("/incidents/new")]
async fn submit(
    state: web::Data<AppState>,
    posted: Posted<Vec<(String, String)>>,
) -> Result<HttpResponse, ConsoleError> {
    // Its own once-only id is the API's Idempotency-Key (`form_id`).
    let Posted {
        signed,
        form: pairs,
        ..
    } = posted;
    let actor = signed.session.actor.clone();
    actor.require_incident_writer()?;
    let picked: Vec<String> = every(&pairs, "unit").map(str::to_owned).collect();
    let first = field(&pairs, "first").to_owned();
    // The same form sent twice (a double click, a retry after a timeout) carries the
    // same id and content: the second answer is the first incident.
    let mut canonical = Sha256::new();
    for (k, v) in pairs.iter().filter(|(k, _)| k != "csrf") {
        canonical.update(k.as_bytes());
        canonical.update([0]);
        canonical.update(v.as_bytes());
        canonical.update([0]);
    }
    let form_id = field(&pairs, "form_id").trim().to_owned();
    let idempotency = (!form_id.is_empty() && form_id.len() <= 64).then(|| IdempotencyKey {
        key: format!("console:{form_id}"),
        request_hash: hex::encode(canonical.finalize()),
    });
    let now = state.now();
    let content = request(&pairs, &picked, &first, &state).and_then(|r| r.parse(now));
    let created = match content {
        Ok(content) => state.app.log_incident(&actor, content, idempotency).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(Created::New(incident) | Created::Replayed(incident)) => Ok(views::see_other(&format!(
            "/incidents/{}",
            incident.reference
        ))),
        Err(
            e @ (AppError::Invalid { .. } | AppError::Forbidden(_) | AppError::Conflict { .. }),
        ) => {
            let error = match labels::field_message(&e) {
                Some((field, message)) => (form_field(&field), message),
                None => ("form".into(), labels::error_message(&e)),
            };
            let values = Values {
                form_id,
                title: field(&pairs, "title").into(),
                summary: field(&pairs, "summary").into(),
                source_channel: field(&pairs, "source_channel").into(),
                source_url: field(&pairs, "source_url").into(),
                discovered_at: field(&pairs, "discovered_at").into(),
                severity: field(&pairs, "severity").into(),
                category: field(&pairs, "category").into(),
                special_topic: field(&pairs, "special_topic").into(),
            };
            let status = actix_web::ResponseError::status_code(&e);
            render(
                &state,
                &signed,
                values,
                &picked,
                &first,
                Some(error),
                status,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
