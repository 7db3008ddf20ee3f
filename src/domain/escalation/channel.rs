//! How a person is reached: the channel and their address on it. A planned reminder is
//! one row per (step, person, channel); the engine hands each to the channel's sender in
//! `notify`. Which channels, and when, follows the person's notification rule
//! (`rules.rs`).

use super::{NotifyRules, Recipient, RoleRules};
use crate::text_enum;

text_enum! {
    /// A way of reaching people: e-mail, 企业微信 application messages and SMS to a
    /// person; a unit's group robot on 企业微信, 钉钉 or 飞书.
    pub enum Channel {
        Email => "email",
        Wecom => "wecom",
        Sms => "sms",
        WecomRobot => "wecom_robot",
        Dingtalk => "dingtalk",
        Feishu => "feishu",
    }
}

impl Channel {
    /// The channels that reach one person at their own address (a contact method).
    pub const PERSONAL_KEYS: &'static [&'static str] = &["email", "wecom", "sms"];

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Email => "邮件",
            Self::Wecom => "企业微信",
            Self::Sms => "短信",
            Self::WecomRobot => "企业微信群",
            Self::Dingtalk => "钉钉群",
            Self::Feishu => "飞书群",
        }
    }

    pub fn is_personal(self) -> bool {
        Self::PERSONAL_KEYS.contains(&self.as_str())
    }

    /// The id a message carries on its channel, fixed when it is planned: a resend after
    /// a crash carries the same one, so the receiving side can tell (for e-mail, the
    /// Message-ID, in the domain of `mail.from`; for SMS, the gateway's caller id).
    pub fn message_id(self, row_id: &str, domain: &str) -> String {
        match self {
            Self::Email => format!("<{row_id}@{domain}>"),
            // 企业微信 takes no id of the caller's: the row's own, kept for the record.
            Self::Wecom => row_id.to_owned(),
            // Gateways bound the caller's id (阿里云 OutId: 64 characters): the row's own
            // without dashes.
            Self::Sms => row_id.replace('-', ""),
            // Robots take no id of the caller's.
            Self::WecomRobot | Self::Dingtalk | Self::Feishu => row_id.to_owned(),
        }
    }
}

/// A vendor's cap on what one address receives: at most `count` within `window`.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    pub count: i64,
    pub window: chrono::Duration,
}

/// What one address may receive: a slot is taken under `key` within every window before
/// a message goes, and held past a window's count; a `daily_cap` is only counted and
/// warned of as it nears.
#[derive(Debug, Clone)]
pub struct AddressLimits {
    pub key: String,
    pub windows: Vec<RateLimit>,
    pub daily_cap: Option<i64>,
}

/// How planned messages are addressed: the channels this service sends on, the rule of
/// each role, and the domain of e-mail Message-IDs. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Addressing {
    pub message_domain: std::sync::Arc<str>,
    pub channels: std::sync::Arc<[Channel]>,
    pub rules: std::sync::Arc<RoleRules>,
    /// The offices' time zone, which quiet hours are read in.
    pub zone: chrono_tz::Tz,
}

/// A channel, the person's address on it, and how long after the step it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub channel: Channel,
    pub address: String,
    /// 0: when the step is due; later only while the person has not acknowledged.
    pub after_minutes: i64,
}

impl Recipient {
    /// The person's address on `channel`, if they have one.
    pub fn address(&self, channel: Channel) -> Option<&str> {
        match channel {
            Channel::Email => Some(&self.email),
            Channel::Wecom => self.wecom_userid.as_deref(),
            Channel::Sms => self.mobile.as_deref(),
            // A robot is a unit's, not a person's.
            Channel::WecomRobot | Channel::Dingtalk | Channel::Feishu => None,
        }
    }

