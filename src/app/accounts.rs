//! Console accounts: signing in and out, changing one's password, and admins managing
//! accounts within their scope. Passwords are hashed and checked by `Passwords`, outside
//! any transaction and connection.

use chrono::{DateTime, Duration, Utc};

use crate::app::passwords::Passwords;
use crate::domain::access::Actor;
use crate::domain::account::{
    Account, AccountProfile, LockoutPolicy, NewAccount, NewPassword, Session, SignInRefused,
    SignInRules,
};
use crate::domain::ids::{AccountId, UnitId};
use crate::domain::throttle::{Outcome, Reservation, Subject};
use crate::error::AppError;
use crate::rule::Rule;
use crate::store::accounts::{self, NewAccountRow, ProfileRow};
use crate::store::{DbConn, contacts, sessions, throttle};

use super::App;

impl App {
    /// Signs in: the new session's cookie value, or why not (see `sign_in`).
    pub async fn sign_in(
        &self,
        rules: &SignInRules,
        attempt: SignInAttempt,
    ) -> Result<Result<String, SignInRefused>, AppError> {
        sign_in(self, &self.passwords, rules, attempt, self.now()).await
    }

    /// Changes the signed-in account's password (see `change_password`); `cookie` is
    /// the session that stays.
    pub async fn change_password(
        &self,
        policy: &LockoutPolicy,
        (session, cookie): (&Session, &str),
        current: &str,
        new: &NewPassword,
    ) -> Result<Result<(), SignInRefused>, AppError> {
        let now = self.now();
        change_password(
            self,
            &self.passwords,
            policy,
            (session, cookie),
            current,
            new,
            now,
        )
        .await
    }

    /// Creates an account; `actor` None is the command line (the first admin). The
    /// caller's role is checked before the password is hashed: a viewer's post costs no
    /// hashing time.
    pub async fn create_account(
        &self,
        actor: Option<&Actor>,
        new: NewAccount,
    ) -> Result<AccountId, AppError> {
        if let Some(actor) = actor {
            actor.require_admin()?;
        }
        let hash = self.passwords.hash(&new.password).await?;
        let (actor, now) = (actor.cloned(), self.now());
        self.write(move |conn| create(conn, actor.as_ref(), &new, &hash, now))
            .await
    }

    pub async fn update_account(
        &self,
        actor: &Actor,
        id: AccountId,
        profile: AccountProfile,
    ) -> Result<Account, AppError> {
        let actor = actor.clone();
        self.write(move |conn| update(conn, &actor, &id, &profile))
            .await
    }

    pub async fn set_account_disabled(
        &self,
        actor: &Actor,
        id: AccountId,
        disabled: bool,
    ) -> Result<Account, AppError> {
        let (actor, now) = (actor.clone(), self.now());
        self.write(move |conn| set_disabled(conn, &actor, &id, disabled, now))
            .await
    }

    /// Sets a new password for another account (see `reset_password`), checking the
    /// caller's role before hashing.
    pub async fn reset_password(
        &self,
        actor: &Actor,
        id: AccountId,
        new: NewPassword,
    ) -> Result<(), AppError> {
        actor.require_admin()?;
        let hash = self.passwords.hash(&new).await?;
        let (actor, now) = (actor.clone(), self.now());
        self.write(move |conn| reset_password(conn, &actor, &id, &hash, now))
            .await
    }

    /// Accounts the caller may manage.
    pub async fn accounts(&self, actor: &Actor) -> Result<Vec<Account>, AppError> {
        let actor = actor.clone();
        self.read(move |conn| list(conn, &actor)).await
    }

    /// The live session behind a cookie, its end slid forward while the browser is used
    /// (at most one write a minute, never past the session's maximum age).
    pub async fn session(
        &self,
        cookie: String,
        rules: SignInRules,
    ) -> Result<Option<Session>, AppError> {
        let now = self.now();
        self.read(move |conn| {
            let Some(session) = sessions::find(conn, &cookie, rules.session_max, now)? else {
                return Ok(None);
            };
            let end = (now + rules.session_idle).min(session.created_at + rules.session_max);
            if session.expires_at < end - Duration::minutes(1) {
                sessions::extend(conn, &cookie, end)?;
            }
            Ok(Some(session))
        })
        .await
    }

    /// Ends the session behind a cookie.
    pub async fn sign_out(&self, cookie: String) -> Result<(), AppError> {
        self.read(move |conn| sessions::delete(conn, &cookie)).await
    }

