//! Names and codes as types, each parsed once with its one rule: a unit's code, a unit's
//! name, a person's name, an e-mail address. Past the edge nothing checks them again.

use std::fmt;
use std::ops::Deref;

use serde::Serialize;

use crate::error::AppError;
use crate::rule::Rule;

/// The longest name of a unit, a person or a token.
pub const NAME_MAX: usize = 100;

/// The longest unit code.
pub const CODE_MAX: usize = 32;

macro_rules! text_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }

            /// A value read back from the database, where only parsed values are written.
            pub fn stored(text: String) -> Self {
                Self(text)
            }
        }

        impl Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                String::schema()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

text_type!(
    /// An office's code, used in URLs and when naming responsible units: 1 to 32 ASCII
    /// letters, digits, `-` or `_`.
    UnitCode
);
text_type!(
    /// An office's name: trimmed, not blank, at most `NAME_MAX` characters.
    UnitName
);
text_type!(
    /// A person's name: trimmed, not blank, at most `NAME_MAX` characters.
    PersonName
);
text_type!(
    /// An API token's name: trimmed, not blank, at most `NAME_MAX` characters.
    TokenName
);
text_type!(
    /// A deliverable address, checked with the mail library that will send to it.
    Email
);

impl UnitCode {
    pub fn parse(field: &str, code: &str) -> Result<Self, AppError> {
        let code = code.trim();
        let valid = !code.is_empty()
            && code.len() <= CODE_MAX
            && code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if valid {
            Ok(Self(code.to_owned()))
        } else {
            Err(AppError::invalid(field, Rule::UnitCodeShape))
        }
    }
}

/// Names of units, people and tokens share one rule.
macro_rules! name_rule {
    ($($name:ident),+) => {
        $(impl $name {
            pub fn parse(field: &str, name: &str) -> Result<Self, AppError> {
                crate::domain::text::required(field, name, NAME_MAX).map(Self)
            }
        })+
    };
}

name_rule!(UnitName, PersonName, TokenName);

impl Email {
    pub fn parse(field: &str, email: &str) -> Result<Self, AppError> {
        email
            .trim()
            .parse::<lettre::Address>()
            .map(|a| Self(a.to_string()))
            .map_err(|_| AppError::invalid(field, Rule::NotEmail))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_name_is_checked_by_its_own_rule() {
        assert_eq!(UnitCode::parse("code", " sz-01 ").unwrap(), "sz-01");
        assert!(UnitCode::parse("code", "深圳").is_err());
        assert!(UnitCode::parse("code", &"a".repeat(CODE_MAX + 1)).is_err());
        assert_eq!(
            UnitName::parse("name", " 福田区税务局 ").unwrap(),
            "福田区税务局"
        );
        assert!(UnitName::parse("name", "  ").is_err());
        assert!(PersonName::parse("name", &"张".repeat(NAME_MAX)).is_ok());
        assert!(PersonName::parse("name", &"张".repeat(NAME_MAX + 1)).is_err());
        assert_eq!(Email::parse("email", " a@b.cn ").unwrap(), "a@b.cn");
        assert!(Email::parse("email", "not mail").is_err());
    }
}
