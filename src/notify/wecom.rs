//! 企业微信 application messages to named people (`touser`): the access token is fetched
//! with the corp id and the application's secret, kept, and fetched again before it
//! lapses or when the server says it has (42001, 40014). The vendor's codes decide
//! whether a failure may pass: over a limit or busy is tried again, an invalid user is
//! not. The secret is in the token request's URL: errors are logged without URLs.

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Mutex;

use super::{Outgoing, SendError, http_client, no_answer};
use crate::config::WecomSettings;
use crate::mail::Composer;

/// What one member may receive: 30 a minute and 1,000 an hour (the minute counted as 65 s,
/// a margin for the time a request takes to arrive).
pub const MEMBER_LIMITS: &[crate::domain::escalation::RateLimit] = &[
    crate::domain::escalation::RateLimit {
        count: 30,
        window: chrono::Duration::seconds(65),
    },
    crate::domain::escalation::RateLimit {
        count: 1000,
        window: chrono::Duration::seconds(3600),
    },
];

/// The most a text message may carry (企业微信: 2,048 bytes of UTF-8).
pub const TEXT_MAX_BYTES: usize = 2048;

pub struct Wecom {
    http: reqwest::Client,
    api_base: String,
    corp_id: String,
    agent_id: i64,
    secret: SecretString,
    composer: std::sync::Arc<Composer>,
    token: Mutex<Option<Token>>,
}

struct Token {
    value: String,
    /// Fetched again from here on: five minutes before the server's expiry.
    refresh_after: Instant,
}

#[derive(Deserialize)]
struct Answer {
    errcode: i64,
    #[serde(default)]
    errmsg: String,
    #[serde(default)]
    access_token: String,
    #[serde(default)]
    expires_in: u64,
    #[serde(default)]
    invaliduser: String,
}

/// What the vendor's code means for this message.
enum Verdict {
    Sent,
    /// The token lapsed or is not valid: fetch a new one and send again, once.
    Refresh,
    Failed(SendError),
}

fn verdict(a: &Answer) -> Verdict {
    let said = || format!("企业微信 {}: {}", a.errcode, a.errmsg);
    match a.errcode {
        0 if a.invaliduser.is_empty() => Verdict::Sent,
        0 => Verdict::Failed(SendError::Permanent(format!(
            "企业微信 81013: invalid user {}",
            a.invaliduser
        ))),
        42001 | 40014 => Verdict::Refresh,
        // Over a frequency limit, too many concurrent calls, busy: later.
        45009 | 45033 | -1 => Verdict::Failed(SendError::Transient(said())),
        _ => Verdict::Failed(SendError::Permanent(said())),
    }
}

impl Wecom {
    pub fn new(
        settings: &WecomSettings,
        secret: SecretString,
        composer: std::sync::Arc<Composer>,
    ) -> Result<Self, String> {
        let http = http_client("企业微信", settings.timeout_seconds)?;
        Ok(Self {
            http,
            api_base: settings.api_base.trim_end_matches('/').to_owned(),
            corp_id: settings.corp_id.clone(),
            agent_id: settings.agent_id,
            secret,
            composer,
            token: Mutex::new(None),
        })
    }

    /// The access token, fetched when there is none, it is about to lapse, or it is
    /// `refused` (the server said so; a send beside it may have fetched the next one
    /// already, which is then used).
    async fn token(&self, refused: Option<&str>) -> Result<String, SendError> {
        let mut held = self.token.lock().await;
        if let Some(t) = held.as_ref()
            && Some(t.value.as_str()) != refused
            && Instant::now() < t.refresh_after
        {
            return Ok(t.value.clone());
        }
        let answer: Answer = self
            .http
            .get(format!("{}/cgi-bin/gettoken", self.api_base))
            .query(&[
                ("corpid", self.corp_id.as_str()),
                ("corpsecret", self.secret.expose_secret()),
            ])
            .send()
            .await
            .map_err(|e| no_answer("企业微信", e))?
            .error_for_status()
            .map_err(|e| no_answer("企业微信", e))?
            .json()
            .await
            .map_err(|e| no_answer("企业微信", e))?;
        if answer.errcode != 0 || answer.access_token.is_empty() {
            // A wrong corp id or secret says nothing about the message: it waits for the
            // settings to be fixed, as mail waits for a relay that refuses the login.
            return Err(SendError::Transient(format!(
                "企业微信 token refused, {}: {}",
                answer.errcode, answer.errmsg
            )));
        }
        let lasts = Duration::from_secs(answer.expires_in.saturating_sub(300).max(60));
        let value = answer.access_token;
        *held = Some(Token {
            value: value.clone(),
            refresh_after: Instant::now() + lasts,
        });
        Ok(value)
    }

    /// The text of a reminder, within the vendor's limit.
    pub(super) fn compose(&self, out: &Outgoing<'_>) -> Result<String, SendError> {
        let Some(context) = out.reminder() else {
            return Err(SendError::Permanent(
                "reports go by e-mail, not 企业微信".into(),
            ));
        };
        self.composer
            .chat_text(&context, TEXT_MAX_BYTES)
            .map_err(SendError::Permanent)
    }

    /// Sends `text` to the member `touser`.
    pub(super) async fn send_text(&self, touser: &str, text: &str) -> Result<(), SendError> {
        let body = json!({
            "touser": touser,
            "msgtype": "text",
            "agentid": self.agent_id,
            "text": { "content": text },
            // The vendor drops the same content to the same person within 30 minutes: a
            // resend after a crash is recognised there when its text did not change.
            "enable_duplicate_check": 1,
            "duplicate_check_interval": 1800,
        });
        let mut refused: Option<String> = None;
        for attempt in 0..2 {
            let token = self.token(refused.as_deref()).await?;
            let answer: Answer = self
                .http
                .post(format!("{}/cgi-bin/message/send", self.api_base))
                .query(&[("access_token", token.as_str())])
                .json(&body)
                .send()
                .await
                .map_err(|e| no_answer("企业微信", e))?
                .error_for_status()
                .map_err(|e| no_answer("企业微信", e))?
                .json()
                .await
                .map_err(|e| no_answer("企业微信", e))?;
            match verdict(&answer) {
                Verdict::Sent => return Ok(()),
                Verdict::Refresh if attempt == 0 => refused = Some(token),
                Verdict::Refresh => {
                    return Err(SendError::Transient(format!(
                        "企业微信 {}: {} (after a new token)",
                        answer.errcode, answer.errmsg
                    )));
                }
                Verdict::Failed(e) => return Err(e),
            }
        }
        Err(SendError::Transient("企业微信: no answer".into()))
    }
}
