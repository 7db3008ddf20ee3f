//! Where mail goes: an SMTP server (lettre, async) or `.eml` files in a folder (the
//! embedded default). Every send has an overall time limit, since lettre's own timeout
//! covers connecting but not a server that never answers.

use std::time::Duration;

use lettre::{AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};

use super::smtp::SmtpClient;
use crate::config::{MailSettings, MailTransport};

pub enum Transport {
    Smtp(SmtpClient),
    File(AsyncFileTransport<Tokio1Executor>),
}

/// Why a send failed, and whether trying again may help.
#[derive(Debug, Clone)]
pub enum SendError {
    /// 4xx replies, refused or broken connections, time-outs: retry with backoff.
    Transient(String),
    /// 5xx replies: this recipient will not be delivered; no retry.
    Permanent(String),
}

pub struct Mailer {
    transport: Transport,
    timeout: Duration,
}

impl Mailer {
    pub fn new(
        settings: &MailSettings,
        timeout: Duration,
        max_connections: u32,
    ) -> Result<Self, String> {
        let transport = match settings.transport {
            MailTransport::File => {
                std::fs::create_dir_all(&settings.file_dir)
                    .map_err(|e| format!("mail.file_dir {}: {e}", settings.file_dir.display()))?;
                Transport::File(AsyncFileTransport::<Tokio1Executor>::new(
                    &settings.file_dir,
                ))
            }
            MailTransport::Smtp => {
                Transport::Smtp(SmtpClient::new(&settings.smtp, max_connections as usize)?)
            }
        };
        Ok(Self { transport, timeout })
    }

    /// Closes SMTP sessions that have been idle too long (nothing to do for files).
    pub fn close_idle(&self) {
        if let Transport::Smtp(client) = &self.transport {
            client.close_idle();
        }
    }

    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        let sent = tokio::time::timeout(self.timeout, async {
            match &self.transport {
                Transport::Smtp(client) => client.send(&message).await,
                Transport::File(t) => t
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| SendError::Transient(format!("writing the mail file: {e}"))),
            }
        })
        .await;
        match sent {
            Ok(result) => result,
            Err(_) => Err(SendError::Transient(format!(
                "no answer from the mail server within {} s",
                self.timeout.as_secs()
            ))),
        }
    }
}
