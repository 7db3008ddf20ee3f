//! People in the directory and the roles that decide which mail reaches them.

use std::collections::BTreeSet;

use crate::domain::escalation::{NotifyRule, NotifyRules};
use crate::domain::ids::ContactId;
use crate::domain::names::{Email, PersonName, UnitCode};
use crate::error::AppError;
use crate::rule::Rule;
use crate::text_enum;

text_enum! {
    pub enum ContactRole {
        DutyOfficer => "duty_officer",
        OfficeDirector => "office_director",
        DeputyLeader => "deputy_leader",
        PrincipalLeader => "principal_leader",
        PressOfficer => "press_officer",
        Liaison => "liaison",
    }
}

impl ContactRole {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::DutyOfficer => "值班人员",
            Self::OfficeDirector => "办公室主任",
            Self::DeputyLeader => "分管领导",
            Self::PrincipalLeader => "主要负责人",
            Self::PressOfficer => "新闻发言人",
            Self::Liaison => "舆情联络员",
        }
    }
}

/// At least one role; duplicates collapse.
pub fn parse_roles(field: &str, roles: &[ContactRole]) -> Result<Vec<ContactRole>, AppError> {
    let set: BTreeSet<ContactRole> = roles.iter().copied().collect();
    if set.is_empty() {
        return Err(AppError::invalid(field, Rule::NoRole));
    }
    Ok(set.into_iter().collect())
}

/// A person's 企业微信 user id (账号): 1–64 letters, digits, '_', '-', '@' or '.'.
pub fn parse_wecom_userid(field: &str, value: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(id) = crate::domain::text::optional(field, value, 64)? else {
        return Ok(None);
    };
    let fits = id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'@' | b'.'));
    if fits {
        Ok(Some(id))
    } else {
        Err(AppError::invalid(field, Rule::WecomUserIdShape))
    }
}

/// A mainland mobile number (SMS, and @ in group robots): 11 digits from 1[3-9],
/// kept without a `+86` prefix, spaces or dashes.
pub fn parse_mobile(field: &str, value: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(raw) = crate::domain::text::optional(field, value, 20)? else {
        return Ok(None);
    };
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = digits
        .strip_prefix("+86")
        .or_else(|| digits.strip_prefix("0086"))
        .unwrap_or(&digits);
    let b = digits.as_bytes();
    let fits = b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit);
    if fits {
        Ok(Some(digits.to_owned()))
    } else {
        Err(AppError::invalid(field, Rule::MobileShape))
    }
}

/// A contact to add.
pub struct NewContact {
    pub name: PersonName,
    pub email: Email,
    pub phone: Option<String>,
    /// Reached by 企业微信 application messages too, when that channel is configured.
    pub wecom_userid: Option<String>,
    pub mobile: Option<String>,
    /// Their own notification rule; None follows their role's.
    pub notification_rules: Option<NotifyRules>,
    pub unit_code: UnitCode,
    pub roles: Vec<ContactRole>,
}

impl NewContact {
    /// A contact to add, checked (the API's and the console's rules).
    pub fn parse(fields: ContactFields<'_>) -> Result<Self, AppError> {
        Ok(Self {
            name: PersonName::parse("name", fields.name)?,
            email: Email::parse("email", fields.email)?,
            phone: crate::domain::text::optional("phone", fields.phone, 40)?,
            wecom_userid: parse_wecom_userid("wecom_userid", fields.wecom_userid)?,
            mobile: parse_mobile("mobile", fields.mobile)?,
            notification_rules: fields
                .notification_rules
                .map(|r| NotifyRules::parse("notification_rules", r))
                .transpose()?,
            unit_code: UnitCode::parse("unit_code", fields.unit_code)?,
            roles: parse_roles("roles", fields.roles)?,
        })
    }
}

/// A new contact's fields as typed, before checking.
pub struct ContactFields<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub phone: Option<&'a str>,
    pub wecom_userid: Option<&'a str>,
    pub mobile: Option<&'a str>,
    pub notification_rules: Option<Vec<NotifyRule>>,
    pub unit_code: &'a str,
    pub roles: &'a [ContactRole],
}

/// What a PATCH may change.
#[derive(Default)]
pub struct ContactChange {
    pub name: Option<PersonName>,
    pub email: Option<Email>,
    pub phone: Option<Option<String>>,
    pub wecom_userid: Option<Option<String>>,
    pub mobile: Option<Option<String>>,
    /// Some(None): back to the role's rule.
    pub notification_rules: Option<Option<NotifyRules>>,
    pub unit_code: Option<UnitCode>,
    pub roles: Option<Vec<ContactRole>>,
    pub active: Option<bool>,
}

/// Which contacts a listing asks for.
#[derive(Default)]
pub struct ContactFilter {
    pub unit_code: Option<UnitCode>,
    pub role: Option<ContactRole>,
    pub active: Option<bool>,
}

/// A contact as the API returns it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Contact {
    pub id: ContactId,
    pub name: PersonName,
    pub email: Email,
    pub phone: Option<String>,
    /// Their 企业微信 user id, if they are reached there too.
    pub wecom_userid: Option<String>,
    /// Their mobile number (SMS; @ in group robots), 11 digits.
    pub mobile: Option<String>,
    /// Their own notification rule: which methods, how many minutes after a step falls
    /// due. `null`: their role's rule from config.
    pub notification_rules: Option<NotifyRules>,
    pub unit_code: UnitCode,
    pub roles: Vec<ContactRole>,
    pub active: bool,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}
