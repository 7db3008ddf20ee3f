//! Console accounts: signing in and out, changing one's password, and admins managing
//! accounts within their scope. Passwords are hashed and checked by `Passwords`, outside
//! any transaction and connection.

use chrono::{DateTime, Duration, Utc};

use crate::app::passwords::Passwords;
use crate::domain::access::Actor;
use crate::domain::account::{
    Account, AccountProfile, LockoutPolicy, NewAccount, NewPassword, SignInRefused,
};
use crate::domain::throttle::Subject;
use crate::error::AppError;
use crate::store::accounts::{self, NewAccountRow, ProfileRow};
use crate::store::sessions::Session;
use crate::store::{DbConn, Store, contacts, sessions, throttle, write_tx};

/// How console sign-in behaves (config `[console]`).
#[derive(Debug, Clone, Copy)]
pub struct SignInRules {
    pub lockout: LockoutPolicy,
    /// A session ends after this long without use.
    pub session_idle: Duration,
    /// And this long after sign-in, however much it is used.
    pub session_max: Duration,
    /// Open sessions one account may have; signing in past it ends the oldest.
    pub sessions_per_account: i64,
}

pub struct SignInAttempt {
    pub login: String,
    pub password: String,
    /// The client's address (`http::client::client_ip`), for the per-client limits.
    pub client: String,
    /// The session cookie this browser already had: signing in again ends it.
    pub replaces: Option<String>,
}

/// Signs in: the new session's cookie value, or why not. Each attempt is counted before
/// its password is checked (`domain::throttle`), so no number of parallel guesses gets
/// more checks than the limits allow; a success gives its count back.
pub async fn sign_in(
    store: &Store,
    passwords: &Passwords,
    rules: &SignInRules,
    attempt: SignInAttempt,
    now: DateTime<Utc>,
) -> Result<Result<String, SignInRefused>, AppError> {
    let policy = rules.lockout;
    let login = attempt.login.trim().to_lowercase();
    // In this order: a refusal names the first subject that is locked.
    let subjects = [
        (
            Subject::SignIns(attempt.client.clone()),
            policy.client_sign_ins,
        ),
        (
            Subject::Client(attempt.client.clone()),
            policy.client_failures,
        ),
        (Subject::Login(login.clone()), policy.account_failures),
    ];
    let counted = {
        let subjects = subjects.clone();
        store
            .write(move |conn| {
                let limits = subjects.each_ref().map(|(s, limit)| (s, *limit));
                match throttle::reserve(conn, &limits, policy.lock_for(), now)? {
                    Err((which, until)) => Ok(Err(match which {
                        0 => SignInRefused::ClientBusy { until },
                        1 => SignInRefused::ClientLocked { until },
                        _ => SignInRefused::AccountLocked { until },
                    })),
                    Ok(locks) => Ok(Ok((locks, accounts::credentials(conn, &login)?))),
                }
            })
            .await?
    };
    let (locks, found) = match counted {
        Ok(counted) => counted,
        Err(refused) => return Ok(Err(refused)),
    };
    let matched = passwords
        .verify(
            &attempt.password,
            found.as_ref().map(|c| c.password_hash.as_str()),
        )
        .await?;
    let (Some(account), true) = (found, matched) else {
        return Ok(Err(match (locks[2], locks[1]) {
            (Some(until), _) => SignInRefused::AccountLocked { until },
            (None, Some(until)) => SignInRefused::ClientLocked { until },
            (None, None) => SignInRefused::WrongCredentials,
        }));
    };
    let rules = *rules;
    store
        .write(move |conn| {
            // The password was right: this attempt was no failure.
            // Rows in the order the reservation locked them (no deadlock between the two).
            let [_, (client, _), (login, _)] = &subjects;
            throttle::release(conn, client, locks[1], now)?;
            throttle::clear(conn, login)?;
            if account.disabled {
                return Ok(Err(SignInRefused::Disabled));
            }
            if let Some(old) = &attempt.replaces {
                sessions::delete(conn, old)?;
            }
            let cookie = sessions::create(conn, &account.id, now + rules.session_idle, now)?;
            sessions::keep_newest(conn, &account.id, rules.sessions_per_account)?;
            Ok(Ok(cookie))
        })
        .await
}

/// Changes the signed-in account's password after checking the current one, which is
/// counted like a sign-in against the login (a wrong one repeated locks it). The
/// account's other sessions end.
pub async fn change_password(
    store: &Store,
    passwords: &Passwords,
    policy: &LockoutPolicy,
    (session, cookie): (&Session, &str),
    current: &str,
    new: &NewPassword,
    now: DateTime<Utc>,
) -> Result<Result<(), SignInRefused>, AppError> {
    let (account_id, login, cookie) = (
        session.account_id.clone(),
        Subject::Login(session.login.clone()),
        cookie.to_owned(),
    );
    let policy = *policy;
    let counted = {
        let (id, login) = (account_id.clone(), login.clone());
        store
            .write(move |conn| {
                match throttle::reserve(
                    conn,
                    &[(&login, policy.account_failures)],
                    policy.lock_for(),
                    now,
                )? {
                    Err((_, until)) => Ok(Err(SignInRefused::AccountLocked { until })),
                    Ok(locks) => Ok(Ok((locks[0], accounts::password_hash(conn, &id)?))),
                }
            })
            .await?
    };
    let (lock, hash) = match counted {
        Ok(counted) => counted,
        Err(refused) => return Ok(Err(refused)),
    };
    if !passwords.verify(current, Some(&hash)).await? {
        return Ok(Err(match lock {
            Some(until) => SignInRefused::AccountLocked { until },
            None => SignInRefused::WrongCredentials,
        }));
    }
    let new_hash = passwords.hash(new).await?;
    store
        .write(move |conn| {
            throttle::clear(conn, &login)?;
            accounts::set_password(conn, &account_id, &new_hash, now)?;
            sessions::delete_others(conn, &account_id, Some(&cookie))?;
            Ok(Ok(()))
        })
        .await
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

/// Sets a new password (hashed by the caller) for an account in the caller's scope,
/// unlocks it and ends its sessions. Never the caller's own: the change-password form,
/// which asks for the current one, is the way.
pub fn reset_password(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    write_tx(conn, |conn| {
        let (account, path) = accounts::find(conn, id)?;
        require_manages(actor, path.as_deref())?;
        if actor.id == id {
            return Err(AppError::Forbidden(
                "use 修改密码 to change your own password; it asks for the current one".into(),
            ));
        }
        // Throttle rows before the account's, as a sign-in locks them.
        throttle::clear(conn, &Subject::Login(account.login))?;
        accounts::set_password(conn, id, hash, now)?;
        sessions::delete_others(conn, id, None)
    })
}
