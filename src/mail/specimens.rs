//! A specimen of every mail and page, rendered at start-up so a broken or misspelt
//! override template stops the service instead of a send, and snapshot-tested.

use chrono::{DateTime, Duration, Utc};

use super::compose::{Composer, MailContext};
use super::pages::{AckConfirm, AckDone, AckInvalid};
use crate::domain::clock::{ClockKind, ClockState, ClockView, MilestoneForm};
use crate::domain::escalation::{Lateness, Step};
use crate::domain::incident::{
    Category, Incident, ReportedBy, ResponsibleUnit, Severity, SourceChannel, Status,
};
use crate::domain::report::{Digest, DigestClock, DigestIncident, Summary, Tally};

/// 2026-11-22 09:00 in Shanghai.
fn discovered() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_309_200, 0).unwrap_or_default()
}

fn clock(kind: &str, label: &str, milestone: MilestoneForm, hours: i64) -> ClockView {
    let due_at = discovered() + Duration::hours(hours);
    ClockView {
        id: format!("clock-{kind}").into(),
        kind: ClockKind::stored(kind.into()),
        label: label.into(),
        milestone,
        state: ClockState::Running,
        started_at: discovered(),
        due_at,
        remaining_seconds: 0,
        stopped_at: None,
        stop_reason: None,
        next_escalation: None,
        at_risk_at: due_at - Duration::hours(2),
    }
}

pub fn incident() -> Incident {
    Incident {
        id: "00000000-0000-4000-8000-000000000001".into(),
        reference: "YQ-2026-000123".into(),
        title: "网传某地个税汇算退税被暂停".into(),
        summary: "微博用户称办理个税汇算后退税被无故暂停，转发量快速上升。".into(),
        source_channel: SourceChannel::Weibo,
        source_url: Some("https://weibo.example/post/1".into()),
        discovered_at: discovered(),
        reported_by: ReportedBy {
            id: "token".into(),
            name: "值班室".into(),
        },
        severity: Severity::Major,
        category: Category::Misunderstanding,
        special_topic: None,
        responsible_units: vec![ResponsibleUnit {
            code: "440106".into(),
            name: "天河区税务局".into(),
            first_responsible: true,
            path: "/4401/440106/".into(),
        }],
        status: Status::Reported,
        dismissal_reason: None,
        publication: None,
        referrals: vec![],
        clocks: vec![
            clock(
                "authoritative_statement",
                "发布权威信息",
                MilestoneForm::Publication,
                5,
            ),
            clock(
                "press_conference",
                "举行新闻发布会",
                MilestoneForm::Meeting,
                24,
            ),
        ],
        possible_duplicate_of: None,
        version: 1,
        created_at: discovered(),
        updated_at: discovered(),
    }
}

/// Each kind of clock mail: the new-major notice, a reminder before the deadline, and
/// the breach mail sent late for each reason a mail can be late.
pub fn mails(incident: &Incident) -> Vec<(&'static str, Step, DateTime<Utc>, Lateness)> {
    let due = incident.clocks[0].due_at;
    let breach = Step::Ladder {
        at_minutes: 0,
        place: 2,
    };
    let late = due + Duration::minutes(12);
    vec![
        ("new_major", Step::NewMajor, discovered(), Lateness::OnTime),
        (
            "before_30m",
            Step::Ladder {
                at_minutes: -30,
                place: 1,
            },
            due - Duration::minutes(30),
            Lateness::OnTime,
        ),
        (
            "breach_logged_late",
            breach.clone(),
            late,
            Lateness::LoggedLate {
                discovered_at: discovered(),
                logged_at: late,
            },
        ),
        (
            "breach_send_failed",
            breach.clone(),
            late,
            Lateness::SendFailed {
                since: due,
                failures: 3,
            },
        ),
        (
            "breach_service_down",
            breach,
            late,
            Lateness::ServiceDown { since: due },
        ),
    ]
}

