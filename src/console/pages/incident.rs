//! The incident page: facts, both clocks, the timeline, every planned mail per recipient,
//! and the actions the signed-in role allows. Each form carries the version it was
//! rendered from: a concurrent change is reported, never overwritten.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::incidents::{self, Expected, NewReferral, StatusChange};
use crate::console::error::ConsoleError;
use crate::console::form::{Once, Posted};
use crate::console::labels;
use crate::console::present::{self, Choice, ClockCell};
use crate::console::session::Signed;
use crate::console::views;
use crate::domain::access::Actor;
use crate::domain::clock::{ClockKind, MilestoneInput};
use crate::domain::escalation::{EscalationStatus, Notification};
use crate::domain::ids::EscalationId;
use crate::domain::incident::{
    Category, Event, EventKind, Incident, IncidentPatch, Publication, ReferralAuthority, Severity,
    Status,
};
use crate::error::AppError;
use crate::http::AppState;
use crate::store::{DbConn, escalations, events, incidents as store};

#[derive(Serialize)]
struct TimelineEntry {
    at: String,
    actor: String,
    kind: &'static str,
    detail: String,
    note: Option<String>,
}

#[derive(Serialize)]
struct MailRow {
    step: String,
    clock: &'static str,
    recipient: String,
    unit: String,
    status: &'static str,
    status_label: &'static str,
    due: String,
    sent: Option<String>,
    late: bool,
    attempts: i32,
    error: Option<String>,
}

#[derive(Serialize)]
struct Facts {
    id: String,
    reference: String,
    title: String,
    summary: String,
    severity: &'static str,
    severity_label: &'static str,
    category_label: &'static str,
    topic_label: Option<&'static str>,
    channel_label: &'static str,
    source_url: Option<String>,
    discovered: String,
    reported_by: String,
    status: &'static str,
    status_label: &'static str,
    open: bool,
    units: String,
    dismissal_reason: Option<String>,
    publication: Option<PublicationView>,
    referrals: Vec<String>,
    duplicate_of: Option<String>,
    version: i64,
    updated: String,
    false_information: bool,
}

#[derive(Serialize)]
struct PublicationView {
    summary: String,
    channel: String,
    url: Option<String>,
    at: String,
}

/// A reminder the signed-in person received and has not acknowledged for its clock.
#[derive(Serialize)]
struct AckOffer {
    escalation: String,
    clock: &'static str,
    step: String,
}

/// For each running clock, the latest reminder sent to this person (contact id) that
/// they have not acknowledged yet for that clock.
fn ack_offers(
    conn: &mut crate::store::DbConn,
    incident: &Incident,
    mails: &[Notification],
    contact_id: &str,
) -> Result<Vec<AckOffer>, AppError> {
    let mut offers = Vec::new();
    for clock in present::current_clocks(&incident.clocks) {
        if !clock.state.is_running() {
            continue;
        }
        let latest = mails
            .iter()
            .filter(|n| n.clock_id.as_ref() == Some(&clock.id))
            .filter(|n| n.status == EscalationStatus::Sent)
            .filter(|n| n.recipient.contact_id == contact_id)
            .max_by_key(|n| n.due_at);
        if let Some(n) = latest
            && !escalations::has_acknowledged(conn, &clock.id, contact_id)?
        {
            offers.push(AckOffer {
                escalation: n.id.to_string(),
                clock: clock.kind.label_zh(),
                step: n.step.label_zh(),
            });
        }
    }
    Ok(offers)
}

/// An action refused: which form, and why (shown above that form).
#[derive(Serialize)]
struct FormError {
    form: &'static str,
    message: String,
}

#[derive(Serialize)]
struct IncidentPage {
    incident: Facts,
    /// Reminders sent to the signed-in person that they may acknowledge here.
    acks: Vec<AckOffer>,
    clocks: Vec<ClockCell>,
    timeline: Vec<TimelineEntry>,
    mails: Vec<MailRow>,
    /// Statuses the incident may move to next (closing and dismissing have own forms).
    next_statuses: Vec<Choice>,
    may_close: bool,
    may_dismiss: bool,
    severities: Vec<Choice>,
    categories: Vec<Choice>,
    authorities: Vec<Choice>,
    kinds: Vec<Choice>,
    conflict: bool,
    error: Option<FormError>,
}

