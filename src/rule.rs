//! The rule a field broke, as a type: the API says it in English (its stable text), the
//! console in Chinese, each rendered from the variant rather than by matching words.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    Empty,
    TooLong(usize),
    TooShort(usize),
    ControlCharacters,
    InvisibleCharacters,
    NotUrl,
    InFuture,
    BeforeDiscovery,
    /// Older than this many days.
    TooOld(u32),
    NotDateTime,
    /// Outside min..=max.
    OutOfRange(i64, i64),
    /// A login: 2–32 letters, digits, '.', '_' or '-'.
    LoginShape,
    RequiredForMilestone,
    RequiredForStatement,
    DismissalNeedsReason,
    ClosingNeedsPublication,
    NoResponsibleUnit,
    SeveralFirstResponsible,
    /// A clock kind this service's `clocks.kinds` does not have.
    UnknownClockKind,
    /// A kind met by a briefing to the parent unit, which is submitted as one.
    SubmittedAsBriefing,
    /// A 企业微信 user id: 1–64 letters, digits, '_', '-', '@' or '.'.
    WecomUserIdShape,
    /// A mobile number: 11 digits from 1[3-9], optionally after +86.
    MobileShape,
    /// A time of day as HH:MM.
    NotTimeOfDay,
    /// A contact without an address on this channel.
    NoAddressOn(String),
    /// A 钉钉 or 飞书 robot without its signing secret.
    RequiredForRobot,
    /// A channel named twice in one notification rule.
    ChannelTwice(String),
    /// A kind whose milestone is not a briefing.
    NotBriefingKind,
    /// A unit that is not among the incident's responsible units.
    NotResponsibleUnit(String),
    /// A unit with no parent to report to.
    NoParentUnit(String),
    /// A value a closed list does not have.
    UnknownValue {
        value: String,
        allowed: &'static [&'static str],
    },
    /// A body or query field that is not there.
    Missing,
    /// A body the decoder could not read as the field's type; its own words, for the API.
    Malformed(String),
    NulCharacters,
    Negative,
    /// Must not be before the named field.
    NotBefore(&'static str),
    /// Must be after the named field.
    NotAfter(&'static str),
    /// A period longer than this many days.
    PeriodTooLong(u64),
    NotLocalDay,
    NotCursor,
    NotEmail,
    NoRole,
    UnknownContact,
    /// Unit codes: 1–32 letters, digits, '-' or '_'.
    UnitCodeShape,
    UnknownUnit(String),
    UnitDeactivated(String),
    /// A unit listed twice among the responsible ones.
    ListedTwice(String),
    /// More responsible units than this.
    TooManyUnits(usize),
    /// A unit of level `child` under one of level `parent` (the levels' keys).
    LevelBelow {
        child: &'static str,
        parent: &'static str,
    },
    /// This unit has a child of level `child`, which may not sit below `level`.
    ChildLevelBelow {
        child: &'static str,
        level: &'static str,
    },
    BelowItself,
    /// A password typed twice, differently.
    EntriesDiffer,
}

impl std::error::Error for Rule {}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("must not be empty"),
            Self::TooLong(n) => write!(f, "must be at most {n} characters"),
            Self::TooShort(n) => write!(f, "must be at least {n} characters"),
            Self::ControlCharacters => f.write_str("must not contain control characters"),
            Self::InvisibleCharacters => {
                f.write_str("must not contain invisible or text-direction characters")
            }
            Self::NotUrl => f.write_str("must be an http:// or https:// URL"),
            Self::InFuture => f.write_str("must not be in the future"),
            Self::BeforeDiscovery => f.write_str("must not be before discovered_at"),
            Self::TooOld(days) => write!(f, "must be within the last {days} days"),
            Self::NotDateTime => f.write_str("must be a date and time"),
            Self::OutOfRange(min, max) => write!(f, "must be between {min} and {max}"),
            Self::LoginShape => {
                f.write_str("must be 2 to 32 characters: letters, digits, '.', '_' or '-'")
            }
            Self::RequiredForMilestone => f.write_str("is required for this kind of milestone"),
            Self::RequiredForStatement => f.write_str("is required for a statement"),
            Self::DismissalNeedsReason => f.write_str("a dismissal needs a reason"),
            Self::ClosingNeedsPublication => {
                f.write_str("closing needs what was published and where")
            }
            Self::NoResponsibleUnit => f.write_str("name at least one responsible unit"),
            Self::SeveralFirstResponsible => {
                f.write_str("exactly one unit may be first_responsible")
            }
            Self::UnknownClockKind => f.write_str("is not a clock kind of this service"),
            Self::WecomUserIdShape => {
                f.write_str("must be 1 to 64 letters, digits, '_', '-', '@' or '.'")
            }
            Self::MobileShape => {
                f.write_str("must be a mainland mobile number: 11 digits starting 13–19")
            }
            Self::NotTimeOfDay => f.write_str("must be a time of day, HH:MM"),
            Self::NoAddressOn(channel) => {
                write!(f, "the contact has no address on {channel}")
            }
            Self::RequiredForRobot => {
                f.write_str("is required for a signed robot (钉钉, 飞书: 加签 secret)")
            }
            Self::ChannelTwice(channel) => write!(f, "channel {channel} is listed twice"),
            Self::NotBriefingKind => {
                f.write_str("is not a kind of briefing (a clock kind whose milestone is `briefing`)")
            }
            Self::NotResponsibleUnit(code) => {
                write!(f, "unit {code} is not responsible for this incident")
            }
            Self::NoParentUnit(code) => write!(f, "unit {code} has no parent unit to report to"),
            Self::SubmittedAsBriefing => f.write_str(
                "is met by a briefing to the parent unit: submit one to POST /api/v1/incidents/{id}/briefings",
            ),
            Self::UnknownValue { value, allowed } => write!(
                f,
                "unknown value {value:?}; expected one of: {}",
                allowed.join(", ")
            ),
            Self::Missing => f.write_str("is required"),
            Self::Malformed(text) => f.write_str(text),
            Self::NulCharacters => f.write_str("must not contain NUL characters"),
            Self::Negative => f.write_str("must not be negative"),
            Self::NotBefore(other) => write!(f, "must not be before {other}"),
            Self::NotAfter(other) => write!(f, "must be after {other}"),
            Self::PeriodTooLong(days) => write!(f, "a report covers at most {days} days"),
            Self::NotLocalDay => f.write_str("not a day in the office time zone"),
            Self::NotCursor => f.write_str("not a cursor from this listing"),
            Self::NotEmail => f.write_str("not an email address"),
            Self::NoRole => f.write_str("needs at least one role"),
            Self::UnknownContact => f.write_str("no such contact"),
            Self::UnitCodeShape => {
                f.write_str("must be 1–32 characters of letters, digits, '-' or '_'")
            }
            Self::UnknownUnit(code) => write!(f, "unknown unit {code}"),
            Self::UnitDeactivated(code) => write!(f, "unit {code} is deactivated"),
            Self::ListedTwice(code) => write!(f, "unit {code} is listed twice"),
            Self::TooManyUnits(n) => write!(f, "at most {n} responsible units"),
            Self::LevelBelow { child, parent } => {
                write!(f, "a {child} cannot sit below a {parent}")
            }
            Self::ChildLevelBelow { child, level } => {
                write!(f, "a {child} below this unit cannot sit below a {level}")
            }
            Self::BelowItself => f.write_str("a unit cannot move below itself"),
            Self::EntriesDiffer => f.write_str("the two entries differ"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The API's messages are part of its contract: the typed rules say exactly what the
    /// strings they replaced said.
    #[test]
    fn the_english_text_is_unchanged() {
        assert_eq!(
            Rule::TooLong(200).to_string(),
            "must be at most 200 characters"
        );
        assert_eq!(
            Rule::TooShort(10).to_string(),
            "must be at least 10 characters"
        );
        assert_eq!(
            Rule::TooOld(366).to_string(),
            "must be within the last 366 days"
        );
        assert_eq!(
            Rule::OutOfRange(1, 3660).to_string(),
            "must be between 1 and 3660"
        );
        assert_eq!(
            Rule::ListedTwice("99".into()).to_string(),
            "unit 99 is listed twice"
        );
        assert_eq!(
            Rule::LevelBelow {
                child: "city_bureau",
                parent: "district_bureau"
            }
            .to_string(),
            "a city_bureau cannot sit below a district_bureau"
        );
    }
}