    /// Where and when this person is reached: each method of their rule (their own, or
    /// their role's) on a channel this service sends on and they have an address for.
    /// Someone who acknowledged gets no delayed method. A rule that reaches them nowhere
    /// falls back to mail at once, so nobody on a step is left untold.
    pub fn routes(&self, addressing: &Addressing) -> Vec<Route> {
        let rules: &NotifyRules = match &self.rules {
            Some(own) => own,
            None => addressing.rules.for_role(self.reached_as),
        };
        let routes: Vec<Route> = rules
            .iter()
            .filter(|r| addressing.channels.contains(&r.channel))
            .filter(|r| !(self.acknowledged && r.after_minutes > 0))
            .filter_map(|r| {
                Some(Route {
                    channel: r.channel,
                    address: self.address(r.channel)?.to_owned(),
                    after_minutes: r.after_minutes,
                })
            })
            .collect();
        if routes.is_empty() && !self.acknowledged {
            return vec![Route {
                channel: Channel::Email,
                address: self.email.clone(),
                after_minutes: 0,
            }];
        }
        routes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::contact::ContactRole;
    use crate::domain::escalation::NotifyRule;

    fn leader() -> Recipient {
        Recipient {
            contact_id: "a".into(),
            email: "a@x".into(),
            wecom_userid: Some("ZhangSan".into()),
            mobile: Some("13800138000".into()),
            rules: None,
            acknowledged: false,
            name: "张三".into(),
            role: "principal_leader".into(),
            reached_as: ContactRole::PrincipalLeader,
            unit_code: "440106".into(),
        }
    }

    fn addressing(channels: &[Channel]) -> Addressing {
        let mut rules = RoleRules::mail_only();
        rules.principal_leader = Some(
            NotifyRules::parse(
                "r",
                vec![
                    NotifyRule {
                        channel: Channel::Wecom,
                        after_minutes: 0,
                    },
                    NotifyRule {
                        channel: Channel::Email,
                        after_minutes: 0,
                    },
                    NotifyRule {
                        channel: Channel::Sms,
                        after_minutes: 10,
                    },
                ],
            )
            .unwrap(),
        );
        Addressing {
            message_domain: "x".into(),
            channels: channels.into(),
            rules: rules.into(),
            zone: chrono_tz::Asia::Shanghai,
        }
    }

    fn when(routes: &[Route]) -> Vec<(Channel, i64)> {
        routes
            .iter()
            .map(|r| (r.channel, r.after_minutes))
            .collect()
    }

    #[test]
    fn the_role_rule_decides_where_and_when() {
        let all = addressing(&[Channel::Email, Channel::Wecom, Channel::Sms]);
        assert_eq!(
            when(&leader().routes(&all)),
            [(Channel::Email, 0), (Channel::Wecom, 0), (Channel::Sms, 10)]
        );
        // A channel this service does not send on, or an address the person lacks, is
        // left out.
        let mail_and_wecom = addressing(&[Channel::Email, Channel::Wecom]);
        assert_eq!(
            when(&leader().routes(&mail_and_wecom)),
            [(Channel::Email, 0), (Channel::Wecom, 0)]
        );
        let no_mobile = Recipient {
            mobile: None,
            ..leader()
        };
        assert_eq!(
            when(&no_mobile.routes(&all)),
            [(Channel::Email, 0), (Channel::Wecom, 0)]
        );
        // Acknowledged: the delayed method is not planned.
        let acknowledged = Recipient {
            acknowledged: true,
            ..leader()
        };
        assert_eq!(
            when(&acknowledged.routes(&all)),
            [(Channel::Email, 0), (Channel::Wecom, 0)]
        );
    }

    #[test]
    fn an_own_rule_wins_and_an_unreachable_one_falls_back_to_mail() {
        let all = addressing(&[Channel::Email, Channel::Wecom, Channel::Sms]);
        let sms_only = NotifyRules::parse(
            "r",
            vec![NotifyRule {
                channel: Channel::Sms,
                after_minutes: 0,
            }],
        )
        .unwrap();
        let own = Recipient {
            rules: Some(sms_only.clone()),
            ..leader()
        };
        assert_eq!(when(&own.routes(&all)), [(Channel::Sms, 0)]);
        let unreachable = Recipient {
            rules: Some(sms_only),
            mobile: None,
            ..leader()
        };
        assert_eq!(when(&unreachable.routes(&all)), [(Channel::Email, 0)]);
    }
}