fn event_label(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Created => "登记",
        EventKind::Updated => "修改",
        EventKind::StatusChanged => "状态变更",
        EventKind::ReferralRecorded => "记录移交",
        EventKind::ClocksStarted => "开始计时",
        EventKind::ClocksCancelled => "停止计时",
        EventKind::ClocksRetimed => "重新计时",
        EventKind::MilestoneRecorded => "记录完成节点",
        EventKind::Acknowledged => "确认知悉",
        EventKind::ClockAtRisk => "临近时限",
        EventKind::ClockBreached => "已超时",
    }
}

/// A stored value as people read it: enum values by their Chinese label, times local.
fn value_text(v: &Value, state: &AppState) -> String {
    match v {
        Value::Null => "（空）".into(),
        Value::String(s) => {
            if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
                return labels::local(t.with_timezone(&chrono::Utc), state.zone);
            }
            let known = s
                .parse::<Status>()
                .map(Status::label_zh)
                .or_else(|_| s.parse::<Severity>().map(Severity::label_zh))
                .or_else(|_| s.parse::<ClockKind>().map(ClockKind::label_zh))
                .or_else(|_| s.parse::<Category>().map(Category::label_zh))
                .or_else(|_| {
                    s.parse::<ReferralAuthority>()
                        .map(ReferralAuthority::label_zh)
                });
            known.map_or_else(|_| s.clone(), str::to_owned)
        }
        Value::Array(items) => items
            .iter()
            .map(|i| value_text(i, state))
            .collect::<Vec<_>>()
            .join("、"),
        Value::Object(map) => map
            .iter()
            .filter(|(k, _)| !k.ends_with("_id") && k.as_str() != "path")
            .map(|(k, v)| format!("{}：{}", labels::field_name(k), value_text(v, state)))
            .collect::<Vec<_>>()
            .join("；"),
        other => other.to_string(),
    }
}

/// What an event changed: `字段：前 → 后` for edits, the payload for the rest.
fn describe(e: &Event, state: &AppState) -> String {
    let Value::Object(map) = &e.changes else {
        return value_text(&e.changes, state);
    };
    let is_diff = !map.is_empty()
        && map
            .values()
            .all(|v| v.get("before").is_some() && v.get("after").is_some());
    if !is_diff {
        return value_text(&e.changes, state);
    }
    map.iter()
        .map(|(field, v)| {
            format!(
                "{}：{} → {}",
                labels::field_name(field),
                value_text(&v["before"], state),
                value_text(&v["after"], state)
            )
        })
        .collect::<Vec<_>>()
        .join("；")
}

fn mail_status(s: EscalationStatus) -> &'static str {
    match s {
        EscalationStatus::Pending => "待发送",
        EscalationStatus::Sending => "发送中",
        EscalationStatus::Sent => "已发送",
        EscalationStatus::Failed => "发送失败",
        EscalationStatus::Cancelled => "已取消",
        EscalationStatus::Superseded => "已由更高级提醒替代",
    }
}

fn facts(i: &Incident, state: &AppState) -> Facts {
    let zone = state.zone;
    Facts {
        id: i.id.to_string(),
        reference: i.reference.clone(),
        title: i.title.clone(),
        summary: i.summary.clone(),
        severity: i.severity.as_str(),
        severity_label: i.severity.label_zh(),
        category_label: i.category.label_zh(),
        topic_label: i.special_topic.map(|t| t.label_zh()),
        channel_label: i.source_channel.label_zh(),
        source_url: i.source_url.clone(),
        discovered: labels::local(i.discovered_at, zone),
        reported_by: i.reported_by.name.clone(),
        status: i.status.as_str(),
        status_label: i.status.label_zh(),
        open: i.status.is_open(),
        units: present::units(i),
        dismissal_reason: i.dismissal_reason.clone(),
        publication: i.publication.as_ref().map(|p| PublicationView {
            summary: p.summary.clone(),
            channel: p.channel.clone(),
            url: p.url.clone(),
            at: labels::local(p.published_at, zone),
        }),
        referrals: i
            .referrals
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r.authority.label_zh(),
                    labels::local(r.referred_at, zone)
                )
            })
            .collect(),
        duplicate_of: i.possible_duplicate_of.clone(),
        version: i.version,
        updated: labels::local(i.updated_at, zone),
        false_information: i.category == Category::FalseInformation,
    }
}

