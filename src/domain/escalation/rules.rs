//! Personal notification rules: which of a person's contact methods a step reaches, and
//! how long after it falls due ("企业微信 at once, SMS after 10 minutes unacknowledged").
//! A delayed method is a question the person can answer: acknowledging the clock stops
//! it. Defaults come per role from config (`[notification_rules]`); an admin may give a
//! person their own.

use serde::{Deserialize, Serialize};

use super::Channel;
use crate::domain::contact::ContactRole;
use crate::error::AppError;
use crate::rule::Rule;

/// The longest a method may wait for an acknowledgement: a day.
pub const MAX_AFTER_MINUTES: i64 = 1440;

/// One method of a rule: this channel, this many minutes after the step is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifyRule {
    /// A personal channel: `email`, `wecom` or `sms`.
    pub channel: Channel,
    /// 0 = at once; later methods are sent only while the person has not acknowledged.
    #[schema(minimum = 0, maximum = 1440)]
    pub after_minutes: i64,
}

/// A person's methods, each channel once, earliest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct NotifyRules(Vec<NotifyRule>);

impl NotifyRules {
    /// Checked: at least one method, personal channels only, each once, 0–1440 minutes.
    pub fn parse(field: &str, rules: Vec<NotifyRule>) -> Result<Self, AppError> {
        if rules.is_empty() {
            return Err(AppError::invalid(field, Rule::Empty));
        }
        for (i, rule) in rules.iter().enumerate() {
            let at = format!("{field}[{i}]");
            if !rule.channel.is_personal() {
                return Err(AppError::invalid(
                    format!("{at}.channel"),
                    Rule::UnknownValue {
                        value: rule.channel.to_string(),
                        allowed: Channel::PERSONAL_KEYS,
                    },
                ));
            }
            if !(0..=MAX_AFTER_MINUTES).contains(&rule.after_minutes) {
                return Err(AppError::invalid(
                    format!("{at}.after_minutes"),
                    Rule::OutOfRange(0, MAX_AFTER_MINUTES),
                ));
            }
            if rules[..i].iter().any(|r| r.channel == rule.channel) {
                return Err(AppError::invalid(
                    format!("{at}.channel"),
                    Rule::ChannelTwice(rule.channel.to_string()),
                ));
            }
        }
        let mut rules = rules;
        rules.sort_by_key(|r| (r.after_minutes, r.channel));
        Ok(Self(rules))
    }

    pub fn iter(&self) -> impl Iterator<Item = &NotifyRule> {
        self.0.iter()
    }

    /// How a person reads it: 企业微信 立即、短信 10分钟后未确认.
    pub fn summary_zh(&self) -> String {
        self.iter()
            .map(|r| match r.after_minutes {
                0 => format!("{} 立即", r.channel.label_zh()),
                m => format!("{} {m}分钟后未确认", r.channel.label_zh()),
            })
            .collect::<Vec<_>>()
            .join("、")
    }

    /// The minutes of `channel`, if the rule uses it.
    pub fn after(&self, channel: Channel) -> Option<i64> {
        self.iter()
            .find(|r| r.channel == channel)
            .map(|r| r.after_minutes)
    }

    /// Mail at once: what reaches a person whose rule names nothing they can receive.
    pub fn mail_at_once() -> Self {
        Self(vec![NotifyRule {
            channel: Channel::Email,
            after_minutes: 0,
        }])
    }
}

impl<'de> Deserialize<'de> for NotifyRules {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let rules = Vec::<NotifyRule>::deserialize(d)?;
        Self::parse("notification_rules", rules).map_err(serde::de::Error::custom)
    }
}

/// The rules of each role (config `[notification_rules]`): `default`, and any role that
/// differs. A person reached in a role follows that role's rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleRules {
    pub default: NotifyRules,
    #[serde(default)]
    pub duty_officer: Option<NotifyRules>,
    #[serde(default)]
    pub office_director: Option<NotifyRules>,
    #[serde(default)]
    pub deputy_leader: Option<NotifyRules>,
    #[serde(default)]
    pub principal_leader: Option<NotifyRules>,
    #[serde(default)]
    pub press_officer: Option<NotifyRules>,
    #[serde(default)]
    pub liaison: Option<NotifyRules>,
}

impl RoleRules {
    pub fn for_role(&self, role: ContactRole) -> &NotifyRules {
        let own = match role {
            ContactRole::DutyOfficer => &self.duty_officer,
            ContactRole::OfficeDirector => &self.office_director,
            ContactRole::DeputyLeader => &self.deputy_leader,
            ContactRole::PrincipalLeader => &self.principal_leader,
            ContactRole::PressOfficer => &self.press_officer,
            ContactRole::Liaison => &self.liaison,
        };
        own.as_ref().unwrap_or(&self.default)
    }

    /// Mail at once for everyone (tests, and the reports, which are mail).
    pub fn mail_only() -> Self {
        Self {
            default: NotifyRules::mail_at_once(),
            duty_officer: None,
            office_director: None,
            deputy_leader: None,
            principal_leader: None,
            press_officer: None,
            liaison: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(channel: Channel, after_minutes: i64) -> NotifyRule {
        NotifyRule {
            channel,
            after_minutes,
        }
    }

    #[test]
    fn rules_are_checked_and_kept_earliest_first() {
        let rules =
            NotifyRules::parse("r", vec![rule(Channel::Sms, 10), rule(Channel::Wecom, 0)]).unwrap();
        let got: Vec<_> = rules.iter().map(|r| (r.channel, r.after_minutes)).collect();
        assert_eq!(got, [(Channel::Wecom, 0), (Channel::Sms, 10)]);
        assert!(NotifyRules::parse("r", vec![]).is_err());
        assert!(NotifyRules::parse("r", vec![rule(Channel::Sms, 1441)]).is_err());
        assert!(NotifyRules::parse("r", vec![rule(Channel::Sms, -1)]).is_err());
        assert!(
            NotifyRules::parse("r", vec![rule(Channel::Sms, 0), rule(Channel::Sms, 5)]).is_err()
        );
    }

    #[test]
    fn a_role_without_its_own_rule_follows_the_default() {
        let mut roles = RoleRules::mail_only();
        roles.principal_leader = Some(
            NotifyRules::parse("r", vec![rule(Channel::Wecom, 0), rule(Channel::Sms, 10)]).unwrap(),
        );
        assert_eq!(
            roles.for_role(ContactRole::PrincipalLeader).iter().count(),
            2
        );
        assert_eq!(
            roles.for_role(ContactRole::DutyOfficer),
            &NotifyRules::mail_at_once()
        );
    }
}
