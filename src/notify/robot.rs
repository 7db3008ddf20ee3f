//! Group robots of units: 企业微信 群机器人 (webhook key), 钉钉 custom robots (signed:
//! HMAC-SHA256 of timestamp and secret, in the URL) and 飞书 custom bots (signed in the
//! body). One message may list several reminders (the engine merges what is due for one
//! robot, within its 20 a minute); it @s the people concerned by mobile where the vendor
//! can (企业微信, 钉钉). The vendors' codes decide whether a failure may pass. Webhooks hold
//! the robot's key: errors are logged without URLs.

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;

use super::{SendError, http_client, no_answer};
use crate::domain::robot::{RobotKind, Target};
use crate::mail::{Composer, MailContext};

/// Messages a robot takes a minute (企业微信 and 钉钉: 20; 飞书 allows more).
pub const PER_MINUTE: i64 = 20;

/// The longest message, in bytes of UTF-8: 企业微信 text 2,048; 钉钉 and 飞书 are
/// kept to 4,096 so a merged list stays readable on a phone.
pub fn max_bytes(kind: RobotKind) -> usize {
    match kind {
        RobotKind::WecomRobot => 2048,
        RobotKind::Dingtalk | RobotKind::Feishu => 4096,
    }
}

pub struct Robots {
    http: reqwest::Client,
    composer: std::sync::Arc<Composer>,
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default, alias = "code", alias = "StatusCode")]
    errcode: i64,
    #[serde(default, alias = "msg", alias = "StatusMessage")]
    errmsg: String,
}

fn hmac_base64(key: &[u8], message: &[u8]) -> Result<String, SendError> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .map_err(|e| SendError::Permanent(format!("signing key: {e}")))?;
    mac.update(message);
    Ok(base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

/// 钉钉: timestamp (ms) and sign = base64(HMAC-SHA256(secret, "{ts}\n{secret}")), URL-encoded.
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> Result<String, SendError> {
    let sign = hmac_base64(
        secret.as_bytes(),
        format!("{timestamp_ms}\n{secret}").as_bytes(),
    )?;
    Ok(form_urlencoded::byte_serialize(sign.as_bytes()).collect())
}

/// 飞书: sign = base64(HMAC-SHA256(key = "{ts}\n{secret}", message = empty)).
pub fn feishu_sign(secret: &str, timestamp_s: i64) -> Result<String, SendError> {
    hmac_base64(format!("{timestamp_s}\n{secret}").as_bytes(), b"")
}

fn verdict(kind: RobotKind, a: &Answer) -> Result<(), SendError> {
    let said = format!("{} {}: {}", kind.label_zh(), a.errcode, a.errmsg);
    let later = match kind {
        // Over the limit, or busy.
        RobotKind::WecomRobot => matches!(a.errcode, 45009 | -1),
        // Sent too fast (throttled for 10 minutes), or busy.
        RobotKind::Dingtalk => matches!(a.errcode, 130101 | -1),
        // Under pressure, or too many requests.
        RobotKind::Feishu => matches!(a.errcode, 11232 | 9499),
    };
    match a.errcode {
        0 => Ok(()),
        _ if later => Err(SendError::Transient(said)),
        _ => Err(SendError::Permanent(said)),
    }
}

impl Robots {
    pub fn new(timeout_seconds: u64, composer: std::sync::Arc<Composer>) -> Result<Self, String> {
        let http = http_client("robot", timeout_seconds)?;
        Ok(Self { http, composer })
    }

    /// Sends as many of `reminders` as fit in one message; returns how many it listed.
    pub async fn send(
        &self,
        target: &Target,
        reminders: &[MailContext<'_>],
        mentions: &[String],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<usize, SendError> {
        let kind = target.kind;
        let at = match kind {
            // 飞书 @s by its own user ids, which the directory does not hold.
            RobotKind::Feishu => String::new(),
            _ => mentions
                .iter()
                .map(|m| format!("@{m}"))
                .collect::<Vec<_>>()
                .join(" "),
        };
        let (text, listed) = self
            .composer
            .robot_text(reminders, &at, max_bytes(kind))
            .map_err(SendError::Permanent)?;
        self.send_text(target, &text, listed, mentions, now)
            .await
            .map(|()| listed)
    }

    /// Posts `text` (which lists `listed` reminders) to the robot.
    pub(super) async fn send_text(
        &self,
        target: &Target,
        text: &str,
        listed: usize,
        mentions: &[String],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), SendError> {
        let kind = target.kind;
        let secret = target.secret.as_deref().unwrap_or_default();
        let (url, body) = match kind {
            RobotKind::WecomRobot => (
                target.webhook.clone(),
                json!({ "msgtype": "text",
                        "text": { "content": text, "mentioned_mobile_list": mentions } }),
            ),
            RobotKind::Dingtalk => {
                let ts = now.timestamp_millis();
                let sign = dingtalk_sign(secret, ts)?;
                let title = if listed == 1 {
                    "舆情提醒".to_owned()
                } else {
                    format!("舆情提醒 {listed} 条")
                };
                (
                    format!("{}&timestamp={ts}&sign={sign}", target.webhook),
                    json!({ "msgtype": "markdown",
                            "markdown": { "title": title, "text": text.replace('\n', "  \n") },
                            "at": { "atMobiles": mentions, "isAtAll": false } }),
                )
            }
            RobotKind::Feishu => {
                let ts = now.timestamp();
                (
                    target.webhook.clone(),
                    json!({ "timestamp": ts.to_string(), "sign": feishu_sign(secret, ts)?,
                            "msg_type": "text", "content": { "text": text } }),
                )
            }
        };
        let response = self
            .http
            .post(url)
            .json(&body)
            .send()
            .await
            .map_err(|e| no_answer("robot", e))?;
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(SendError::Transient(format!(
                "{} HTTP {}",
                kind.label_zh(),
                status.as_u16()
            )));
        }
        let answer: Answer = serde_json::from_value(answer).map_err(|_| {
            SendError::Transient(format!(
                "{} HTTP {}: no answer",
                kind.label_zh(),
                status.as_u16()
            ))
        })?;
        verdict(kind, &answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 钉钉 documentation's own example: secret SEC…, timestamp 1577262236757.
    #[test]
    fn signatures_follow_the_vendors_recipes() {
        let ding = dingtalk_sign("SECtest", 1_577_262_236_757).unwrap();
        assert!(
            !ding.contains('+') && !ding.contains('/') && !ding.contains('='),
            "{ding}"
        );
        let expected = hmac_base64(b"SECtest", b"1577262236757\nSECtest").unwrap();
        let decoded: String = form_urlencoded::parse(format!("s={ding}").as_bytes())
            .next()
            .unwrap()
            .1
            .into_owned();
        assert_eq!(decoded, expected);
        assert_eq!(
            feishu_sign("secret", 1_599_360_473).unwrap(),
            hmac_base64(b"1599360473\nsecret", b"").unwrap()
        );
    }
}