async fn render(
    state: &AppState,
    signed: &Signed,
    key: String,
    status: StatusCode,
    conflict: bool,
    error: Option<FormError>,
) -> Result<HttpResponse, ConsoleError> {
    let now = state.now();
    let contact = signed.session.contact_id.clone();
    let (incident, timeline, mails, acks) = state
        .store
        .run(move |conn| {
            let incident = store::load(conn, &key, now)?;
            let timeline = events::timeline(conn, &incident.id)?;
            let mails = escalations::for_incident(conn, &incident.id)?;
            let acks = match contact {
                Some(id) => ack_offers(conn, &incident, &mails, &id)?,
                None => Vec::new(),
            };
            Ok((incident, timeline, mails, acks))
        })
        .await?;
    signed
        .session
        .actor
        .require_any_in_scope(incident.unit_paths())?;
    let zone = state.zone;
    let clock_kind = |n: &Notification| {
        incident
            .clocks
            .iter()
            .find(|c| Some(&c.id) == n.clock_id.as_ref())
            .map_or("通报", |c| c.kind.label_zh())
    };
    let mails = mails
        .iter()
        .map(|n| MailRow {
            step: n.step.label_zh(),
            clock: clock_kind(n),
            recipient: n.recipient.name.clone(),
            unit: n.recipient.unit_code.clone(),
            status: n.status.as_str(),
            status_label: mail_status(n.status),
            due: labels::local(n.due_at, zone),
            sent: n.sent_at.map(|t| labels::local(t, zone)),
            late: n.late,
            attempts: n.attempts,
            error: n.last_error.clone(),
        })
        .collect();
    let timeline = timeline
        .iter()
        .rev()
        .map(|e| TimelineEntry {
            at: labels::local(e.at, zone),
            actor: e.actor.clone(),
            kind: event_label(e.kind),
            detail: describe(e, state),
            note: e.note.clone(),
        })
        .collect();
    let next = incident.status.next();
    let page = IncidentPage {
        acks,
        clocks: present::current_clocks(&incident.clocks)
            .into_iter()
            .map(|c| present::clock(&c.at(now), zone))
            .collect(),
        timeline,
        mails,
        next_statuses: present::options_of(
            next.iter()
                .copied()
                .filter(|s| !matches!(s, Status::Closed | Status::Dismissed)),
            None,
        ),
        may_close: next.contains(&Status::Closed),
        may_dismiss: next.contains(&Status::Dismissed),
        severities: present::options(Some(incident.severity)),
        categories: present::options(Some(incident.category)),
        authorities: present::options::<ReferralAuthority>(None),
        kinds: present::options::<ClockKind>(None),
        incident: facts(&incident, state),
        conflict,
        error,
    };
    let body = views::render("incident.html", &signed.chrome("incident"), page)?;
    Ok(views::html(status, body))
}

#[get("/incidents/{key}")]
async fn show(
    state: web::Data<AppState>,
    signed: Signed,
    key: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    render(
        &state,
        &signed,
        key.into_inner(),
        StatusCode::OK,
        false,
        None,
    )
    .await
}

