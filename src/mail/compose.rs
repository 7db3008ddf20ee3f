//! Turns an escalation into a Chinese mail (text and HTML) with a deterministic
//! Message-ID, times in the office's zone, and a signed acknowledgement link.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use serde_json::json;

use super::links::LinkSigner;
use super::templates::{Rendered, Templates};
use crate::config::PublicUrl;
use crate::domain::clock::ClockView;
use crate::domain::escalation::{Lateness, Step};
use crate::domain::incident::Incident;
use crate::domain::report::ReportKind;
use crate::domain::time::local_time;

/// Everything one escalation mail says.
pub struct MailContext<'a> {
    pub escalation_id: &'a str,
    pub message_id: &'a str,
    pub step: &'a Step,
    pub recipient_name: &'a str,
    pub recipient_email: &'a str,
    pub incident: &'a Incident,
    pub clock: &'a ClockView,
    /// When the reminder was due.
    pub planned_at: DateTime<Utc>,
    pub lateness: Lateness,
    pub now: DateTime<Utc>,
}

pub struct Composer {
    templates: Arc<Templates>,
    from: Mailbox,
    public_url: PublicUrl,
    zone: Tz,
    signer: LinkSigner,
    ack_ttl: Duration,
}

/// "1小时5分", "12分钟", "不足1分钟". Under a minute the seconds are noise: a breach
/// mail sent at the deadline would otherwise say it is "0秒" overdue.
pub fn span_zh(d: Duration) -> String {
    let secs = d.num_seconds().abs();
    let (h, m) = (secs / 3600, secs % 3600 / 60);
    match (h, m) {
        (0, 0) => "不足1分钟".to_owned(),
        (0, m) => format!("{m}分钟"),
        (h, 0) => format!("{h}小时"),
        (h, m) => format!("{h}小时{m}分"),
    }
}

impl Composer {
    pub fn new(
        templates: Arc<Templates>,
        from: Mailbox,
        public_url: PublicUrl,
        zone: Tz,
        signer: LinkSigner,
        ack_ttl: Duration,
    ) -> Self {
        Self {
            templates,
            from,
            public_url,
            zone,
            signer,
            ack_ttl,
        }
    }

    /// The domain part of Message-IDs: the sender's domain.
    pub fn message_domain(from: &Mailbox) -> String {
        from.email.domain().to_owned()
    }

    fn ack_url(&self, escalation_id: &str, now: DateTime<Utc>) -> String {
        let expires = (now + self.ack_ttl).timestamp();
        let sig = self.signer.sign(escalation_id, expires);
        format!(
            "{}/ack/{escalation_id}?exp={expires}&sig={sig}",
            self.public_url.as_str()
        )
    }

    fn render(&self, c: &MailContext) -> Result<Rendered, minijinja::Error> {
        let (template, ctx) = self.context(c);
        self.templates.render(template, ctx)
    }

