//! The incident's timeline as a leader reads it: one Chinese sentence per entry, built
//! from what the entry's kind records (the API keeps the recorded JSON as it is).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value};

use super::labels;
use crate::domain::clock::{ClockKind, ClockRules, ClockState, StopReason};
use crate::domain::escalation::Step;
use crate::domain::incident::{
    Category, Event, EventKind, ReferralAuthority, Severity, SourceChannel, SpecialTopic, Status,
};

/// What a sentence needs besides the entry: unit names by code and the office's zone.
pub struct Reader<'a> {
    pub units: &'a HashMap<String, String>,
    pub zone: Tz,
    /// Names the clock kinds.
    pub clocks: &'a ClockRules,
}

impl Reader<'_> {
    pub fn headline(kind: EventKind) -> &'static str {
        match kind {
            EventKind::Created => "登记",
            EventKind::Updated => "修改",
            EventKind::StatusChanged => "状态变更",
            EventKind::ReferralRecorded => "记录移交",
            EventKind::ClocksStarted => "开始计时",
            EventKind::ClocksCancelled => "停止计时",
            EventKind::ClocksRetimed => "重新计时",
            EventKind::MilestoneRecorded => "记录完成节点",
            EventKind::Acknowledged => "确认知悉",
            EventKind::ClockAtRisk => "临近时限",
            EventKind::ClockBreached => "已超时",
        }
    }

    /// The entry's detail as sentences.
    pub fn detail(&self, e: &Event) -> String {
        let c = &e.changes;
        match e.kind {
            EventKind::Created => self.logged(c),
            EventKind::Updated | EventKind::StatusChanged => self.changed(c),
            EventKind::ReferralRecorded => self.referral(c),
            EventKind::ClocksStarted => self.started(c),
            EventKind::ClocksCancelled => {
                let kinds = list(c.get("kinds"), |v| self.kind(Some(v)));
                let reason = text(c.get("reason")).map(|r| StopReason::describe(&r, self.clocks));
                format!("{kinds}停止计时：{}。", reason.unwrap_or_default())
            }
            EventKind::ClocksRetimed => format!(
                "{}的时限由 {} 改为 {}（随发现时间调整）。",
                self.kind(c.get("kind")),
                self.time(c.pointer("/due_at/before")),
                self.time(c.pointer("/due_at/after")),
            ),
            EventKind::MilestoneRecorded => self.milestone(c),
            EventKind::Acknowledged => self.acknowledged(c),
            EventKind::ClockAtRisk | EventKind::ClockBreached => format!(
                "{}{}（时限 {}）。",
                self.kind(c.get("kind")),
                Self::headline(e.kind),
                self.time(c.get("due_at")),
            ),
        }
    }

    /// 登记: what was logged, field by field.
    fn logged(&self, c: &Value) -> String {
        let Some(fields) = c.as_object() else {
            return String::new();
        };
        in_order(fields)
            .filter_map(|(field, v)| {
                let after = v.get("after").unwrap_or(v);
                (!after.is_null()).then(|| {
                    format!(
                        "{}：{}",
                        labels::field_name(field),
                        self.value(field, after)
                    )
                })
            })
            .collect::<Vec<_>>()
            .join("；")
    }

    /// 修改, 状态变更: each field from its old value to its new one.
    fn changed(&self, c: &Value) -> String {
        let Some(fields) = c.as_object() else {
            return String::new();
        };
        in_order(fields)
            .map(|(field, v)| {
                let (before, after) = (&v["before"], &v["after"]);
                let name = labels::field_name(field);
                if before.is_null() {
                    format!("{name}：{}", self.value(field, after))
                } else {
                    format!(
                        "{name}由「{}」改为「{}」",
                        self.value(field, before),
                        self.value(field, after)
                    )
                }
            })
            .collect::<Vec<_>>()
            .join("；")
    }

    fn referral(&self, c: &Value) -> String {
        let authority = text(c.get("authority"))
            .and_then(|a| a.parse::<ReferralAuthority>().ok())
            .map_or("有关部门", ReferralAuthority::label_zh);
        let theirs = text(c.get("their_reference"))
            .map(|r| format!("，对方编号 {r}"))
            .unwrap_or_default();
        format!(
            "于 {} 移交{authority}{theirs}。",
            self.time(c.get("referred_at"))
        )
    }

    /// A kind as people read it ("时限" when the entry names none).
    fn kind(&self, v: Option<&Value>) -> String {
        match text(v).and_then(|k| k.parse::<ClockKind>().ok()) {
            Some(kind) => self.clocks.label(&kind),
            None => "时限".into(),
        }
    }

    fn started(&self, c: &Value) -> String {
        let clocks = c.get("clocks").and_then(Value::as_array);
        let each = clocks.into_iter().flatten().map(|clock| {
            format!(
                "{}须在 {} 前完成",
                self.kind(clock.get("kind")),
                self.time(clock.get("due_at"))
            )
        });
        format!("{}。", each.collect::<Vec<_>>().join("；"))
    }

    fn milestone(&self, c: &Value) -> String {
        let evidence = c.get("evidence").and_then(Value::as_object);
        let field = |name: &str| evidence.and_then(|e| text(e.get(name)));
        let proof = match (
            field("channel"),
            field("url"),
            field("venue"),
            field("spokesperson"),
        ) {
            (Some(channel), url, _, _) => {
                format!(
                    "，发布渠道 {channel}{}",
                    url.map(|u| format!("（{u}）")).unwrap_or_default()
                )
            }
            (None, _, Some(venue), who) => {
                format!(
                    "，地点 {venue}{}",
                    who.map(|w| format!("，发言人 {w}")).unwrap_or_default()
                )
            }
            _ => String::new(),
        };
        let outcome = match text(c.get("clock_state")).and_then(|s| s.parse::<ClockState>().ok()) {
            Some(state) => format!("计时结束：{}", state.label_zh()),
            None => "计时此前已结束，仅作记录".into(),
        };
        format!(
            "{}于 {}{proof}；{outcome}。",
            self.kind(c.get("kind")),
            self.time(c.get("occurred_at"))
        )
    }

    fn time(&self, v: Option<&Value>) -> String {
        text(v)
            .and_then(|t| t.parse::<DateTime<Utc>>().ok())
            .map_or_else(|| "（未知）".into(), |t| labels::local(t, self.zone))
    }

    /// A field's value as people read it.
    fn value(&self, field: &str, v: &Value) -> String {
        let label = |s: &str| -> Option<&'static str> {
            match field {
                "severity" => s.parse::<Severity>().ok().map(Severity::label_zh),
                "category" => s.parse::<Category>().ok().map(Category::label_zh),
                "special_topic" => s.parse::<SpecialTopic>().ok().map(SpecialTopic::label_zh),
                "source_channel" => s.parse::<SourceChannel>().ok().map(SourceChannel::label_zh),
                "status" => s.parse::<Status>().ok().map(Status::label_zh),
                _ => None,
            }
        };
        match v {
            Value::Null => "（无）".into(),
            Value::String(s) if field.ends_with("_at") => s
                .parse::<DateTime<Utc>>()
                .map_or_else(|_| s.clone(), |t| labels::local(t, self.zone)),
            Value::String(s) => label(s).map_or_else(|| s.clone(), str::to_owned),
            Value::Array(units) if field == "responsible_units" => {
                if units.is_empty() {
                    "（无）".into()
                } else {
                    list(Some(v), |u| self.unit(u))
                }
            }
            Value::Object(map) if field == "publication" => self.publication(map),
            other => other.to_string(),
        }
    }

    fn unit(&self, u: &Value) -> String {
        let code = text(u.get("code")).unwrap_or_default();
        let name = self.units.get(&code).cloned().unwrap_or(code);
        if u.get("first_responsible").and_then(Value::as_bool) == Some(true) {
            format!("{name}（第一责任单位）")
        } else {
            name
        }
    }

    fn publication(&self, p: &Map<String, Value>) -> String {
        let summary = text(p.get("summary")).unwrap_or_default();
        let channel = text(p.get("channel")).unwrap_or_default();
        let url = text(p.get("url"))
            .map(|u| format!("，{u}"))
            .unwrap_or_default();
        format!(
            "{summary}（{channel}，{}{url}）",
            self.time(p.get("published_at"))
        )
    }

    fn acknowledged(&self, c: &Value) -> String {
        let by = text(c.get("by")).unwrap_or_default();
        let step = text(c.get("step"))
            .and_then(|k| Step::label_of_key(&k))
            .unwrap_or_else(|| "提醒".into());
        let stopped = c
            .get("repeats_stopped")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let rest = if stopped > 0 {
            format!("，此后的 {stopped} 次重复提醒不再发送")
        } else {
            String::new()
        };
        format!("{by}已知悉{}的{step}{rest}。", self.kind(c.get("clock")))
    }
}

/// Fields as a reader expects them: what it is, how grave, where from, who answers.
const FIELD_ORDER: &[&str] = &[
    "status",
    "title",
    "severity",
    "category",
    "special_topic",
    "source_channel",
    "source_url",
    "discovered_at",
    "responsible_units",
    "summary",
    "dismissal_reason",
    "publication",
];

fn in_order(fields: &Map<String, Value>) -> impl Iterator<Item = (&String, &Value)> {
    let mut sorted: Vec<_> = fields.iter().collect();
    sorted.sort_by_key(|(name, _)| {
        FIELD_ORDER
            .iter()
            .position(|f| f == name)
            .unwrap_or(FIELD_ORDER.len())
    });
    sorted.into_iter()
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn list(v: Option<&Value>, each: impl Fn(&Value) -> String) -> String {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(each)
        .collect::<Vec<_>>()
        .join("、")
}