/// After an action: back to the page (303), or the page again with why it was refused.
async fn outcome(
    state: &AppState,
    signed: &Signed,
    key: String,
    form: &'static str,
    result: Result<Incident, AppError>,
) -> Result<HttpResponse, ConsoleError> {
    match result {
        Ok(incident) => {
            state.wake.notify_one();
            Ok(views::see_other(&format!(
                "/incidents/{}",
                incident.reference
            )))
        }
        Err(e @ AppError::VersionMismatch { .. }) => {
            render(state, signed, key, e.status_code(), true, None).await
        }
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            let message = labels::error_message(&e);
            let error = FormError { form, message };
            render(state, signed, key, e.status_code(), false, Some(error)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Runs what a form does, once: a second submit of the same page's form records nothing
/// and shows the incident as it is.
fn once_only(
    conn: &mut DbConn,
    once: &Once,
    actor: &Actor,
    key: &str,
    now: DateTime<Utc>,
    change: impl FnOnce(&mut DbConn) -> Result<Incident, AppError>,
) -> Result<Incident, AppError> {
    if once.first(conn, &actor.id, now)? {
        change(conn)
    } else {
        store::load(conn, key, now)
    }
}

fn blank(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

fn expected(version: i64) -> Expected {
    Expected {
        version,
        precondition: false,
    }
}

#[derive(Deserialize)]
struct StatusForm {
    #[serde(default)]
    to: String,
    #[serde(default)]
    version: i64,
    note: Option<String>,
    reason: Option<String>,
    publication_summary: Option<String>,
    publication_channel: Option<String>,
    publication_url: Option<String>,
    published_at: Option<String>,
}

#[post("/incidents/{key}/status")]
async fn change_status(
    state: web::Data<AppState>,
    key: web::Path<String>,
    posted: Posted<StatusForm>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, form, once } = posted;
    signed.session.actor.require_incident_writer()?;
    let key = key.into_inner();
    let now = state.now();
    let zone = state.zone;
    let change = (|| {
        let to: Status = form
            .to
            .parse()
            .map_err(|e: String| AppError::invalid("status", e))?;
        let publication = if to == Status::Closed {
            let at = labels::parse_input_or(
                "publication.published_at",
                form.published_at.as_deref(),
                zone,
                now,
            )?;
            Some(Publication {
                summary: form.publication_summary.clone().unwrap_or_default(),
                channel: form.publication_channel.clone().unwrap_or_default(),
                url: blank(form.publication_url.clone()),
                published_at: at,
            })
        } else {
            None
        };
        Ok(StatusChange {
            to,
            reason: blank(form.reason.clone()),
            publication,
            note: blank(form.note.clone()),
        })
    })();
    let which = match form.to.as_str() {
        "closed" => "close",
        "dismissed" => "dismiss",
        _ => "status",
    };
    let result = match change {
        Ok(change) => {
            let (actor, k, version) = (signed.session.actor.clone(), key.clone(), form.version);
            state
                .store
                .write(move |conn| {
                    once_only(conn, &once, &actor, &k, now, |conn| {
                        incidents::change_status(conn, &actor, &k, expected(version), change, now)
                    })
                })
                .await
        }
        Err(e) => Err(e),
    };
    outcome(&state, &signed, key, which, result).await
}

#[derive(Deserialize)]
struct MilestoneForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    occurred_at: String,
    channel: Option<String>,
    url: Option<String>,
    venue: Option<String>,
    spokesperson: Option<String>,
    note: Option<String>,
}

#[post("/incidents/{key}/milestones")]
async fn milestone(
    state: web::Data<AppState>,
    key: web::Path<String>,
    posted: Posted<MilestoneForm>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, form, once } = posted;
    signed.session.actor.require_incident_writer()?;
    let key = key.into_inner();
    let now = state.now();
    let input = (|| {
        Ok(MilestoneInput {
            kind: form
                .kind
                .parse()
                .map_err(|e: String| AppError::invalid("kind", e))?,
            occurred_at: labels::parse_input_or(
                "occurred_at",
                Some(&form.occurred_at),
                state.zone,
                now,
            )?,
            channel: blank(form.channel),
            url: blank(form.url),
            venue: blank(form.venue),
            spokesperson: blank(form.spokesperson),
            note: blank(form.note),
        })
    })();
    let result = match input {
        Ok(input) => {
            let (actor, k) = (signed.session.actor.clone(), key.clone());
            state
                .store
                .write(move |conn| {
                    once_only(conn, &once, &actor, &k, now, |conn| {
                        incidents::record_milestone(conn, &actor, &k, input, now)
                    })
                })
                .await
        }
        Err(e) => Err(e),
    };
    outcome(&state, &signed, key, "milestone", result).await
}

#[derive(Deserialize)]
struct ReferralForm {
    #[serde(default)]
    authority: String,
    #[serde(default)]
    referred_at: String,
    their_reference: Option<String>,
    note: Option<String>,
}

#[post("/incidents/{key}/referrals")]
async fn referral(
    state: web::Data<AppState>,
    key: web::Path<String>,
    posted: Posted<ReferralForm>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, form, once } = posted;
    signed.session.actor.require_incident_writer()?;
    let key = key.into_inner();
    let now = state.now();
    let referral = (|| {
        Ok(NewReferral {
            authority: form
                .authority
                .parse()
                .map_err(|e: String| AppError::invalid("authority", e))?,
            referred_at: labels::parse_input_or(
                "referred_at",
                Some(&form.referred_at),
                state.zone,
                now,
            )?,
            their_reference: blank(form.their_reference),
            note: blank(form.note),
        })
    })();
    let result = match referral {
        Ok(referral) => {
            let (actor, k) = (signed.session.actor.clone(), key.clone());
            state
                .store
                .write(move |conn| {
                    once_only(conn, &once, &actor, &k, now, |conn| {
                        incidents::add_referral(conn, &actor, &k, referral, now)
                    })
                })
                .await
        }
        Err(e) => Err(e),
    };
    outcome(&state, &signed, key, "referral", result).await
}

