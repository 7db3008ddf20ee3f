//! A unit's group robots: a 企业微信 群机器人, a 钉钉 custom robot or a 飞书 custom bot. Each
//! receives the reminders of the steps that reach its unit, as group messages that @ the
//! people concerned by mobile number. Its webhook and signing secret are credentials: they
//! are stored, used to send, and never shown again in full.

use serde::Serialize;

use crate::domain::escalation::Channel;
use crate::domain::ids::RobotId;
use crate::domain::names::UnitCode;
use crate::error::AppError;
use crate::rule::Rule;
use crate::text_enum;

text_enum! {
    pub enum RobotKind {
        WecomRobot => "wecom_robot",
        Dingtalk => "dingtalk",
        Feishu => "feishu",
    }
}

impl RobotKind {
    pub fn label_zh(self) -> &'static str {
        self.channel().label_zh()
    }

    /// The channel its messages go on.
    pub fn channel(self) -> Channel {
        match self {
            Self::WecomRobot => Channel::WecomRobot,
            Self::Dingtalk => Channel::Dingtalk,
            Self::Feishu => Channel::Feishu,
        }
    }

    /// 钉钉 and 飞书 robots here are signed (加签): they need the secret.
    pub fn needs_secret(self) -> bool {
        !matches!(self, Self::WecomRobot)
    }
}

/// A robot to add: checked webhook, and the secret its kind needs.
pub struct NewRobot {
    pub unit_code: UnitCode,
    pub kind: RobotKind,
    pub name: String,
    pub webhook: String,
    pub secret: Option<String>,
}

impl NewRobot {
    pub fn parse(
        unit_code: &str,
        kind: RobotKind,
        name: &str,
        webhook: &str,
        secret: Option<&str>,
    ) -> Result<Self, AppError> {
        let webhook = crate::domain::text::optional_url("webhook", Some(webhook))?
            .ok_or_else(|| AppError::invalid("webhook", Rule::Empty))?;
        let secret = crate::domain::text::optional("secret", secret, 200)?;
        if kind.needs_secret() && secret.is_none() {
            return Err(AppError::invalid("secret", Rule::RequiredForRobot));
        }
        Ok(Self {
            unit_code: UnitCode::parse("unit_code", unit_code)?,
            kind,
            name: crate::domain::text::required("name", name, 100)?,
            webhook,
            secret,
        })
    }
}

/// Where and how a robot's messages go: its kind, webhook and signing secret (held by
/// the engine while sending, never shown).
#[derive(Clone)]
pub struct Target {
    pub kind: RobotKind,
    pub webhook: String,
    pub secret: Option<String>,
}

/// A robot as the API and console show it: the webhook masked, the secret only said to
/// be there.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Robot {
    pub id: RobotId,
    pub unit_code: UnitCode,
    pub kind: RobotKind,
    pub name: String,
    /// The webhook with its key or token hidden: `https://oapi.dingtalk.com/robot/send?access_token=3f2a…`.
    pub webhook: String,
    pub has_secret: bool,
    pub active: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A webhook as people may see it: every query value, or without a query the last path
/// segment, cut to its first four characters (the key or token is what lets anyone post
/// to the group).
pub fn mask_webhook(url: &str) -> String {
    fn cut(s: &str) -> String {
        if s.chars().count() <= 4 {
            "…".into()
        } else {
            format!("{}…", s.chars().take(4).collect::<String>())
        }
    }
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    if query.is_empty() {
        // The key is the path's last segment (飞书: …/hook/KEY).
        return match path.rsplit_once('/') {
            Some((head, last)) if head.matches('/').count() >= 3 => format!("{head}/{}", cut(last)),
            _ => path.to_owned(),
        };
    }
    let masked_path = path;
    let masked_query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => format!("{k}={}", cut(v)),
            None => pair.to_owned(),
        })
        .collect();
    format!("{masked_path}?{}", masked_query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhooks_are_masked() {
        assert_eq!(
            mask_webhook("https://oapi.dingtalk.com/robot/send?access_token=3f2a9c0d11"),
            "https://oapi.dingtalk.com/robot/send?access_token=3f2a…"
        );
        assert_eq!(
            mask_webhook("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx"),
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a…"
        );
        assert_eq!(
            mask_webhook("https://open.feishu.cn/open-apis/bot/v2/hook/0a1b2c3d-4e5f"),
            "https://open.feishu.cn/open-apis/bot/v2/hook/0a1b…"
        );
    }

    #[test]
    fn signed_kinds_need_their_secret() {
        let hook = "https://oapi.dingtalk.com/robot/send?access_token=x";
        assert!(NewRobot::parse("440106", RobotKind::Dingtalk, "值班群", hook, None).is_err());
        assert!(
            NewRobot::parse("440106", RobotKind::Dingtalk, "值班群", hook, Some("SEC1")).is_ok()
        );
        assert!(NewRobot::parse("440106", RobotKind::WecomRobot, "值班群", hook, None).is_ok());
        assert!(
            NewRobot::parse(
                "440106",
                RobotKind::Feishu,
                "值班群",
                "not a url",
                Some("s")
            )
            .is_err()
        );
    }
}
