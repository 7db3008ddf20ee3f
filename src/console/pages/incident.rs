//! The incident page: facts, both clocks, the timeline, every planned mail per recipient,
//! and the actions the signed-in role allows. Each form carries the version it was
//! rendered from: a concurrent change is reported, never overwritten.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, get, post, web};
use serde::{Deserialize, Serialize};

use crate::app::incidents::{Expected, IncidentFile, NewReferral, StatusChange};
use crate::console::error::ConsoleError;
use crate::console::form::Posted;
use crate::console::labels;
use crate::console::present::{self, Choice, ClockCell};
use crate::console::session::Signed;
use crate::console::timeline::Reader;
use crate::console::views;
use crate::domain::clock::{
    ClockKind, ClockRules, MilestoneForm, MilestoneInput, ResponseType, StopReason,
};
use crate::domain::escalation::{EscalationStatus, Notification};
use crate::domain::ids::{ClockId, ContactId, EscalationId};
use crate::domain::incident::{
    Category, Event, Incident, IncidentPatch, Publication, ReferralAuthority, Status,
};
use crate::domain::timeline::Change;
use crate::error::AppError;
use crate::rule::Rule;
use crate::web::AppState;

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
    clock: String,
    recipient: String,
    /// 邮件 or 企业微信.
    channel: &'static str,
    unit: String,
    status: &'static str,
    status_label: &'static str,
    due: String,
    /// A delayed method of the person's rule: 未确认 10 分钟后.
    after: Option<String>,
    /// Held by the office's quiet hours: 按免打扰时段顺延至 07:00.
    held: Option<String>,
    sent: Option<String>,
    /// How long after it was planned it went, when a minute or more: 3分钟.
    sent_after: Option<String>,
    late: bool,
    attempts: i32,
    /// Why sending failed (or will be tried again).
    error: Option<String>,
    /// Why a cancelled reminder was withdrawn.
    withdrawn: Option<String>,
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
    clock: String,
    step: String,
}

/// For each clock of an open incident, the latest reminder sent to this person (contact
/// id) that they have not acknowledged yet for that clock.
fn ack_offers(
    incident: &Incident,
    mails: &[Notification],
    contact_id: &ContactId,
    acknowledged: &[ClockId],
) -> Vec<AckOffer> {
    let mut offers = Vec::new();
    if !incident.status.is_open() {
        return offers;
    }
    // A clock met before the person read the mail still has a reminder they were sent:
    // they may say they have seen it.
    for clock in present::current_clocks(&incident.clocks) {
        let latest = mails
            .iter()
            .filter(|n| n.clock_id.as_ref() == Some(&clock.id))
            .filter(|n| n.status == EscalationStatus::Sent)
            .filter(|n| n.recipient.contact_id == *contact_id)
            .max_by_key(|n| n.due_at);
        if let Some(n) = latest
            && !acknowledged.contains(&clock.id)
        {
            offers.push(AckOffer {
                escalation: n.id.to_string(),
                clock: clock.label.clone(),
                step: n.step.label_zh(),
            });
        }
    }
    offers
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
    /// What the last action did, said once after its redirect.
    done: Option<String>,
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
    milestones: MilestoneLabels,
    /// Briefings sent to the parent unit, newest first.
    briefings: Vec<super::briefing_view::BriefingView>,
    /// Whether a briefing may be written now (not on a dismissed incident).
    may_brief: bool,
    response_types: Vec<Choice>,
    conflict: bool,
    error: Option<FormError>,
}

/// The milestone form's wording: every kind it records, and which kinds each group of
/// evidence fields is for.
#[derive(Serialize)]
struct MilestoneLabels {
    all: String,
    publication: String,
    meeting: String,
    response: String,
    /// The kinds whose evidence includes a link.
    linked: String,
    /// The incident's running clocks that recur until a release is marked final.
    recurring: String,
}

/// A kind the milestone form offers: its key, label and evidence form.
struct Offered<'a> {
    kind: &'a ClockKind,
    label: &'a str,
    form: MilestoneForm,
}

/// The kinds the milestone form offers: those of the incident's clocks (nearest deadline
/// first), else every configured kind; never a briefing's (it has its own form).
fn offered_kinds<'a>(incident: &'a Incident, rules: &'a ClockRules) -> Vec<Offered<'a>> {
    let mut offered = every_offered_kind(incident, rules);
    offered.retain(|o| o.form != MilestoneForm::Briefing);
    offered
}