pub fn digest() -> Digest {
    Digest {
        date: "2026年11月22日".into(),
        as_of: "2026年11月22日 08:30".into(),
        unit: "天河区税务局".into(),
        incidents: vec![DigestIncident {
            reference: "YQ-2026-000123".into(),
            title: "网传某地个税汇算退税被暂停".into(),
            severity: Severity::Major.label_zh().into(),
            status: Status::Reported.label_zh().into(),
            clocks: vec![DigestClock {
                milestone: "发布权威信息".into(),
                state: ClockState::Breached.label_zh().into(),
                // Discovered at 22:00 the evening before: breached at 03:00, before the digest.
                deadline: "2026年11月22日 03:00".into(),
                breached: true,
            }],
        }],
        breached: 1,
    }
}

pub fn summary() -> Summary {
    let mut t = Tally::default();
    // Every column has something to show: the text and HTML totals must agree.
    for state in [
        crate::domain::clock::StoredState::Met,
        crate::domain::clock::StoredState::Met,
        crate::domain::clock::StoredState::MetLate,
        crate::domain::clock::StoredState::Running,
        crate::domain::clock::StoredState::Cancelled,
    ] {
        t.count(state);
    }
    Summary {
        period: "2026-W47".into(),
        from: "2026年11月16日 09:00".into(),
        to: "2026年11月23日 09:00".into(),
        unit: "广州市税务局".into(),
        rows: vec![t.row("天河区税务局")],
        total: t.row("合计"),
    }
}

pub fn ack_confirm() -> AckConfirm {
    AckConfirm {
        name: "王局长".into(),
        reference: "YQ-2026-000123".into(),
        title: "网传某地个税汇算退税被暂停".into(),
        action: "/ack/e1".into(),
        exp: 1_795_568_400,
        sig: "0f".into(),
    }
}

pub fn ack_done() -> AckDone {
    AckDone {
        name: "王局长".into(),
        reference: "YQ-2026-000123".into(),
        first_time: false,
        closed: None,
    }
}

/// Renders every specimen; the first failure names the template.
pub fn check(composer: &Composer) -> Result<(), String> {
    let incident = incident();
    for (name, step, now, lateness) in mails(&incident) {
        let c = context(&incident, &step, now, lateness);
        composer
            .compose(&c)
            .map_err(|e| format!("mail template ({name}): {e}"))?;
        // The other channels' wording of the same reminder (limits far from binding).
        composer
            .chat_text(&c, 1 << 16)
            .and_then(|_| composer.sms_text(&c, 1 << 16))
            .and_then(|_| composer.robot_text(&[c], "", 1 << 16))
            .map_err(|e| format!("channel template ({name}): {e}"))?;
    }
    for (kind, ctx) in [
        (
            crate::domain::report::ReportKind::DailyDigest,
            serde_json::to_string(&digest()),
        ),
        (
            crate::domain::report::ReportKind::WeeklySummary,
            serde_json::to_string(&summary()),
        ),
    ] {
        let ctx = ctx.map_err(|e| e.to_string())?;
        composer
            .compose_report(kind, "王局长", "wang@example.org", "<m@example.org>", &ctx)
            .map_err(|e| format!("mail template ({kind}): {e}"))?;
    }
    let pages = composer.templates();
    pages
        .render_page("ack_confirm", ack_confirm())
        .and_then(|_| pages.render_page("ack_done", ack_done()))
        .and_then(|_| pages.render_page("ack_invalid", AckInvalid {}))
        .map_err(|e| format!("page template: {e:#}"))?;
    Ok(())
}

/// The mail context of a specimen clock mail.
pub fn context<'a>(
    incident: &'a Incident,
    step: &'a Step,
    now: DateTime<Utc>,
    lateness: Lateness,
) -> MailContext<'a> {
    MailContext {
        escalation_id: "e1",
        message_id: "<e1@example.org>",
        step,
        recipient_name: "王局长",
        recipient_email: "wang@example.org",
        incident,
        clock: &incident.clocks[0],
        planned_at: match lateness {
            Lateness::OnTime => now,
            _ => incident.clocks[0].due_at,
        },
        lateness,
        now,
    }
}
