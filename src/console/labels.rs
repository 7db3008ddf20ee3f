//! The console's words: Chinese names of roles, fields and errors, and local times.
//! Validation errors carry a typed rule (the API renders it in English); here each rule
//! is put into Chinese from its variant, field by field.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::access::Role;
use crate::domain::unit::UnitLevel;
use crate::error::{AppError, ConflictCode};
use crate::rule::Rule;

pub fn role(role: Role) -> &'static str {
    match role {
        Role::Admin => "管理员",
        Role::DutyOfficer => "值班人员",
        Role::Leader => "领导",
        Role::Viewer => "只读",
    }
}

/// A time as offices read it: `2026-11-22 14:03` in the office's zone.
pub fn local(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string()
}

/// The value of a `datetime-local` input (seconds included) for a time.
pub fn input_value(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone)
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

/// A `datetime-local` input's value, read in the office's zone.
pub fn parse_input(field: &str, value: &str, zone: Tz) -> Result<DateTime<Utc>, AppError> {
    let value = value.trim();
    let parsed = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| chrono::NaiveDateTime::parse_from_str(value, f).ok())
    .ok_or_else(|| AppError::invalid(field, Rule::NotDateTime))?;
    parsed
        .and_local_timezone(zone)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| AppError::invalid(field, Rule::NotDateTime))
}

