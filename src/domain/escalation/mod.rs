//! Escalations as users see them: one per step, person and channel, with its delivery
//! state.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::text_enum;

mod channel;
mod lateness;
mod recipients;
mod rules;
mod step;

use crate::domain::ids::{ClockId, ContactId, EscalationId};

pub use channel::{AddressLimits, Addressing, Channel, RateLimit, Route};
pub use lateness::{Lateness, SendFacts};
pub use recipients::{Person, Recipient, Responsible, resolve};
pub use rules::{MAX_AFTER_MINUTES, NotifyRule, NotifyRules, RoleRules};
pub use step::Step;

text_enum! {
    pub enum EscalationStatus {
        Pending => "pending",
        Sending => "sending",
        Sent => "sent",
        Failed => "failed",
        Cancelled => "cancelled",
        Superseded => "superseded",
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NotificationRecipient {
    /// The directory contact (person) it is for.
    pub contact_id: ContactId,
    pub name: String,
    /// The ladder audience that selected this person, e.g. `parent:office_director`.
    pub role: String,
    pub unit_code: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Notification {
    pub id: EscalationId,
    pub clock_id: Option<ClockId>,
    #[schema(value_type = String, example = "before_30m")]
    pub step: Step,
    pub recipient: NotificationRecipient,
    pub channel: Channel,
    /// The person's address on the channel, when it was planned.
    pub address: String,
    /// Minutes after the step it was planned for, by the person's rule: 0 at once, more
    /// only while unacknowledged (acknowledging cancels it).
    pub after_minutes: i64,
    /// When it was first due, if the office's quiet hours held it to `due_at`.
    pub held_from: Option<DateTime<Utc>>,
    pub status: EscalationStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub due_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// Sent more than `engine.late_after_seconds` after it was due (e.g. after downtime).
    pub late: bool,
    /// The id the message carries on its channel (for e-mail, the Message-ID).
    pub message_id: String,
}
