//! The e-mail channel: a Chinese mail from the templates (`mail::Composer`), sent over
//! SMTP or written as a file (`mail::Mailer`).

use std::sync::Arc;

use super::{About, Outgoing, SendError};
use crate::mail::{self, Composer, Mailer};

pub struct Email {
    mailer: Arc<Mailer>,
    composer: Arc<Composer>,
}

impl Email {
    pub fn new(mailer: Arc<Mailer>, composer: Arc<Composer>) -> Self {
        Self { mailer, composer }
    }

    pub(super) fn composer(&self) -> &Composer {
        &self.composer
    }

    pub(super) fn close_idle(&self) {
        self.mailer.close_idle();
    }

    pub(super) async fn send_test(
        &self,
        name: &str,
        address: &str,
        message_id: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), SendError> {
        let message = self
            .composer
            .compose_test(name, address, message_id, now)
            .map_err(SendError::Permanent)?;
        self.send(message).await
    }

    pub(super) async fn send(&self, message: lettre::Message) -> Result<(), SendError> {
        self.mailer.send(message).await.map_err(|e| match e {
            mail::SendError::Transient(e) => SendError::Transient(e),
            mail::SendError::Permanent(e) => SendError::Permanent(e),
        })
    }

    pub(super) fn compose(&self, out: &Outgoing<'_>) -> Result<lettre::Message, SendError> {
        match (out.reminder(), &out.about) {
            (Some(context), _) => self.composer.compose(&context),
            (None, About::Report { kind, context }) => self.composer.compose_report(
                *kind,
                out.recipient_name,
                out.address,
                out.message_id,
                context,
            ),
            (None, About::Reminder { .. }) => Err("a reminder without its incident".into()),
        }
        .map_err(|e| SendError::Permanent(format!("could not compose the mail: {e}")))
    }
}