    /// The id of the account signing in with `login`.
    pub async fn account_id(&self, login: String) -> Result<AccountId, AppError> {
        let key = login.clone();
        self.read(move |conn| accounts::credentials(conn, &key))
            .await?
            .map(|c| c.id)
            .ok_or_else(|| AppError::NotFound(format!("account {login}")))
    }
}

pub struct SignInAttempt {
    pub login: String,
    pub password: String,
    /// The client's address (`web::client::client_ip`), for the per-client limits.
    pub client: String,
    /// The session cookie this browser already had: signing in again ends it.
    pub replaces: Option<String>,
}

/// How long a check waits for a place when checks in flight use up what a limit leaves
/// (many correct sign-ins from one office at once); then it is refused as busy.
const BUSY_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Reserves a check for each (subject, limit), waiting while they are busy: Ok, or the
/// index of the subject that refused and until when it is locked (None: still busy).
async fn reserve(
    app: &App,
    subjects: &[(Subject, i32)],
    window: Duration,
    now: DateTime<Utc>,
) -> Result<Result<(), (usize, Option<DateTime<Utc>>)>, AppError> {
    let deadline = std::time::Instant::now() + BUSY_WAIT;
    let mut pause = std::time::Duration::from_millis(5);
    loop {
        let subjects = subjects.to_vec();
        let (which, decided) = app
            .write(move |conn| {
                let limits: Vec<_> = subjects.iter().map(|(s, l)| (s, *l)).collect();
                throttle::reserve(conn, &limits, window, now)
            })
            .await?;
        match decided {
            Reservation::Allowed => return Ok(Ok(())),
            Reservation::Locked { until } => return Ok(Err((which, Some(until)))),
            Reservation::Busy if std::time::Instant::now() >= deadline => {
                return Ok(Err((which, None)));
            }
            Reservation::Busy => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_millis(100));
            }
        }
    }
}

