//! Quiet hours (免打扰时段) of an office, in its time zone: early warnings that would
//! wake people at night wait for the window's end, unless the deadline itself falls
//! inside the window (then waiting would be too late). Breaches, repeats, the new-major
//! notice and reports are never held (`Step::may_wait_for_quiet_hours`).

use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::rule::Rule;

/// A daily window, `from` up to `to`, which may pass midnight (22:00–07:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuietHours {
    #[schema(value_type = String, example = "22:00")]
    #[serde(with = "hh_mm")]
    pub from: NaiveTime,
    #[schema(value_type = String, example = "07:00")]
    #[serde(with = "hh_mm")]
    pub to: NaiveTime,
}

mod hh_mm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%H:%M").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let text = String::deserialize(d)?;
        NaiveTime::parse_from_str(&text, "%H:%M").map_err(serde::de::Error::custom)
    }
}

impl QuietHours {
    /// "22:00" to "07:00": two times of day, different.
    pub fn parse(field: &str, from: &str, to: &str) -> Result<Self, AppError> {
        let time = |name: &str, value: &str| {
            NaiveTime::parse_from_str(value.trim(), "%H:%M")
                .map_err(|_| AppError::invalid(format!("{field}.{name}"), Rule::NotTimeOfDay))
        };
        let (from, to) = (time("from", from)?, time("to", to)?);
        if from == to {
            return Err(AppError::invalid(
                format!("{field}.to"),
                Rule::NotAfter("from"),
            ));
        }
        Ok(Self { from, to })
    }

    /// The end of the window `at` falls in, if it falls in one.
    pub fn window_end(&self, at: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
        let local = at.with_timezone(&zone);
        let (day, t) = (local.date_naive(), local.time());
        let end_day = if self.from < self.to {
            (self.from <= t && t < self.to).then_some(day)?
        } else if t >= self.from {
            day.succ_opt()?
        } else if t < self.to {
            day
        } else {
            return None;
        };
        end_day
            .and_time(self.to)
            .and_local_timezone(zone)
            .earliest()
            .map(|end| end.with_timezone(&Utc))
    }

    /// When an early warning due `at`, for a deadline at `deadline`, goes: at the end of
    /// the quiet window it falls in, when the deadline is later than that; otherwise None
    /// (it goes when due).
    pub fn hold(
        &self,
        at: DateTime<Utc>,
        deadline: DateTime<Utc>,
        zone: Tz,
    ) -> Option<DateTime<Utc>> {
        self.window_end(at, zone).filter(|end| *end < deadline)
    }
}

/// When a planned message goes: `due_at`, or, for an early warning of an office with
/// quiet hours, the window's end; and the time it was first due when held. `step_due` is
/// the step's own moment (a delayed method goes later than its step).
pub fn due_with_quiet_hours(
    step: &crate::domain::escalation::Step,
    step_due: DateTime<Utc>,
    due_at: DateTime<Utc>,
    quiet: Option<&QuietHours>,
    zone: Tz,
) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
    let held = quiet
        .filter(|_| step.may_wait_for_quiet_hours())
        .zip(step.deadline_of(step_due))
        .and_then(|(q, deadline)| q.hold(due_at, deadline, zone));
    match held {
        Some(end) => (end, Some(due_at)),
        None => (due_at, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shanghai(s: &str) -> DateTime<Utc> {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
            .unwrap()
            .and_local_timezone(chrono_tz::Asia::Shanghai)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_warning_inside_the_night_waits_unless_the_deadline_does_not() {
        let zone = chrono_tz::Asia::Shanghai;
        let night = QuietHours::parse("q", "22:00", "07:00").unwrap();
        // 23:00 warning for a 09:00 deadline: waits until 07:00.
        assert_eq!(
            night.hold(
                shanghai("2026-12-07 23:00"),
                shanghai("2026-12-08 09:00"),
                zone
            ),
            Some(shanghai("2026-12-08 07:00"))
        );
        // 02:00 warning, deadline 04:00 (inside the window): never held.
        assert_eq!(
            night.hold(
                shanghai("2026-12-08 02:00"),
                shanghai("2026-12-08 04:00"),
                zone
            ),
            None
        );
        // Daytime: not in the window.
        assert_eq!(
            night.hold(
                shanghai("2026-12-08 12:00"),
                shanghai("2026-12-08 18:00"),
                zone
            ),
            None
        );
        // A window within one day (12:00–14:00 lunch).
        let lunch = QuietHours::parse("q", "12:00", "14:00").unwrap();
        assert_eq!(
            lunch.window_end(shanghai("2026-12-08 13:00"), zone),
            Some(shanghai("2026-12-08 14:00"))
        );
        assert_eq!(lunch.window_end(shanghai("2026-12-08 14:00"), zone), None);
        assert!(QuietHours::parse("q", "22:00", "22:00").is_err());
        assert!(QuietHours::parse("q", "25:00", "07:00").is_err());
    }
}