fn every_offered_kind<'a>(incident: &'a Incident, rules: &'a ClockRules) -> Vec<Offered<'a>> {
    let current = present::current_clocks(&incident.clocks);
    if current.is_empty() {
        rules
            .kinds()
            .into_iter()
            .map(|(kind, p)| Offered {
                kind,
                label: &p.label,
                form: p.milestone,
            })
            .collect()
    } else {
        current
            .into_iter()
            .map(|c| Offered {
                kind: &c.kind,
                label: &c.label,
                form: c.milestone,
            })
            .collect()
    }
}

/// The wording follows the kinds the form offers: a major incident's form does not ask
/// how a 48-hour response was given.
fn milestone_labels(rules: &ClockRules, incident: &Incident) -> MilestoneLabels {
    let offered = offered_kinds(incident, rules);
    let of = |forms: &[MilestoneForm]| {
        offered
            .iter()
            .filter(|o| forms.is_empty() || forms.contains(&o.form))
            .map(|o| o.label)
            .collect::<Vec<_>>()
    };
    MilestoneLabels {
        all: of(&[]).join(" / "),
        publication: of(&[MilestoneForm::Publication]).join("、"),
        meeting: of(&[MilestoneForm::Meeting]).join("、"),
        response: of(&[MilestoneForm::Response]).join("、"),
        linked: of(&[MilestoneForm::Publication, MilestoneForm::Response]).join("、"),
        recurring: incident
            .clocks
            .iter()
            .filter(|c| c.state.is_running())
            .filter(|c| rules.policy(&c.kind).is_some_and(|p| p.recurs))
            .map(|c| c.label.as_str())
            .collect::<Vec<_>>()
            .join("、"),
    }
}

