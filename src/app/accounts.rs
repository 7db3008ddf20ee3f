//! Console accounts: signing in and out, changing one's password, and admins managing
//! accounts within their scope. Password hashing (argon2, tens of milliseconds by
//! design) happens outside write transactions, so a sign-in never holds SQLite's lock.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};

use crate::domain::access::Actor;
use crate::domain::account::{
    Account, AccountProfile, LockoutPolicy, NewAccount, NewPassword, SignInRefused,
};
use crate::error::AppError;
use crate::store::accounts::{self, NewAccountRow, ProfileRow};
use crate::store::{DbConn, contacts, sessions, write_tx};

/// How console sign-in behaves (config `[console]`).
#[derive(Debug, Clone, Copy)]
pub struct SignInRules {
    pub lockout: LockoutPolicy,
    /// A session ends after this long without use.
    pub session_idle: Duration,
}

pub struct SignInAttempt<'a> {
    pub login: &'a str,
    pub password: &'a str,
    /// The client's address (`http::client::client_ip`), for the per-client lock.
    pub client: &'a str,
}

pub fn hash_password(password: &NewPassword) -> String {
    password_auth::generate_hash(password.expose())
}

fn verify(password: &str, hash: &str) -> bool {
    password_auth::verify_password(password, hash).is_ok()
}

/// A hash no password matches, verified when the login is unknown so that an unknown
/// login takes as long to refuse as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| password_auth::generate_hash(hex::encode(rand::random::<[u8; 16]>())))
}

/// Signs in: the new session's cookie value, or why not.
pub fn sign_in(
    conn: &mut DbConn,
    rules: &SignInRules,
    attempt: &SignInAttempt,
    now: DateTime<Utc>,
) -> Result<Result<String, SignInRefused>, AppError> {
    if let Some(until) = accounts::client_locked_until(conn, attempt.client, now)? {
        return Ok(Err(SignInRefused::ClientLocked { until }));
    }
    let login = attempt.login.trim().to_lowercase();
    let found = accounts::credentials(conn, &login)?;
    if let Some(until) = found
        .as_ref()
        .and_then(|c| c.locked_until)
        .filter(|u| *u > now)
    {
        return Ok(Err(SignInRefused::AccountLocked { until }));
    }
    let hash = found
        .as_ref()
        .map_or(decoy_hash(), |c| c.password_hash.as_str());
    let matched = verify(attempt.password, hash);
    write_tx(conn, |conn| match found {
        Some(account) if matched => {
            if account.disabled {
                return Ok(Err(SignInRefused::Disabled));
            }
            accounts::record_success(conn, &account.id)?;
            let cookie = sessions::create(conn, &account.id, now + rules.session_idle, now)?;
            Ok(Ok(cookie))
        }
        found => {
            let account_lock = match &found {
                Some(account) => accounts::record_failure(conn, &account.id, &rules.lockout, now)?,
                None => None,
            };
            let client_lock =
                accounts::record_client_failure(conn, attempt.client, &rules.lockout, now)?;
            Ok(Err(match (account_lock, client_lock) {
                (Some(until), _) => SignInRefused::AccountLocked { until },
                (None, Some(until)) => SignInRefused::ClientLocked { until },
                (None, None) => SignInRefused::WrongCredentials,
            }))
        }
    })
}

/// Changes the signed-in account's password after checking the current one; the
/// account's other sessions end.
pub fn change_password(
    conn: &mut DbConn,
    account_id: &str,
    cookie: &str,
    current: &str,
    new: &NewPassword,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let hash = accounts::password_hash(conn, account_id)?;
    if !verify(current, &hash) {
        return Err(AppError::invalid(
            "current_password",
            "is not your current password",
        ));
    }
    let new_hash = hash_password(new);
    write_tx(conn, |conn| {
        accounts::set_password(conn, account_id, &new_hash, now)?;
        sessions::delete_others(conn, account_id, Some(cookie))
    })
}