#[derive(Deserialize)]
struct EditForm {
    #[serde(default)]
    version: i64,
    #[serde(default)]
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    category: String,
}

#[post("/incidents/{key}/edit")]
async fn edit(
    state: web::Data<AppState>,
    key: web::Path<String>,
    posted: Posted<EditForm>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, form, once } = posted;
    signed.session.actor.require_incident_writer()?;
    let key = key.into_inner();
    let now = state.now();
    let patch = (|| {
        Ok(IncidentPatch {
            title: Some(form.title.clone()),
            summary: Some(form.summary.clone()),
            severity: Some(
                form.severity
                    .parse()
                    .map_err(|e: String| AppError::invalid("severity", e))?,
            ),
            category: Some(
                form.category
                    .parse()
                    .map_err(|e: String| AppError::invalid("category", e))?,
            ),
            ..Default::default()
        })
    })();
    let result = match patch {
        Ok(patch) => {
            let (actor, k, planning) = (
                signed.session.actor.clone(),
                key.clone(),
                state.planning.clone(),
            );
            state
                .store
                .write(move |conn| {
                    once_only(conn, &once, &actor, &k, now, |conn| {
                        let version = expected(form.version);
                        incidents::update(conn, &actor, &k, version, patch, &planning, now)
                    })
                })
                .await
        }
        Err(e) => Err(e),
    };
    outcome(&state, &signed, key, "edit", result).await
}

#[derive(Deserialize)]
struct AckForm {
    #[serde(default)]
    escalation: String,
}

/// "确认已知悉" on the page, by the person the reminder went to (see `acknowledge_as`).
#[post("/incidents/{key}/acknowledge")]
async fn acknowledge(
    state: web::Data<AppState>,
    key: web::Path<String>,
    posted: Posted<AckForm>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, form, .. } = posted;
    let Some(contact) = signed.session.contact_id.clone() else {
        return Err(AppError::Forbidden(
            "this account is not linked to a directory contact".into(),
        )
        .into());
    };
    let key = key.into_inner();
    let (actor, now, k) = (signed.session.actor.clone(), state.now(), key.clone());
    let result = state
        .store
        .write(move |conn| {
            let incident = store::load(conn, &k, now)?;
            actor.require_any_in_scope(incident.unit_paths())?;
            let id = EscalationId::from(form.escalation.as_str());
            let account = (&actor, contact.as_str());
            crate::app::acknowledge::acknowledge_as(conn, &id, &incident.id, account, now)?;
            store::get(conn, &incident.id, now)
        })
        .await;
    outcome(&state, &signed, key, "ack", result).await
}