/// Signs in: the new session's cookie value, or why not. The check is reserved against
/// the login, the client address and the client's brake before the password is read,
/// and settled after (`domain::throttle`), so no number of parallel guesses gets more
/// checks than the limits allow, and correct sign-ins arriving together only wait.
async fn sign_in(
    app: &App,
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
    let window = policy.lock_for();
    if let Err((which, until)) = reserve(app, &subjects, window, now).await? {
        return Ok(Err(match (which, until) {
            (_, None) => SignInRefused::Busy,
            (0, Some(until)) => SignInRefused::ClientBusy { until },
            (1, Some(until)) => SignInRefused::ClientLocked { until },
            (_, Some(until)) => SignInRefused::AccountLocked { until },
        }));
    }
    let found = {
        let login = login.clone();
        app.read(move |conn| accounts::credentials(conn, &login))
            .await?
    };
    let matched = passwords
        .verify(
            &attempt.password,
            found.as_ref().map(|c| c.password_hash.as_str()),
        )
        .await?;
    let account = found.filter(|_| matched);
    let outcome = match account {
        Some(_) => Outcome::Succeeded,
        None => Outcome::Failed,
    };
    let rules = *rules;
    app.write(move |conn| {
        let limits: Vec<_> = subjects.iter().map(|(s, l)| (s, *l)).collect();
        let locks = throttle::settle(conn, &limits, outcome, window, now)?;
        let Some(account) = account else {
            return Ok(Err(match (locks[2], locks[1]) {
                (Some(until), _) => SignInRefused::AccountLocked { until },
                (None, Some(until)) => SignInRefused::ClientLocked { until },
                (None, None) => SignInRefused::WrongCredentials,
            }));
        };
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
async fn change_password(
    app: &App,
    passwords: &Passwords,
    policy: &LockoutPolicy,
    (session, cookie): (&Session, &str),
    current: &str,
    new: &NewPassword,
    now: DateTime<Utc>,
) -> Result<Result<(), SignInRefused>, AppError> {
    let subjects = [(
        Subject::Login(session.login.clone()),
        policy.account_failures,
    )];
    let window = policy.lock_for();
    if let Err((_, until)) = reserve(app, &subjects, window, now).await? {
        return Ok(Err(match until {
            Some(until) => SignInRefused::AccountLocked { until },
            None => SignInRefused::Busy,
        }));
    }
    let id = session.account_id.clone();
    let hash = app
        .read(move |conn| accounts::password_hash(conn, &id))
        .await?;
    let matched = passwords.verify(current, Some(&hash)).await?;
    let new_hash = match matched {
        true => Some(passwords.hash(new).await?),
        false => None,
    };
    let (account_id, cookie) = (session.account_id.clone(), cookie.to_owned());
    app.write(move |conn| {
        let outcome = match new_hash {
            Some(_) => Outcome::Succeeded,
            None => Outcome::Failed,
        };
        let [(login, limit)] = &subjects;
        let locks = throttle::settle(conn, &[(login, *limit)], outcome, window, now)?;
        let Some(new_hash) = new_hash else {
            return Ok(Err(match locks[0] {
                Some(until) => SignInRefused::AccountLocked { until },
                None => SignInRefused::WrongCredentials,
            }));
        };
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
) -> Result<Option<UnitId>, AppError> {
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
                return Err(AppError::invalid("contact_id", Rule::UnknownContact));
            }
            Err(e) => return Err(e),
        };
        if let Some(actor) = actor {
            actor.require_covers(&path, "the contact")?;
        }
    }
    Ok(unit.map(|(id, _)| id))
}

fn profile_row(profile: &AccountProfile, unit_id: Option<UnitId>) -> ProfileRow<'_> {
    ProfileRow {
        display_name: &profile.display_name,
        role: profile.role,
        unit_id,
        contact_id: profile.contact_id.as_ref(),
    }
}

/// Creates an account; `actor` None is the command line (the first admin).
fn create(
    conn: &mut DbConn,
    actor: Option<&Actor>,
    new: &NewAccount,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<AccountId, AppError> {
    let unit_id = check_profile(conn, actor, &new.profile)?;
    let row = NewAccountRow {
        login: new.login.as_str(),
        profile: profile_row(&new.profile, unit_id),
        password_hash,
    };
    accounts::create(conn, &row, now)
}

/// Changes another account's name, role, scope or contact link. The caller must manage
/// the account as it is and as it becomes; nobody changes their own (an admin could
/// otherwise lock the last admin out by mistake).
fn update(
    conn: &mut DbConn,
    actor: &Actor,
    id: &AccountId,
    profile: &AccountProfile,
) -> Result<Account, AppError> {
    let (_, path) = accounts::find(conn, id)?;
    require_manages(actor, path.as_deref())?;
    if actor.id == id.as_str() {
        return Err(AppError::Forbidden(
            "you cannot change your own account; another admin can".into(),
        ));
    }
    let unit_id = check_profile(conn, Some(actor), profile)?;
    accounts::set_profile(conn, id, &profile_row(profile, unit_id))?;
    Ok(accounts::find(conn, id)?.0)
}

/// Accounts the caller may manage.
fn list(conn: &mut DbConn, actor: &Actor) -> Result<Vec<Account>, AppError> {
    actor.require_admin()?;
    Ok(accounts::list(conn)?
        .into_iter()
        .filter(|(_, path)| actor.covers_token(path.as_deref()))
        .map(|(account, _)| account)
        .collect())
}

/// Disables or re-enables an account in the caller's scope (never the caller's own).
fn set_disabled(
    conn: &mut DbConn,
    actor: &Actor,
    id: &AccountId,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<Account, AppError> {
    let (_, path) = accounts::find(conn, id)?;
    require_manages(actor, path.as_deref())?;
    if disabled && actor.id == id.as_str() {
        return Err(AppError::Forbidden(
            "you cannot disable your own account".into(),
        ));
    }
    accounts::set_disabled(conn, id, disabled.then_some(now))?;
    Ok(accounts::find(conn, id)?.0)
}

/// Sets a new password (hashed by the caller) for an account in the caller's scope,
/// unlocks it and ends its sessions. Never the caller's own: the change-password form,
/// which asks for the current one, is the way.
fn reset_password(
    conn: &mut DbConn,
    actor: &Actor,
    id: &AccountId,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let (account, path) = accounts::find(conn, id)?;
    require_manages(actor, path.as_deref())?;
    if actor.id == id.as_str() {
        return Err(AppError::Forbidden(
            "use 修改密码 to change your own password; it asks for the current one".into(),
        ));
    }
    // Throttle rows before the account's, as a sign-in locks them.
    throttle::clear(conn, &Subject::Login(account.login))?;
    accounts::set_password(conn, id, hash, now)?;
    sessions::delete_others(conn, id, None)
}
