//! The incident's timeline as a leader reads it: one Chinese sentence per entry, rendered
//! from the entry's typed change (the API keeps the recorded JSON as it is).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::labels;
use crate::domain::clock::{ClockRules, ClockState, Evidence, StopReason};
use crate::domain::escalation::Step;
use crate::domain::incident::{Event, EventKind, Publication, UnitRef};
use crate::domain::timeline::{
    Acknowledged, Change, ClocksStarted, Field, FieldChanges, FieldValue, MilestoneRecorded,
    ReferralRecorded,
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
            EventKind::BriefingRead => "上级已阅快报",
        }
    }

    /// The entry's detail as sentences (none for an entry this version cannot read).
    pub fn detail(&self, e: &Event) -> String {
        let Some(change) = Change::read(e.kind, &e.changes) else {
            return String::new();
        };
        match &change {
            Change::Logged(fields) => self.logged(fields),
            Change::Updated(fields) | Change::StatusChanged(fields) => self.changed(fields),
            Change::ReferralRecorded(r) => self.referral(r),
            Change::ClocksStarted(c) => self.started(c),
            Change::ClocksCancelled(c) => {
                let kinds: Vec<String> = c.kinds.iter().map(|k| self.clocks.label(k)).collect();
                let reason = StopReason::describe(&c.reason, self.clocks);
                format!("{}停止计时：{reason}。", kinds.join("、"))
            }
            Change::ClocksRetimed(c) => format!(
                "{}的时限由 {} 改为 {}（随发现时间调整）。",
                self.clocks.label(&c.kind),
                self.time(c.due_at.before),
                self.time(c.due_at.after),
            ),
            Change::MilestoneRecorded(m) => self.milestone(m),
            Change::Acknowledged(a) => self.acknowledged(a),
            Change::BriefingRead(b) => format!(
                "{}已阅第 {} 版快报（{}）。",
                b.unit,
                b.version,
                self.clocks.label(&b.kind)
            ),
            Change::ClockAtRisk(c) | Change::ClockBreached(c) => format!(
                "{}{}（时限 {}）。",
                self.clocks.label(&c.kind),
                Self::headline(e.kind),
                self.time(c.due_at),
            ),
        }
    }

    /// 登记: what was logged, field by field.
    fn logged(&self, fields: &FieldChanges) -> String {
        fields
            .iter()
            .filter(|c| c.after != FieldValue::None)
            .map(|c| format!("{}：{}", field_name(c.field), self.value(&c.after)))
            .collect::<Vec<_>>()
            .join("；")
    }

    /// 修改, 状态变更: each field from its old value to its new one.
    fn changed(&self, fields: &FieldChanges) -> String {
        fields
            .iter()
            .map(|c| {
                let name = field_name(c.field);
                if c.before == FieldValue::None {
                    format!("{name}：{}", self.value(&c.after))
                } else {
                    format!(
                        "{name}由「{}」改为「{}」",
                        self.value(&c.before),
                        self.value(&c.after)
                    )
                }
            })
            .collect::<Vec<_>>()
            .join("；")
    }

    fn referral(&self, r: &ReferralRecorded) -> String {
        let theirs = r
            .their_reference
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(|t| format!("，对方编号 {t}"))
            .unwrap_or_default();
        format!(
            "于 {} 移交{}{theirs}。",
            self.time(r.referred_at),
            r.authority.label_zh()
        )
    }

    fn started(&self, c: &ClocksStarted) -> String {
        let each = c.clocks.iter().map(|clock| {
            format!(
                "{}须在 {} 前完成",
                self.clocks.label(&clock.kind),
                self.time(clock.due_at)
            )
        });
        format!("{}。", each.collect::<Vec<_>>().join("；"))
    }

    fn milestone(&self, m: &MilestoneRecorded) -> String {
        let proof = match &m.evidence {
            Evidence::Publication { channel, url } => format!("，发布渠道 {channel}（{url}）"),
            Evidence::Meeting {
                venue,
                spokesperson,
            } => format!("，地点 {venue}，发言人 {spokesperson}"),
            Evidence::Response { response_type, url } => {
                format!("，{}（{url}）", response_type.label_zh())
            }
            Evidence::Briefing {
                version, to_unit, ..
            } => format!("，第 {version} 版快报报送 {to_unit}"),
        };
        let last = if m.is_final {
            "，为最后一次发布"
        } else {
            ""
        };
        let outcome = match m.clock_state {
            Some(state) => format!("计时结束：{}", ClockState::from(state).label_zh()),
            None => "计时此前已结束，仅作记录".into(),
        };
        format!(
            "{}于 {}{proof}{last}；{outcome}。",
            self.clocks.label(&m.kind),
            self.time(m.occurred_at)
        )
    }

    fn time(&self, at: DateTime<Utc>) -> String {
        labels::local(at, self.zone)
    }

    /// A field's value as people read it.
    fn value(&self, v: &FieldValue) -> String {
        match v {
            FieldValue::None => "（无）".into(),
            FieldValue::Text(s) => s.clone(),
            FieldValue::Time(at) => self.time(*at),
            FieldValue::Severity(s) => s.label_zh().into(),
            FieldValue::Category(c) => c.label_zh().into(),
            FieldValue::SpecialTopic(t) => t.label_zh().into(),
            FieldValue::SourceChannel(c) => c.label_zh().into(),
            FieldValue::Status(s) => s.label_zh().into(),
            FieldValue::Units(units) if units.is_empty() => "（无）".into(),
            FieldValue::Units(units) => units
                .iter()
                .map(|u| self.unit(u))
                .collect::<Vec<_>>()
                .join("、"),
            FieldValue::Publication(p) => self.publication(p),
        }
    }

    fn unit(&self, u: &UnitRef) -> String {
        let name = self.units.get(&u.code).unwrap_or(&u.code).clone();
        if u.first_responsible {
            format!("{name}（第一责任单位）")
        } else {
            name
        }
    }

    fn publication(&self, p: &Publication) -> String {
        let url = p.url.as_ref().map(|u| format!("，{u}")).unwrap_or_default();
        format!(
            "{}（{}，{}{url}）",
            p.summary,
            p.channel,
            self.time(p.published_at)
        )
    }

    fn acknowledged(&self, a: &Acknowledged) -> String {
        let step = Step::label_of_key(&a.step).unwrap_or_else(|| "提醒".into());
        let rest = if a.repeats_stopped > 0 {
            format!("，此后的 {} 次重复提醒不再发送", a.repeats_stopped)
        } else {
            String::new()
        };
        format!(
            "{}已知悉{}的{step}{rest}。",
            a.by,
            self.clocks.label(&a.clock)
        )
    }
}

/// A field's Chinese name.
fn field_name(field: Field) -> String {
    labels::field_name(field.as_str())
}