/// The milestone form's choices (`offered_kinds`): the first not yet recorded is
/// preselected, and those already recorded say so (recording one again is allowed: a
/// correction).
fn milestone_choices(incident: &Incident, timeline: &[Event], rules: &ClockRules) -> Vec<Choice> {
    let recorded: Vec<ClockKind> = timeline
        .iter()
        .filter_map(|e| match Change::read(e.kind, &e.changes) {
            Some(Change::MilestoneRecorded(m)) => Some(m.kind),
            _ => None,
        })
        .collect();
    let offered = offered_kinds(incident, rules);
    let next = offered
        .iter()
        .map(|o| o.kind)
        .find(|k| !recorded.contains(k));
    offered
        .iter()
        .map(|o| Choice {
            selected: next == Some(o.kind),
            value: o.kind.to_string(),
            label: if recorded.contains(o.kind) {
                format!("{}（已记录）", o.label)
            } else {
                o.label.to_owned()
            },
        })
        .collect()
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
    let zone = state.zone();
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

/// What the page says above its content.
enum Say {
    Nothing,
    /// An action just succeeded (`?done=` after the redirect).
    Done(Done),
    /// Someone else changed the incident first.
    Conflict,
    /// A form was refused: shown beside that form.
    Refused(FormError),
}

/// Actions the page confirms after its redirect, by their `?done=` key.
#[derive(Clone)]
enum Done {
    /// A milestone of this kind was recorded.
    Milestone(ClockKind),
    Status,
    Referral,
    Edit,
    Ack,
}

impl Done {
    fn key(&self) -> String {
        match self {
            Self::Milestone(kind) => format!("milestone-{kind}"),
            Self::Status => "status".into(),
            Self::Referral => "referral".into(),
            Self::Edit => "edit".into(),
            Self::Ack => "ack".into(),
        }
    }

    fn parse(key: &str) -> Option<Self> {
        if let Some(kind) = key.strip_prefix("milestone-") {
            return ClockKind::parse(kind).ok().map(Self::Milestone);
        }
        [Self::Status, Self::Referral, Self::Edit, Self::Ack]
            .into_iter()
            .find(|d| d.key() == key)
    }

    /// The sentence, read against the incident as it is now.
    fn said(&self, incident: &Incident, rules: &ClockRules) -> String {
        match self {
            Self::Milestone(kind) => format!("已记录{}。", rules.label(kind)),
            Self::Status => format!("已将状态改为「{}」。", incident.status.label_zh()),
            Self::Referral => "已记录移交。".into(),
            Self::Edit => "已保存修改。".into(),
            Self::Ack => "已确认知悉，此后的重复提醒不再发给您。".into(),
        }
    }
}

async fn render(
    state: &AppState,
    signed: &Signed,
    key: String,
    status: StatusCode,
    say: Say,
) -> Result<HttpResponse, ConsoleError> {
    let now = state.now();
    let contact = signed.session.contact_id.clone();
    let IncidentFile {
        incident,
        timeline,
        notifications: mails,
        acknowledged,
        units,
        briefings,
    } = state
        .app
        .incident_file(&signed.session.actor, key, contact.clone())
        .await?;
    let acks = match &contact {
        Some(id) => ack_offers(&incident, &mails, id, &acknowledged),
        None => Vec::new(),
    };
    // Timeline entries and reminders name units that may no longer be responsible (or
    // active): all units, by code.
    let unit_names: HashMap<String, String> = units
        .into_iter()
        .map(|u| (u.code.into_string(), u.name.into_string()))
        .collect();
    let rules = state.app.clock_rules();
    let reader = Reader {
        units: &unit_names,
        zone: state.zone(),
        clocks: rules,
    };
    let zone = state.zone();
    let clock_kind = |n: &Notification| {
        incident
            .clocks
            .iter()
            .find(|c| Some(&c.id) == n.clock_id.as_ref())
            .map_or_else(|| "通报".to_owned(), |c| c.label.clone())
    };
    let mails = mails
        .iter()
        .map(|n| MailRow {
            step: n.step.label_zh(),
            clock: clock_kind(n),
            recipient: n.recipient.name.clone(),
            channel: n.channel.label_zh(),
            unit: unit_names
                .get(&n.recipient.unit_code)
                .cloned()
                .unwrap_or_else(|| n.recipient.unit_code.clone()),
            status: n.status.as_str(),
            status_label: mail_status(n.status),
            due: labels::local(n.due_at, zone),
            held: n.held_from.map(|_| {
                format!(
                    "按免打扰时段顺延至 {}",
                    n.due_at.with_timezone(&zone).format("%H:%M")
                )
            }),
            after: (n.after_minutes > 0)
                .then(|| format!("到期{}分钟后仍未确认时", n.after_minutes)),
            sent: n.sent_at.map(|t| labels::local(t, zone)),
            sent_after: n
                .sent_at
                .map(|t| t - n.due_at)
                .filter(|d| *d >= chrono::Duration::minutes(1))
                .map(|d| format!("{}分钟", d.num_minutes())),
            late: n.late,
            attempts: n.attempts,
            error: n
                .last_error
                .clone()
                .filter(|_| n.status != EscalationStatus::Cancelled),
            withdrawn: n
                .last_error
                .as_deref()
                .filter(|_| n.status == EscalationStatus::Cancelled)
                .map(|r| StopReason::describe(r, rules)),
        })
        .collect();
    let timeline_events = timeline;
    let timeline = timeline_events
        .iter()
        .rev()
        .map(|e| TimelineEntry {
            at: labels::local(e.at, zone),
            actor: e.actor.clone(),
            kind: Reader::headline(e.kind),
            detail: reader.detail(e),
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
        kinds: milestone_choices(&incident, &timeline_events, rules),
        milestones: milestone_labels(rules, &incident),
        briefings: super::briefing_view::views_of(&briefings, zone),
        may_brief: incident.status != Status::Dismissed,
        response_types: present::options::<ResponseType>(None),
        done: match &say {
            Say::Done(done) => Some(done.said(&incident, rules)),
            _ => None,
        },
        conflict: matches!(say, Say::Conflict),
        error: match say {
            Say::Refused(error) => Some(error),
            _ => None,
        },
        incident: facts(&incident, state),
    };
    let body = views::render("incident.html", &signed.chrome("incident"), page)?;
    Ok(views::html(status, body))
}

#[derive(Deserialize)]
struct ShowQuery {
    #[serde(default)]
    done: String,
}

#[get("/incidents/{key}")]
async fn show(
    state: web::Data<AppState>,
    signed: Signed,
    key: web::Path<String>,
    q: web::Query<ShowQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let say = Done::parse(&q.done).map_or(Say::Nothing, Say::Done);
    render(&state, &signed, key.into_inner(), StatusCode::OK, say).await
}

/// After an action: back to the page (303), or the page again with why it was refused.
async fn outcome(
    state: &AppState,
    signed: &Signed,
    key: String,
    form: &'static str,
    done: Done,
    result: Result<Incident, AppError>,
) -> Result<HttpResponse, ConsoleError> {
    match result {
        Ok(incident) => Ok(views::see_other(&format!(
            "/incidents/{}?done={}",
            incident.reference,
            done.key()
        ))),
        Err(e @ AppError::VersionMismatch { .. }) => {
            render(state, signed, key, e.status_code(), Say::Conflict).await
        }
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            let message = labels::error_message(&e);
            let error = FormError { form, message };
            render(state, signed, key, e.status_code(), Say::Refused(error)).await
        }
        Err(e) => Err(e.into()),
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
    let zone = state.zone();
    let change = (|| {
        let to: Status = form
            .to
            .parse()
            .map_err(|e: Rule| AppError::invalid("status", e))?;
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
            let expected = expected(form.version);
            state
                .app
                .change_status(&signed.session.actor, key.clone(), expected, change, once)
                .await
        }
        Err(e) => Err(e),
    };
    outcome(&state, &signed, key, which, Done::Status, result).await
}

#[derive(Deserialize)]
struct MilestoneFields {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    occurred_at: String,
    channel: Option<String>,
    url: Option<String>,
    response_type: Option<String>,
    venue: Option<String>,
    spokesperson: Option<String>,
    note: Option<String>,
    /// The checkbox's "on".
    #[serde(rename = "final")]
    is_final: Option<String>,
}

#[post("/incidents/{key}/milestones")]
async fn milestone(
    state: web::Data<AppState>,
    key: web::Path<String>,
    posted: Posted<MilestoneFields>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, form, once } = posted;
    signed.session.actor.require_incident_writer()?;
    let key = key.into_inner();
    let now = state.now();
    let done = Done::Milestone(ClockKind::stored(form.kind.clone()));
    let input = (|| {
        Ok(MilestoneInput {
            kind: form
                .kind
                .parse()
                .map_err(|e: Rule| AppError::invalid("kind", e))?,
            occurred_at: labels::parse_input_or(
                "occurred_at",
                Some(&form.occurred_at),
                state.zone(),
                now,
            )?,
            channel: blank(form.channel),
            url: blank(form.url),
            response_type: blank(form.response_type)
                .map(|t| {
                    t.parse()
                        .map_err(|e: Rule| AppError::invalid("response_type", e))
                })
                .transpose()?,
            venue: blank(form.venue),
            spokesperson: blank(form.spokesperson),
            note: blank(form.note),
            is_final: blank(form.is_final).is_some(),
        })
    })();
    let result = match input {
        Ok(input) => {
            state
                .app
                .record_milestone(&signed.session.actor, key.clone(), input, once)
                .await
        }
        Err(e) => Err(e),
    };
    outcome(&state, &signed, key, "milestone", done, result).await
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
                .map_err(|e: Rule| AppError::invalid("authority", e))?,
            referred_at: labels::parse_input_or(
                "referred_at",
                Some(&form.referred_at),
                state.zone(),
                now,
            )?,
            their_reference: blank(form.their_reference),
            note: blank(form.note),
        })
    })();
    let result = match referral {
        Ok(referral) => {
            state
                .app
                .add_referral(&signed.session.actor, key.clone(), referral, once)
                .await
        }
        Err(e) => Err(e),
    };
    outcome(&state, &signed, key, "referral", Done::Referral, result).await
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
    let patch = (|| {
        Ok(IncidentPatch {
            title: Some(form.title.clone()),
            summary: Some(form.summary.clone()),
            severity: Some(
                form.severity
                    .parse()
                    .map_err(|e: Rule| AppError::invalid("severity", e))?,
            ),
            category: Some(
                form.category
                    .parse()
                    .map_err(|e: Rule| AppError::invalid("category", e))?,
            ),
            ..Default::default()
        })
    })();
    let result = match patch {
        Ok(patch) => {
            let version = expected(form.version);
            state
                .app
                .update_incident(&signed.session.actor, key.clone(), version, patch, once)
                .await
        }
        Err(e) => Err(e),
    };
    outcome(&state, &signed, key, "edit", Done::Edit, result).await
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
    let id = EscalationId::from(form.escalation.as_str());
    let result = state
        .app
        .acknowledge_as(&signed.session.actor, contact, id, key.clone())
        .await;
    outcome(&state, &signed, key, "ack", Done::Ack, result).await
}