    /// The template folder a reminder uses and what its templates read.
    fn context(&self, c: &MailContext) -> (&'static str, serde_json::Value) {
        let i = c.incident;
        let units: Vec<&str> = i
            .responsible_units
            .iter()
            .map(|u| u.name.as_str())
            .collect();
        // The latest clock of each kind, nearest deadline first (the new-major notice
        // lists them; it is planned with a clock, so there is at least one).
        let mut latest: Vec<&ClockView> = Vec::new();
        for k in &i.clocks {
            match latest.iter_mut().find(|l| l.kind == k.kind) {
                Some(l) if l.started_at <= k.started_at => *l = k,
                Some(_) => {}
                None => latest.push(k),
            }
        }
        latest.sort_by(|a, b| (a.due_at, &a.kind).cmp(&(b.due_at, &b.kind)));
        let deadlines: Vec<_> = latest
            .iter()
            .map(|k| json!({ "label": k.label, "at": local_time(k.due_at, self.zone) }))
            .collect();
        let common = json!({
            "recipient_name": c.recipient_name,
            "reference": i.reference,
            "title": i.title,
            "summary": i.summary,
            "severity": i.severity.label_zh(),
            "source": format!("{} {}", i.source_channel.label_zh(), i.source_url.as_deref().unwrap_or("")).trim().to_owned(),
            "discovered_at": local_time(i.discovered_at, self.zone),
            "units": units.join("、"),
            "incident_url": format!("{}/incidents/{}", self.public_url.as_str(), i.reference),
            "ack_url": self.ack_url(c.escalation_id, c.now),
            "deadlines": deadlines,
        });
        match c.step {
            Step::NewMajor => ("new_major", common),
            _ => {
                let left = c.clock.due_at - c.now;
                let mut ctx = common;
                ctx["milestone"] = json!(c.clock.label);
                ctx["deadline"] = json!(local_time(c.clock.due_at, self.zone));
                ctx["overdue"] = json!(left < Duration::zero());
                ctx["remaining_text"] = json!(span_zh(left));
                ctx["overdue_text"] = json!(span_zh(left));
                ctx["missing"] = json!(c.clock.milestone.missing_zh());
                ctx["planned_at"] = json!(local_time(c.planned_at, self.zone));
                ctx["late_reason"] = json!(c.lateness.reason());
                let (mut since, mut failures, mut logged) = (String::new(), 0, String::new());
                match c.lateness {
                    Lateness::LoggedLate { logged_at, .. } => {
                        logged = local_time(logged_at, self.zone);
                    }
                    Lateness::SendFailed {
                        since: at,
                        failures: n,
                    } => {
                        since = local_time(at, self.zone);
                        failures = n;
                    }
                    Lateness::ServiceDown { since: at } => since = local_time(at, self.zone),
                    Lateness::OnTime => {}
                }
                ctx["late_since"] = json!(since);
                ctx["failed_attempts"] = json!(failures);
                ctx["logged_at"] = json!(logged);
                ("escalation", ctx)
            }
        }
    }

    /// A reminder as one channel's text (`chat.txt`, `sms.txt`, `robot.txt` beside the
    /// mail's templates), within `fits`: when it is longer, the title is shortened (with
    /// an ellipsis) until it fits; links and the rest never are.
    fn channel_text(
        &self,
        c: &MailContext,
        part: &str,
        fits: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        let (template, mut ctx) = self.context(c);
        let mut title: Vec<char> = c.incident.title.chars().collect();
        loop {
            let text = self
                .templates
                .render_part(template, part, &ctx)
                .map_err(|e| format!("rendering {template}/{part}: {e:#}"))?;
            if fits(&text) {
                return Ok(text);
            }
            if title.pop().is_none() {
                return Err(format!(
                    "{template}/{part} does not fit even without a title"
                ));
            }
            ctx["title"] = json!(format!("{}…", title.iter().collect::<String>()));
        }
    }

    /// The reminder as a 企业微信 message (`chat.txt`), within `max_bytes` of UTF-8.
    pub fn chat_text(&self, c: &MailContext, max_bytes: usize) -> Result<String, String> {
        self.channel_text(c, "chat.txt", |t| t.len() <= max_bytes)
    }

    /// The reminder as an SMS (`sms.txt`) within `max_chars` characters, and the
    /// variables a provider's SMS template takes (reference, step, deadline, link).
    pub fn sms_text(
        &self,
        c: &MailContext,
        max_chars: usize,
    ) -> Result<(String, serde_json::Value), String> {
        let text = self.channel_text(c, "sms.txt", |t| t.chars().count() <= max_chars)?;
        let params = json!({
            "reference": c.incident.reference,
            "step": c.step.label_zh(),
            "deadline": local_time(c.clock.due_at, self.zone),
            "link": self.ack_url(c.escalation_id, c.now),
        });
        Ok((text, params))
    }

