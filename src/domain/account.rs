//! Personal accounts for the web console: who may sign in, and the rules for names,
//! passwords and lock-out.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::access::{Actor, Role};
use super::ids::{AccountId, ContactId};
use super::names::UnitCode;
use super::text;
use crate::error::AppError;
use crate::rule::Rule;

/// Shortest password accepted (NIST SP 800-63B asks for at least 8; offices ask for more).
pub const PASSWORD_MIN_CHARS: usize = 10;
/// Longest: argon2 takes any length, but a megabyte password is a denial of service.
pub const PASSWORD_MAX_CHARS: usize = 128;

/// A login name: lower-case letters, digits, `.`, `_` and `-`, 2 to 32 characters, so it
/// is typed the same way on every keyboard and never confused by case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login(String);

impl Login {
    pub fn parse(field: &str, value: &str) -> Result<Self, AppError> {
        let value = value.trim().to_lowercase();
        let ok_chars = value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        if !(2..=32).contains(&value.len()) || !ok_chars {
            return Err(AppError::invalid(field, Rule::LoginShape));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password, checked for length only (NIST SP 800-63B: no composition rules).
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(field: &str, value: &str) -> Result<Self, AppError> {
        let chars = value.chars().count();
        if chars < PASSWORD_MIN_CHARS {
            return Err(AppError::invalid(field, Rule::TooShort(PASSWORD_MIN_CHARS)));
        }
        if chars > PASSWORD_MAX_CHARS {
            return Err(AppError::invalid(field, Rule::TooLong(PASSWORD_MAX_CHARS)));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Who an account is and what it may do: everything about it an admin sets, at
/// creation and later, except its login and password.
pub struct AccountProfile {
    pub display_name: String,
    pub role: Role,
    /// None: every unit.
    pub unit_code: Option<UnitCode>,
    /// The person in the directory this account is, if any.
    pub contact_id: Option<ContactId>,
}

impl AccountProfile {
    pub fn parse(
        display_name: &str,
        role: Role,
        unit_code: Option<&str>,
        contact_id: Option<&str>,
    ) -> Result<Self, AppError> {
        Ok(Self {
            display_name: text::required("display_name", display_name, 50)?,
            role,
            unit_code: unit_code
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(|c| UnitCode::parse("unit_code", c))
                .transpose()?,
            contact_id: text::optional("contact_id", contact_id, 64)?.map(ContactId::from),
        })
    }
}

/// An account to create, parsed.
pub struct NewAccount {
    pub login: Login,
    pub profile: AccountProfile,
    pub password: NewPassword,
}

impl NewAccount {
    pub fn parse(login: &str, profile: AccountProfile, password: &str) -> Result<Self, AppError> {
        Ok(Self {
            login: Login::parse("login", login)?,
            profile,
            password: NewPassword::parse("password", password)?,
        })
    }
}

/// An account as listed (never its password hash).
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: AccountId,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
    pub contact_id: Option<ContactId>,
    pub locked_until: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// How console sign-in behaves (config `[console]`).
#[derive(Debug, Clone, Copy)]
pub struct SignInRules {
    pub lockout: LockoutPolicy,
    /// A session ends after this long without use.
    pub session_idle: chrono::Duration,
    /// And this long after sign-in, however much it is used.
    pub session_max: chrono::Duration,
    /// Open sessions one account may have; signing in past it ends the oldest.
    pub sessions_per_account: i64,
}

/// How sign-in failures lock: per login (someone guessing one person's password) and
/// per client address (someone trying many logins); and how many password checks one
/// client address gets in a lock's length at all (a flood of correct sign-ins too).
#[derive(Debug, Clone, Copy)]
pub struct LockoutPolicy {
    pub account_failures: i32,
    pub client_failures: i32,
    pub client_sign_ins: i32,
    pub lock_minutes: i64,
}

impl LockoutPolicy {
    pub fn lock_for(&self) -> chrono::Duration {
        chrono::Duration::minutes(self.lock_minutes)
    }
}

/// Why a sign-in was refused. Unknown login and wrong password read the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInRefused {
    WrongCredentials,
    AccountLocked {
        until: DateTime<Utc>,
    },
    ClientLocked {
        until: DateTime<Utc>,
    },
    /// Too many sign-ins from this client address, right or wrong.
    ClientBusy {
        until: DateTime<Utc>,
    },
    /// So many checks at once that this one found no place in time: try again.
    Busy,
    Disabled,
}

/// The name an account acts under on the timeline: display name and login, so two
/// people of the same name are told apart.
pub fn actor_name(display_name: &str, login: &str) -> String {
    format!("{display_name}（{login}）")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_lower_case_and_plain() {
        assert_eq!(
            Login::parse("login", " ZhangSan ").unwrap().as_str(),
            "zhangsan"
        );
        for bad in ["a", "张三", "a b", "x;drop", &"a".repeat(33)] {
            assert!(Login::parse("login", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_need_ten_characters_of_any_kind() {
        assert!(NewPassword::parse("password", "short").is_err());
        assert!(NewPassword::parse("password", "舆情值班密码一二三四").is_ok());
        assert!(NewPassword::parse("password", &"x".repeat(129)).is_err());
    }
}

/// A signed-in browser: who it acts as, and the token its forms must carry.
#[derive(Debug, Clone)]
pub struct Session {
    pub account_id: AccountId,
    pub login: String,
    pub display_name: String,
    /// The directory contact this person is, when the account is linked to one.
    pub contact_id: Option<ContactId>,
    /// The name of the account's unit (none for a national account).
    pub unit_name: Option<String>,
    pub actor: Actor,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}
