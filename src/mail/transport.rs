//! Where mail goes: an SMTP server (lettre, async) or `.eml` files in a folder (the
//! embedded default). Every send has an overall time limit, since lettre's own timeout
//! covers connecting but not a server that never answers.

use std::time::Duration;

use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::{MailSettings, MailTransport, SmtpSecurity};

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
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
                let smtp = &settings.smtp;
                let builder = match smtp.security {
                    SmtpSecurity::None => {
                        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
                    }
                    SmtpSecurity::Starttls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
                            .map_err(|e| format!("mail.smtp.host: {e}"))?
                    }
                    SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)
                        .map_err(|e| format!("mail.smtp.host: {e}"))?,
                };
                let mut builder = builder
                    .port(smtp.port)
                    .timeout(Some(timeout))
                    .pool_config(PoolConfig::new().max_size(max_connections));
                if !smtp.username.is_empty() {
                    builder = builder.credentials(Credentials::new(
                        smtp.username.clone(),
                        smtp.password.expose_secret().to_owned(),
                    ));
                }
                Transport::Smtp(builder.build())
            }
        };
        Ok(Self { transport, timeout })
    }

    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        let sent = tokio::time::timeout(self.timeout, async {
            match &self.transport {
                Transport::Smtp(t) => t.send(message).await.map(|_| ()).map_err(classify),
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

fn classify(e: lettre::transport::smtp::Error) -> SendError {
    let text = match e.status() {
        Some(code) => format!("{code}: {e}"),
        None => e.to_string(),
    };
    if e.is_permanent() {
        SendError::Permanent(text)
    } else {
        SendError::Transient(text)
    }
}