    /// Reminders as one group message for a unit's robot: each reminder's subject and its
    /// incident page (no acknowledgement link: a group is nobody in particular), numbered
    /// when there are several, then the people it @s. As many as fit in `max_bytes`;
    /// returns the text and how many it lists (the rest go in the next message).
    pub fn robot_text(
        &self,
        reminders: &[MailContext],
        mentions: &str,
        max_bytes: usize,
    ) -> Result<(String, usize), String> {
        // Each reminder's own lines (`robot.txt`), its title shortened so that one fits
        // with the mentions.
        let mut lines: Vec<String> = Vec::new();
        for c in reminders {
            lines
                .push(self.channel_text(c, "robot.txt", |t| t.len() + mentions.len() < max_bytes)?);
        }
        let text = |n: usize| -> String {
            let body = if n == 1 {
                lines[0].clone()
            } else {
                let listed: Vec<String> = lines[..n]
                    .iter()
                    .enumerate()
                    .map(|(i, l)| format!("{}. {l}", i + 1))
                    .collect();
                format!("舆情提醒 {n} 条：\n{}", listed.join("\n"))
            };
            if mentions.is_empty() {
                body
            } else {
                format!("{body}\n{mentions}")
            }
        };
        let mut n = lines.len();
        while n > 0 && text(n).len() > max_bytes {
            n -= 1;
        }
        if n == 0 {
            return Err(format!("one reminder exceeds {max_bytes} bytes"));
        }
        Ok((text(n), n))
    }

    /// A test message's words: who it is for, on which channel, when it was sent, and
    /// that nothing needs doing.
    pub fn test_text(&self, recipient_name: &str, channel_zh: &str, now: DateTime<Utc>) -> String {
        format!(
            "【测试消息】舆情提醒系统：{recipient_name}，这是一条{channel_zh}测试消息（{}），收到即表示提醒可以经{channel_zh}送达，无需处理。{}",
            local_time(now, self.zone),
            self.public_url.as_str()
        )
    }

    /// The test message as a mail.
    pub fn compose_test(
        &self,
        recipient_name: &str,
        recipient_email: &str,
        message_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Message, String> {
        let text = self.test_text(recipient_name, "邮件", now);
        let html = format!("<p>{}</p>", minijinja::HtmlEscape(&text));
        let rendered = Rendered {
            subject: "【测试消息】舆情提醒系统".into(),
            text,
            html,
        };
        self.build(rendered, recipient_name, recipient_email, message_id)
    }

    pub fn compose(&self, c: &MailContext) -> Result<Message, String> {
        let rendered = self
            .render(c)
            .map_err(|e| format!("rendering the mail: {e:#}"))?;
        self.build(rendered, c.recipient_name, c.recipient_email, c.message_id)
    }

    /// A report (digest, summary) from the context planned with it.
    pub fn compose_report(
        &self,
        kind: ReportKind,
        recipient_name: &str,
        recipient_email: &str,
        message_id: &str,
        context: &str,
    ) -> Result<Message, String> {
        let mut ctx: serde_json::Value =
            serde_json::from_str(context).map_err(|e| format!("report context: {e}"))?;
        ctx["recipient_name"] = json!(recipient_name);
        let rendered = self
            .templates
            .render(kind.as_str(), ctx)
            .map_err(|e| format!("rendering the mail: {e:#}"))?;
        self.build(rendered, recipient_name, recipient_email, message_id)
    }

    fn build(
        &self,
        rendered: Rendered,
        recipient_name: &str,
        recipient_email: &str,
        message_id: &str,
    ) -> Result<Message, String> {
        let to: Mailbox = format!("{recipient_name} <{recipient_email}>")
            .parse()
            .or_else(|_| recipient_email.parse::<Mailbox>())
            .map_err(|e| format!("recipient address: {e}"))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject)
            .message_id(Some(message_id.to_owned()))
            .multipart(MultiPart::alternative_plain_html(
                rendered.text,
                rendered.html,
            ))
            .map_err(|e| format!("building the mail: {e}"))
    }

    pub fn zone(&self) -> Tz {
        self.zone
    }

