//! How a person is reached: the channel and their address on it. A planned reminder is
//! one row per (step, person, channel); the engine hands each to the channel's sender in
//! `notify`.

use super::Recipient;
use crate::text_enum;

text_enum! {
    /// A way of reaching people: e-mail, and 企业微信 application messages.
    pub enum Channel {
        Email => "email",
        Wecom => "wecom",
    }
}

impl Channel {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Email => "邮件",
            Self::Wecom => "企业微信",
        }
    }

    /// The id a message carries on its channel, fixed when it is planned: a resend after
    /// a crash carries the same one, so the receiving side can tell (for e-mail, the
    /// Message-ID, in the domain of `mail.from`).
    pub fn message_id(self, row_id: &str, domain: &str) -> String {
        match self {
            Self::Email => format!("<{row_id}@{domain}>"),
            // 企业微信 takes no id of the caller's: the row's own, kept for the record.
            Self::Wecom => row_id.to_owned(),
        }
    }
}

/// How planned messages are addressed: the channels this service sends on, and the
/// domain of e-mail Message-IDs. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Addressing {
    pub message_domain: std::sync::Arc<str>,
    pub channels: std::sync::Arc<[Channel]>,
}

/// A channel and the person's address on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub channel: Channel,
    pub address: String,
}

impl Recipient {
    /// Where this person is reached on the channels this service sends on (`enabled`):
    /// by e-mail at the address in the directory, and by 企业微信 at their user id when
    /// they have one.
    pub fn routes(&self, enabled: &[Channel]) -> Vec<Route> {
        let mut routes = vec![Route {
            channel: Channel::Email,
            address: self.email.clone(),
        }];
        if let Some(userid) = &self.wecom_userid
            && enabled.contains(&Channel::Wecom)
        {
            routes.push(Route {
                channel: Channel::Wecom,
                address: userid.clone(),
            });
        }
        routes
    }
}
