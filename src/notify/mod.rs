//! Sending one planned escalation on its channel. The engine claims, leases and records
//! (`engine`); a channel composes the message for its medium (`Channels::compose`),
//! sends it (`Channels::send`) and says whether a failure may pass: e-mail (`email.rs`),
//! 企业微信 application messages (`wecom.rs`) and SMS through an HTTP gateway
//! (`sms.rs`); another is one more module and one more arm in each.

mod email;
mod robot;
mod sms;
mod wecom;

pub use email::Email;
pub use robot::{PER_MINUTE as ROBOT_PER_MINUTE, Robots, dingtalk_sign, feishu_sign};
pub use sms::Sms;

pub use wecom::{TEXT_MAX_BYTES as WECOM_TEXT_MAX_BYTES, Wecom};

use chrono::{DateTime, Utc};

use crate::domain::clock::ClockView;
use crate::domain::escalation::{AddressLimits, Channel, Lateness, RateLimit, Step};
use crate::domain::incident::Incident;
use crate::domain::report::ReportKind;

/// Why a send failed, and whether trying again may help.
#[derive(Debug, Clone)]
pub enum SendError {
    /// The channel may take it later (a refused connection, a time-out, a 4xx reply):
    /// retry with backoff.
    Transient(String),
    /// It will never go through as it is (a 5xx reply, a message that cannot be
    /// composed): recorded as failed with this text.
    Permanent(String),
}

/// A client for a vendor's HTTP API, every request bounded by `timeout_seconds`.
fn http_client(vendor: &str, timeout_seconds: u64) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(timeout_seconds))
        .build()
        .map_err(|e| format!("{vendor} client: {e}"))
}

/// A request that got no answer (refused, timed out): later. Said without its URL, which
/// may carry a key or secret.
fn no_answer(vendor: &str, e: reqwest::Error) -> SendError {
    SendError::Transient(format!("{vendor} unreachable: {}", e.without_url()))
}

/// A channel turned off (`channels.<name>.enabled = false`), perhaps after a message on
/// it was planned.
fn not_configured(what: &str) -> SendError {
    SendError::Permanent(format!("{what} is not configured"))
}

/// What a message is about.
pub enum About<'a> {
    /// A clock's reminder, or the new-major notice.
    Reminder {
        incident: &'a Incident,
        clock: &'a ClockView,
        /// When it was due.
        planned_at: DateTime<Utc>,
        lateness: Lateness,
        now: DateTime<Utc>,
    },
    /// A report (digest, summary), from the contents planned with it (JSON).
    Report { kind: ReportKind, context: &'a str },
}

/// One planned message: to whom, on which channel and address, about what.
pub struct Outgoing<'a> {
    pub escalation_id: &'a str,
    /// The id the message carries on its channel (for e-mail, the Message-ID).
    pub message_id: &'a str,
    pub step: &'a Step,
    pub recipient_name: &'a str,
    pub channel: Channel,
    pub address: &'a str,
    pub about: About<'a>,
}

impl Outgoing<'_> {
    /// What a reminder says, for the composer; None for a report.
    pub fn reminder(&self) -> Option<crate::mail::MailContext<'_>> {
        let About::Reminder {
            incident,
            clock,
            planned_at,
            lateness,
            now,
        } = &self.about
        else {
            return None;
        };
        Some(crate::mail::MailContext {
            escalation_id: self.escalation_id,
            message_id: self.message_id,
            step: self.step,
            recipient_name: self.recipient_name,
            recipient_email: self.address,
            incident,
            clock,
            planned_at: *planned_at,
            lateness: *lateness,
            now: *now,
        })
    }
}

/// Where a test message goes: a person's method, or a unit's robot.
pub enum TestTo<'a> {
    Person {
        channel: Channel,
        name: &'a str,
        address: &'a str,
    },
    Robot {
        target: &'a crate::domain::robot::Target,
        name: &'a str,
    },
}

/// The sender of every channel.
pub struct Channels {
    email: Email,
    /// None: not configured (`channels.<name>.enabled = false`).
    wecom: Option<Wecom>,
    sms: Option<Sms>,
    robots: Option<Robots>,
}

impl Channels {
    pub fn new(
        email: Email,
        wecom: Option<Wecom>,
        sms: Option<Sms>,
        robots: Option<Robots>,
    ) -> Self {
        Self {
            email,
            wecom,
            sms,
            robots,
        }
    }

