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
    /// Anything else, in English as written where it was found.
    Other(String),
}

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
            Self::Other(text) => f.write_str(text),
        }
    }
}

impl From<&str> for Rule {
    fn from(text: &str) -> Self {
        Self::Other(text.to_owned())
    }
}

impl From<String> for Rule {
    fn from(text: String) -> Self {
        Self::Other(text)
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
            Rule::from("unit 99 is listed twice").to_string(),
            "unit 99 is listed twice"
        );
    }
}