/// Like `parse_input`, but a blank field means `now` (the moment the form was sent, not
/// the moment the page was opened).
pub fn parse_input_or(
    field: &str,
    value: Option<&str>,
    zone: Tz,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, AppError> {
    match value.map(str::trim) {
        None | Some("") => Ok(now),
        Some(v) => parse_input(field, v, zone),
    }
}

/// A remaining or overdue span as `4:59:50` (hours may exceed 24).
pub fn span(seconds: i64) -> String {
    let s = seconds.abs();
    format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
}

/// A field's Chinese name (the API's name when none is known).
pub fn field_name(name: &str) -> String {
    let base = name.split(['[', '.']).next().unwrap_or(name);
    let zh = match name {
        "publication.summary" => Some("发布内容"),
        "publication.channel" => Some("发布渠道"),
        "publication.url" => Some("发布链接"),
        "publication.published_at" => Some("发布时间"),
        _ => None,
    };
    let zh = zh.unwrap_or(match base {
        "title" => "标题",
        "summary" => "摘要",
        "source_channel" => "来源渠道",
        "source_url" => "原文链接",
        "discovered_at" => "发现时间",
        "severity" => "级别",
        "category" => "类型",
        "special_topic" => "专项",
        "responsible_units" => "责任单位",
        "publication" => "发布情况",
        "occurred_at" => "发生时间",
        "channel" => "渠道",
        "url" => "链接",
        "venue" => "地点",
        "spokesperson" => "发言人",
        "response_type" => "回应方式",
        "note" => "备注",
        "reason" => "理由",
        "status" => "状态",
        "login" => "登录名",
        "display_name" => "姓名",
        "password" => "密码",
        "new_password" => "新密码",
        "current_password" => "当前密码",
        "unit_code" | "unit" => "单位",
        "role" => "角色",
        "name" => "名称",
        "code" => "代码",
        "email" => "邮箱",
        "expires_in_days" => "有效天数",
        "confirm_password" => "确认新密码",
        "kind" => "节点类型",
        "authority" => "移交机关",
        "referred_at" => "移交时间",
        "their_reference" => "对方编号",
        "started_at" => "开始时间",
        "due_at" => "时限",
        "stopped_at" => "停止时间",
        "evidence" => "证明",
        "dismissal_reason" => "排除理由",
        "first_responsible" => "第一责任单位",
        "recipient" => "收件人",
        "step" => "提醒",
        "parent_code" => "上级单位",
        "level" => "级别",
        "roles" => "职责",
        "contact_id" => "联系人",
        "mobile" => "手机",
        "webhook" => "Webhook 地址",
        "quiet_hours" => "免打扰时段",
        "secret" => "加签密钥",
        "wecom_userid" => "企业微信账号",
        "notification_rules" => "提醒方式",
        "from" => "开始日期",
        "to" => "结束日期",
        "discovered_from" => "发现时间起",
        "discovered_to" => "发现时间止",
        "limit" => "每页条数",
        "cursor" => "翻页标记",
        "q" => "搜索词",
        "after" => "起始序号",
        _ => return name.to_owned(),
    });
    zh.to_owned()
}

/// The rule a field broke, in Chinese.
fn phrase(rule: &Rule) -> String {
    match rule {
        Rule::Empty => "不能为空".into(),
        Rule::TooLong(n) => format!("最多 {n} 个字符"),
        Rule::TooShort(n) => format!("至少 {n} 个字符"),
        Rule::ControlCharacters => "不能含控制字符".into(),
        Rule::InvisibleCharacters => "不能含不可见字符或文字方向控制字符".into(),
        Rule::NotUrl => "须为 http:// 或 https:// 开头的网址".into(),
        Rule::InFuture => "不能晚于当前时间".into(),
        Rule::BeforeDiscovery => "不能早于发现时间".into(),
        Rule::TooOld(days) => format!("须在最近 {days} 天以内"),
        Rule::NotDateTime => "须为日期和时间".into(),
        Rule::OutOfRange(min, max) => format!("须在 {min} 到 {max} 之间"),
        Rule::LoginShape => "须为 2–32 个字母、数字或 . _ -".into(),
        Rule::RequiredForMilestone => "此类节点必须填写".into(),
        Rule::RequiredForStatement => "发布权威信息须填写链接".into(),
        Rule::UnknownClockKind => "不是本系统的时限类型".into(),
        Rule::SubmittedAsBriefing => "此项须撰写并报送舆情快报".into(),
        Rule::NotBriefingKind => "不是快报类型（首报、续报、终报）".into(),
        Rule::WecomUserIdShape => "企业微信账号为 1–64 位字母、数字或 _ - @ .".into(),
        Rule::MobileShape => "手机号为 11 位数字，以 13–19 开头".into(),
        Rule::ChannelTwice(_) => "同一提醒方式只能设置一次".into(),
        Rule::RequiredForRobot => "钉钉、飞书机器人需填写加签密钥".into(),
        Rule::NoAddressOn(_) => "此人没有该渠道的账号或号码".into(),
        Rule::NotTimeOfDay => "请填写时刻，如 22:00".into(),
        Rule::NotResponsibleUnit(code) => format!("单位 {code} 不是本舆情的责任单位"),
        Rule::NoParentUnit(code) => format!("单位 {code} 没有上级单位，无需上报"),
        Rule::DismissalNeedsReason => "排除须说明理由".into(),
        Rule::ClosingNeedsPublication => "办结须填写发布的内容和渠道".into(),
        Rule::NoResponsibleUnit => "至少选择一个责任单位".into(),
        Rule::SeveralFirstResponsible => "只能有一个第一责任单位".into(),
        Rule::UnknownValue { .. } => "不是可选的值".into(),
        Rule::Missing => "必须填写".into(),
        Rule::Malformed(_) => "格式不正确".into(),
        Rule::NulCharacters => "不能含空字符".into(),
        Rule::Negative => "不能为负数".into(),
        Rule::NotBefore(other) => format!("不能早于{}", field_name(other)),
        Rule::NotAfter(other) => format!("须晚于{}", field_name(other)),
        Rule::PeriodTooLong(days) => format!("：一份报表最多覆盖 {days} 天"),
        Rule::NotLocalDay => "不是本地时区的有效日期".into(),
        Rule::NotCursor => "不是本列表的翻页标记".into(),
        Rule::NotEmail => "不是有效的邮箱地址".into(),
        Rule::NoRole => "至少选择一个角色".into(),
        Rule::UnknownContact => "：联系人不存在".into(),
        Rule::UnitCodeShape => "须为 1–32 个字母、数字、- 或 _".into(),
        Rule::UnknownUnit(code) => format!("：单位 {code} 不存在"),
        Rule::UnitDeactivated(code) => format!("：单位 {code} 已停用"),
        Rule::ListedTwice(code) => format!("：单位 {code} 重复"),
        Rule::TooManyUnits(n) => format!("最多 {n} 个"),
        Rule::LevelBelow { child, parent } => {
            format!("：{}不能隶属于{}", level(child), level(parent))
        }
        Rule::ChildLevelBelow { child, level: own } => {
            format!("：下级有{}，不能隶属于{}", level(child), level(own))
        }
        Rule::BelowItself => "：不能隶属于本单位或其下级".into(),
        Rule::EntriesDiffer => "：两次输入的新密码不一致".into(),
    }
}

/// A unit level's Chinese name, from its key.
fn level(key: &'static str) -> &'static str {
    key.parse::<UnitLevel>().map_or(key, UnitLevel::label_zh)
}

/// A validation error as shown next to its field: the message only.
pub fn field_message(e: &AppError) -> Option<(String, String)> {
    match e {
        AppError::Invalid { field: name, rule } => Some((
            name.clone(),
            format!("{}{}", field_name(name), phrase(rule)),
        )),
        _ => None,
    }
}

pub fn error_headline(e: &AppError) -> &'static str {
    match e {
        AppError::Invalid { .. } | AppError::BadRequest(_) => "填写有误",
        AppError::Unauthorized => "请先登录",
        AppError::Forbidden(_) => "无权执行此操作",
        AppError::NotFound(_) => "未找到",
        AppError::VersionMismatch { .. } => "该舆情已被他人修改",
        AppError::Conflict { .. } => "与现有记录冲突",
        AppError::TooMany(_) => "请求过多",
        AppError::Unavailable { .. } => "服务繁忙，请稍后重试",
        _ => "出错了",
    }
}

pub fn error_message(e: &AppError) -> String {
    match e {
        AppError::Invalid { .. } => field_message(e).map(|(_, m)| m).unwrap_or_default(),
        AppError::VersionMismatch { .. } => {
            "您看到的是旧版本，刚才的修改未保存。请重新打开本页查看最新内容后再操作。".into()
        }
        AppError::Forbidden(m) => format!("您的账号角色或单位范围不允许此操作。（{m}）"),
        AppError::NotFound(m) => format!("记录不存在或已删除。（{m}）"),
        AppError::Conflict { code, .. } => match code {
            ConflictCode::IncidentClosed => "该舆情已办结或已排除，请登记新的舆情。".into(),
            ConflictCode::InvalidTransition => "当前状态不能转为所选状态，请刷新页面。".into(),
            ConflictCode::ReferralRequired => {
                "虚假信息须先记录移交公安机关或网信部门，才能办结。".into()
            }
            ConflictCode::IdempotencyKeyReused | ConflictCode::IdempotencyRace => {
                "同一登记请求正在处理或已处理，请刷新页面查看。".into()
            }
            ConflictCode::UnitCodeTaken => "该单位代码已被使用。".into(),
            ConflictCode::LoginTaken => "该登录名已被使用。".into(),
        },
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_messages_read_in_chinese() {
        let e = AppError::invalid("title", Rule::TooLong(200));
        assert_eq!(field_message(&e).unwrap().1, "标题最多 200 个字符");
        let e = AppError::invalid("responsible_units[0].code", Rule::ListedTwice("99".into()));
        assert_eq!(field_message(&e).unwrap().1, "责任单位：单位 99 重复");
        let e = AppError::invalid(
            "parent_code",
            Rule::LevelBelow {
                child: "city_bureau",
                parent: "district_bureau",
            },
        );
        assert_eq!(
            field_message(&e).unwrap().1,
            "上级单位：市局不能隶属于区县局"
        );
    }

    #[test]
    fn every_typed_rule_reads_in_chinese() {
        let rules = [
            Rule::Empty,
            Rule::TooLong(5),
            Rule::TooShort(5),
            Rule::ControlCharacters,
            Rule::InvisibleCharacters,
            Rule::NotUrl,
            Rule::InFuture,
            Rule::BeforeDiscovery,
            Rule::TooOld(366),
            Rule::NotDateTime,
            Rule::OutOfRange(1, 9),
            Rule::LoginShape,
            Rule::RequiredForMilestone,
            Rule::RequiredForStatement,
            Rule::DismissalNeedsReason,
            Rule::ClosingNeedsPublication,
            Rule::NoResponsibleUnit,
            Rule::SeveralFirstResponsible,
            Rule::UnknownClockKind,
            Rule::SubmittedAsBriefing,
            Rule::NotBriefingKind,
            Rule::WecomUserIdShape,
            Rule::MobileShape,
            Rule::ChannelTwice("sms".into()),
            Rule::RequiredForRobot,
            Rule::NoAddressOn("sms".into()),
            Rule::NotTimeOfDay,
            Rule::NotResponsibleUnit("1".into()),
            Rule::NoParentUnit("1".into()),
            Rule::UnknownValue {
                value: "x".into(),
                allowed: &["a"],
            },
            Rule::Missing,
            Rule::Malformed("x".into()),
            Rule::NulCharacters,
            Rule::Negative,
            Rule::NotBefore("from"),
            Rule::NotAfter("from"),
            Rule::PeriodTooLong(9),
            Rule::NotLocalDay,
            Rule::NotCursor,
            Rule::NotEmail,
            Rule::NoRole,
            Rule::UnknownContact,
            Rule::UnitCodeShape,
            Rule::UnknownUnit("x".into()),
            Rule::UnitDeactivated("x".into()),
            Rule::ListedTwice("x".into()),
            Rule::TooManyUnits(9),
            Rule::LevelBelow {
                child: "x",
                parent: "y",
            },
            Rule::ChildLevelBelow {
                child: "x",
                level: "y",
            },
            Rule::BelowItself,
            Rule::EntriesDiffer,
        ];
        for rule in rules {
            let zh = phrase(&rule);
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{rule:?}: {zh}"
            );
        }
    }

    #[test]
    fn local_inputs_are_office_time() {
        let zone: Tz = "Asia/Shanghai".parse().unwrap();
        let at = parse_input("x", "2026-11-22T08:00:30", zone).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-11-22T00:00:30+00:00");
        assert_eq!(input_value(at, zone), "2026-11-22T08:00:30");
        assert_eq!(span(4 * 3600 + 59 * 60 + 50), "4:59:50");
    }
}
