//! How a person is reached: the channel and their address on it. A planned reminder is
//! one row per (step, person, channel); the engine hands each to the channel's sender in
//! `notify`.

use super::Recipient;
use crate::text_enum;

text_enum! {
    /// A way of reaching people. E-mail is the only one so far.
    pub enum Channel {
        Email => "email",
    }
}

impl Channel {
    /// The id a message carries on its channel, fixed when it is planned: a resend after
    /// a crash carries the same one, so the receiving side can tell (for e-mail, the
    /// Message-ID, in the domain of `mail.from`).
    pub fn message_id(self, row_id: &str, domain: &str) -> String {
        match self {
            Self::Email => format!("<{row_id}@{domain}>"),
        }
    }
}

/// A channel and the person's address on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub channel: Channel,
    pub address: String,
}

impl Recipient {
    /// Where this person is reached: by e-mail, at the address in the directory.
    pub fn routes(&self) -> Vec<Route> {
        vec![Route {
            channel: Channel::Email,
            address: self.email.clone(),
        }]
    }
}