/// Whether `actor` may manage an account limited to `unit_path` (as for tokens: a scoped
/// admin manages only accounts inside its scope).
fn require_manages(actor: &Actor, unit_path: Option<&str>) -> Result<(), AppError> {
    actor.require_admin()?;
    if actor.covers_token(unit_path) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "a scoped admin manages only accounts limited to units in its scope".into(),
        ))
    }
}

/// The unit id a profile names, after checking that the caller (None: the command line)
/// may give it: the unit and the linked contact inside the caller's scope.
fn check_profile(
    conn: &mut DbConn,
    actor: Option<&Actor>,
    profile: &AccountProfile,
) -> Result<Option<String>, AppError> {
    let unit = match &profile.unit_code {
        Some(code) => Some(accounts::unit_id(conn, code)?),
        None => None,
    };
    if let Some(actor) = actor {
        require_manages(actor, unit.as_ref().map(|(_, path)| path.as_str()))?;
    }
    if let Some(contact) = &profile.contact_id {
        // The person in the directory this account is: in the caller's scope.
        let path = match contacts::find(conn, contact) {
            Ok((_, path)) => path,
            Err(AppError::NotFound(_)) => {
                return Err(AppError::invalid("contact_id", "no such contact"));
            }
            Err(e) => return Err(e),
        };
        if let Some(actor) = actor {
            actor.require_covers(&path, "the contact")?;
        }
    }
    Ok(unit.map(|(id, _)| id))
}

fn profile_row(profile: &AccountProfile, unit_id: Option<String>) -> ProfileRow<'_> {
    ProfileRow {
        display_name: &profile.display_name,
        role: profile.role,
        unit_id,
        contact_id: profile.contact_id.as_deref(),
    }
}

/// Creates an account; `actor` None is the command line (the first admin).
pub fn create(
    conn: &mut DbConn,
    actor: Option<&Actor>,
    new: &NewAccount,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    write_tx(conn, |conn| {
        let unit_id = check_profile(conn, actor, &new.profile)?;
        let row = NewAccountRow {
            login: new.login.as_str(),
            profile: profile_row(&new.profile, unit_id),
            password_hash,
        };
        accounts::create(conn, &row, now)
    })
}

/// Changes another account's name, role, scope or contact link. The caller must manage
/// the account as it is and as it becomes; nobody changes their own (an admin could
/// otherwise lock the last admin out by mistake).
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    profile: &AccountProfile,
) -> Result<Account, AppError> {
    write_tx(conn, |conn| {
        let (_, path) = accounts::find(conn, id)?;
        require_manages(actor, path.as_deref())?;
        if actor.id == id {
            return Err(AppError::Forbidden(
                "you cannot change your own account; another admin can".into(),
            ));
        }
        let unit_id = check_profile(conn, Some(actor), profile)?;
        accounts::set_profile(conn, id, &profile_row(profile, unit_id))?;
        Ok(accounts::find(conn, id)?.0)
    })
}

/// Accounts the caller may manage.
pub fn list(conn: &mut DbConn, actor: &Actor) -> Result<Vec<Account>, AppError> {
    actor.require_admin()?;
    Ok(accounts::list(conn)?
        .into_iter()
        .filter(|(_, path)| actor.covers_token(path.as_deref()))
        .map(|(account, _)| account)
        .collect())
}

/// Disables or re-enables an account in the caller's scope (never the caller's own).
pub fn set_disabled(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<Account, AppError> {
    write_tx(conn, |conn| {
        let (_, path) = accounts::find(conn, id)?;
        require_manages(actor, path.as_deref())?;
        if disabled && actor.id == id {
            return Err(AppError::Forbidden(
                "you cannot disable your own account".into(),
            ));
        }
        accounts::set_disabled(conn, id, disabled.then_some(now))?;
        Ok(accounts::find(conn, id)?.0)
    })
}

/// Sets a new password for an account in the caller's scope and ends its sessions.
pub fn reset_password(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    new: &NewPassword,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let (_, path) = accounts::find(conn, id)?;
    require_manages(actor, path.as_deref())?;
    let hash = hash_password(new);
    write_tx(conn, |conn| {
        accounts::set_password(conn, id, &hash, now)?;
        sessions::delete_others(conn, id, None)
    })
}