    /// Sends reminders to a unit's robot as one group message, as many as fit; returns
    /// how many it listed.
    pub async fn send_group(
        &self,
        target: &crate::domain::robot::Target,
        reminders: &[crate::mail::MailContext<'_>],
        mentions: &[String],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<usize, SendError> {
        match &self.robots {
            Some(robots) => robots.send(target, reminders, mentions, now).await,
            None => Err(not_configured("robots")),
        }
    }

    /// Sends a test message now, outside the queue (发送测试消息): the caller sees at once
    /// whether the method works, with the vendor's answer when it does not.
    pub async fn send_test(
        &self,
        to: TestTo<'_>,
        message_id: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), SendError> {
        let words = |name: &str, channel: Channel| {
            self.email
                .composer()
                .test_text(name, channel.label_zh(), now)
        };
        match to {
            TestTo::Person {
                channel: Channel::Email,
                name,
                address,
            } => self.email.send_test(name, address, message_id, now).await,
            TestTo::Person {
                channel: Channel::Wecom,
                name,
                address,
            } => {
                let wecom = self
                    .wecom
                    .as_ref()
                    .ok_or_else(|| not_configured("企业微信"))?;
                wecom.send_text(address, &words(name, Channel::Wecom)).await
            }
            TestTo::Person {
                channel: Channel::Sms,
                name,
                address,
            } => {
                let sms = self.sms.as_ref().ok_or_else(|| not_configured("SMS"))?;
                let params = serde_json::json!({
                    "reference": "测试", "step": "测试消息", "deadline": "", "link": "",
                });
                let text = words(name, Channel::Sms);
                sms.send_text(address, &text, &params, message_id).await
            }
            TestTo::Person { channel, .. } => Err(SendError::Permanent(format!(
                "{channel} is not a contact method"
            ))),
            TestTo::Robot { target, name } => {
                let robots = self
                    .robots
                    .as_ref()
                    .ok_or_else(|| not_configured("robots"))?;
                let text = words(name, target.kind.channel());
                robots.send_text(target, &text, 1, &[], now).await
            }
        }
    }

    /// What the vendor lets one address receive, with the key its sends are counted
    /// under: 企业微信 members 30 a minute and 1,000 an hour (past that it drops messages
    /// and still answers 0), held; SMS numbers a daily cap, counted over the last 24
    /// hours and warned of (past it the gateway refuses with its flow-control code).
    pub fn address_limits(&self, channel: Channel, address: &str) -> Option<AddressLimits> {
        match channel {
            Channel::Wecom if self.wecom.is_some() => Some(AddressLimits {
                key: format!("wecom:{address}"),
                windows: wecom::MEMBER_LIMITS.to_vec(),
                daily_cap: None,
            }),
            Channel::Sms => self.sms.as_ref().map(|sms| AddressLimits {
                key: format!("sms:{address}"),
                windows: vec![RateLimit {
                    count: i64::MAX,
                    window: chrono::Duration::days(1),
                }],
                daily_cap: Some(sms.daily_limit()),
            }),
            _ => None,
        }
    }

    /// Closes connections idle past their limit (SMTP sessions).
    pub fn close_idle(&self) {
        self.email.close_idle();
    }

    /// Composes one message for its channel; a message that cannot be composed (no
    /// template fits, the channel is off) fails for good.
    pub fn compose(&self, out: &Outgoing<'_>) -> Result<Composed, SendError> {
        let message = match out.channel {
            Channel::Email => Message::Email(Box::new(self.email.compose(out)?)),
            Channel::Wecom => {
                let wecom = self
                    .wecom
                    .as_ref()
                    .ok_or_else(|| not_configured("企业微信"))?;
                Message::Wecom {
                    touser: out.address.to_owned(),
                    text: wecom.compose(out)?,
                }
            }
            Channel::Sms => {
                let sms = self.sms.as_ref().ok_or_else(|| not_configured("SMS"))?;
                let (text, params) = sms.compose(out)?;
                Message::Sms {
                    mobile: out.address.to_owned(),
                    text,
                    params,
                    message_id: out.message_id.to_owned(),
                }
            }
            // A unit's robot gets group messages (`send_group`), not one per row.
            Channel::WecomRobot | Channel::Dingtalk | Channel::Feishu => {
                return Err(SendError::Permanent(
                    "a robot's message is sent as a group message".into(),
                ));
            }
        };
        Ok(Composed(message))
    }

    /// Sends a composed message.
    pub async fn send(&self, message: Composed) -> Result<(), SendError> {
        match message.0 {
            Message::Email(mail) => self.email.send(*mail).await,
            Message::Wecom { touser, text } => {
                let wecom = self
                    .wecom
                    .as_ref()
                    .ok_or_else(|| not_configured("企业微信"))?;
                wecom.send_text(&touser, &text).await
            }
            Message::Sms {
                mobile,
                text,
                params,
                message_id,
            } => {
                let sms = self.sms.as_ref().ok_or_else(|| not_configured("SMS"))?;
                sms.send_text(&mobile, &text, &params, &message_id).await
            }
        }
    }
}

/// A message composed for its channel (`Channels::compose`), ready to send: composing
/// is apart from sending so that a message due in a moment can be composed before it.
pub struct Composed(Message);

enum Message {
    Email(Box<lettre::Message>),
    Wecom {
        touser: String,
        text: String,
    },
    Sms {
        mobile: String,
        text: String,
        params: serde_json::Value,
        message_id: String,
    },
}