    pub fn templates(&self) -> &Arc<Templates> {
        &self.templates
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::specimens;

    fn composer() -> Composer {
        let templates = Arc::new(Templates::new(None).unwrap());
        let from = "涉税舆情值班 <duty@example.org>".parse().unwrap();
        let url = PublicUrl::try_from("https://yq.example.org".to_owned()).unwrap();
        let signer = LinkSigner::new(b"specimen");
        let zone = chrono_tz::Asia::Shanghai;
        Composer::new(templates, from, url, zone, signer, Duration::hours(72))
    }

    fn parts(r: Rendered) -> String {
        format!(
            "subject: {}\n\n--- text ---\n{}\n--- html ---\n{}",
            r.subject, r.text, r.html
        )
    }

    /// What each mail says, as people read it: any change to the wording or the data
    /// shows up here for review.
    #[test]
    fn mails_read_as_reviewed() {
        let composer = composer();
        let incident = specimens::incident();
        for (name, step, now, lateness) in specimens::mails(&incident) {
            let rendered = composer
                .render(&specimens::context(&incident, &step, now, lateness))
                .unwrap();
            insta::assert_snapshot!(name, parts(rendered));
        }
        let report = |kind: ReportKind, context: serde_json::Value| {
            let mut ctx = context;
            ctx["recipient_name"] = json!("王局长");
            parts(composer.templates.render(kind.as_str(), ctx).unwrap())
        };
        let digest = serde_json::to_value(specimens::digest()).unwrap();
        insta::assert_snapshot!("daily_digest", report(ReportKind::DailyDigest, digest));
        let summary = serde_json::to_value(specimens::summary()).unwrap();
        insta::assert_snapshot!("weekly_summary", report(ReportKind::WeeklySummary, summary));
    }

    /// Each channel's text of every specimen reminder, with the longest title an incident
    /// may have (CJK: three bytes a character), stays within the vendor's limit, the
    /// title shortened and the links whole.
    #[test]
    fn channel_texts_keep_within_the_vendors_limits() {
        let composer = composer();
        let mut incident = specimens::incident();
        incident.title = "网传某地个税汇算退税被暂停"
            .repeat(20)
            .chars()
            .take(crate::domain::incident::TITLE_MAX)
            .collect();
        assert_eq!(
            incident.title.chars().count(),
            crate::domain::incident::TITLE_MAX
        );
        for (name, step, now, lateness) in specimens::mails(&incident) {
            let c = specimens::context(&incident, &step, now, lateness);
            let link = composer.ack_url(c.escalation_id, c.now);
            let chat = composer
                .chat_text(&c, crate::notify::WECOM_TEXT_MAX_BYTES)
                .unwrap();
            assert!(chat.len() <= 2048, "{name}: {} bytes", chat.len());
            assert!(chat.ends_with(&link), "{name}: {chat}");
            let (sms, params) = composer.sms_text(&c, 300).unwrap();
            assert!(
                sms.chars().count() <= 300,
                "{name}: {} characters",
                sms.chars().count()
            );
            assert!(sms.ends_with(&link) && sms.contains('…'), "{name}: {sms}");
            assert_eq!(params["link"], json!(link));
            let (robot, listed) = composer.robot_text(&[c], "@13800138000", 2048).unwrap();
            assert_eq!(listed, 1);
            assert!(
                robot.len() <= 2048 && robot.ends_with("@13800138000"),
                "{name}: {robot}"
            );
        }
        // Several reminders in one robot message: as many as fit, numbered.
        let many: Vec<_> = specimens::mails(&incident)
            .into_iter()
            .map(|(_, step, now, lateness)| (step, now, lateness))
            .collect();
        let contexts: Vec<_> = many
            .iter()
            .map(|(step, now, lateness)| specimens::context(&incident, step, *now, *lateness))
            .collect();
        let (text, listed) = composer.robot_text(&contexts, "", 4096).unwrap();
        assert!(text.len() <= 4096 && listed >= 2, "{listed}: {text}");
        assert!(text.starts_with(&format!("舆情提醒 {listed} 条")), "{text}");
    }

    #[test]
    fn every_specimen_renders_with_the_built_in_templates() {
        specimens::check(&composer()).unwrap();
    }

    #[test]
    fn spans_read_in_hours_and_minutes() {
        let span = |s: i64| span_zh(Duration::seconds(s));
        assert_eq!(span(0), "不足1分钟");
        assert_eq!(span(-59), "不足1分钟");
        assert_eq!(span(60), "1分钟");
        assert_eq!(span(3600), "1小时");
        assert_eq!(span(-3900), "1小时5分");
    }
}
