//! Console accounts: rows, their password hashes, failed sign-ins and lock-out per
//! account and per client address.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::{accounts, sessions, sign_in_throttle, units};
use super::{DbConn, from_db_time, to_db_time, units as unit_store};
use crate::domain::access::Role;
use crate::domain::account::{Account, LockoutPolicy};
use crate::error::AppError;

/// What a sign-in needs to decide: the hash, lock and state of one account.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub id: String,
    pub password_hash: String,
    pub locked_until: Option<DateTime<Utc>>,
    pub disabled: bool,
}

/// The columns an admin sets, at creation and later.
pub struct ProfileRow<'a> {
    pub display_name: &'a str,
    pub role: Role,
    pub unit_id: Option<String>,
    pub contact_id: Option<&'a str>,
}

pub struct NewAccountRow<'a> {
    pub login: &'a str,
    pub profile: ProfileRow<'a>,
    pub password_hash: &'a str,
}

pub fn create(
    conn: &mut DbConn,
    new: &NewAccountRow,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let taken: i64 = accounts::table
        .filter(accounts::login.eq(new.login))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Err(AppError::conflict(
            "login_taken",
            format!("login {} is taken", new.login),
        ));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let inserted = diesel::insert_into(accounts::table)
        .values((
            accounts::id.eq(&id),
            accounts::login.eq(new.login),
            accounts::display_name.eq(new.profile.display_name),
            accounts::role.eq(new.profile.role),
            accounts::unit_id.eq(&new.profile.unit_id),
            accounts::contact_id.eq(new.profile.contact_id),
            accounts::password_hash.eq(new.password_hash),
            accounts::failed_attempts.eq(0),
            accounts::created_at.eq(to_db_time(now)),
            accounts::password_changed_at.eq(to_db_time(now)),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(id),
        // Two admins creating the same login at once: the second loses the race.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Err(AppError::conflict(
            "login_taken",
            format!("login {} is taken", new.login),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Sets an account's name, role, scope and contact link. Its sessions read them on their
/// next request, so the change holds at once.
pub fn set_profile(conn: &mut DbConn, id: &str, profile: &ProfileRow) -> Result<(), AppError> {
    let changed = diesel::update(accounts::table.find(id))
        .set((
            accounts::display_name.eq(profile.display_name),
            accounts::role.eq(profile.role),
            accounts::unit_id.eq(&profile.unit_id),
            accounts::contact_id.eq(profile.contact_id),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Err(AppError::NotFound(format!("account {id}")));
    }
    Ok(())
}

pub fn credentials(conn: &mut DbConn, login: &str) -> Result<Option<Credentials>, AppError> {
    let row: Option<(String, String, Option<NaiveDateTime>, Option<NaiveDateTime>)> =
        accounts::table
            .filter(accounts::login.eq(login))
            .select((
                accounts::id,
                accounts::password_hash,
                accounts::locked_until,
                accounts::disabled_at,
            ))
            .first(conn)
            .optional()?;
    Ok(
        row.map(|(id, password_hash, locked, disabled)| Credentials {
            id,
            password_hash,
            locked_until: locked.map(from_db_time),
            disabled: disabled.is_some(),
        }),
    )
}

pub fn password_hash(conn: &mut DbConn, id: &str) -> Result<String, AppError> {
    Ok(accounts::table
        .find(id)
        .select(accounts::password_hash)
        .first(conn)?)
}

/// Counts a failed sign-in against an account; at the policy's limit it locks and the
/// count starts again. Returns the lock's end when this failure locked it.
pub fn record_failure(
    conn: &mut DbConn,
    id: &str,
    policy: &LockoutPolicy,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, AppError> {
    diesel::update(accounts::table.find(id))
        .set(accounts::failed_attempts.eq(accounts::failed_attempts + 1))
        .execute(conn)?;
    let failed: i32 = accounts::table
        .find(id)
        .select(accounts::failed_attempts)
        .first(conn)?;
    if failed < policy.account_failures {
        return Ok(None);
    }
    let until = now + policy.lock_for();
    diesel::update(accounts::table.find(id))
        .set((
            accounts::failed_attempts.eq(0),
            accounts::locked_until.eq(to_db_time(until)),
        ))
        .execute(conn)?;
    Ok(Some(until))
}

pub fn record_success(conn: &mut DbConn, id: &str) -> Result<(), AppError> {
    diesel::update(accounts::table.find(id))
        .set((
            accounts::failed_attempts.eq(0),
            accounts::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

/// The end of a client's lock-out, if it is locked now.
pub fn client_locked_until(
    conn: &mut DbConn,
    client: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, AppError> {
    let until: Option<NaiveDateTime> = sign_in_throttle::table
        .find(client)
        .select(sign_in_throttle::locked_until)
        .first(conn)
        .optional()?
        .flatten();
    Ok(until.map(from_db_time).filter(|u| *u > now))
}

/// Counts a failed sign-in from a client address within a window as long as the lock;
/// at the limit the client is locked. Returns the lock's end when this failure locked it.
pub fn record_client_failure(
    conn: &mut DbConn,
    client: &str,
    policy: &LockoutPolicy,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, AppError> {
    let row: Option<(i32, NaiveDateTime)> = sign_in_throttle::table
        .find(client)
        .select((
            sign_in_throttle::failures,
            sign_in_throttle::window_started_at,
        ))
        .first(conn)
        .optional()?;
    let window_open = |started: NaiveDateTime| from_db_time(started) + policy.lock_for() > now;
    let (failures, started) = match row {
        Some((n, started)) if window_open(started) => (n + 1, from_db_time(started)),
        _ => (1, now),
    };
    let until = (failures >= policy.client_failures).then(|| now + policy.lock_for());
    let (failures, started) = if until.is_some() {
        (0, now)
    } else {
        (failures, started)
    };
    let values = (
        sign_in_throttle::failures.eq(failures),
        sign_in_throttle::window_started_at.eq(to_db_time(started)),
        sign_in_throttle::locked_until.eq(until.map(to_db_time)),
    );
    let updated = diesel::update(sign_in_throttle::table.find(client))
        .set(values)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(sign_in_throttle::table)
            .values((
                sign_in_throttle::client.eq(client),
                values.0,
                values.1,
                values.2,
            ))
            .execute(conn)?;
    }
    Ok(until)
}

/// Forgets per-client counts that started before `before` and lock nothing any more.
pub fn purge_throttle(conn: &mut DbConn, before: DateTime<Utc>) -> Result<usize, AppError> {
    let before = to_db_time(before);
    Ok(diesel::delete(
        sign_in_throttle::table
            .filter(sign_in_throttle::window_started_at.lt(before))
            .filter(
                sign_in_throttle::locked_until
                    .is_null()
                    .or(sign_in_throttle::locked_until.lt(before)),
            ),
    )
    .execute(conn)?)
}

pub fn set_password(
    conn: &mut DbConn,
    id: &str,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    diesel::update(accounts::table.find(id))
        .set((
            accounts::password_hash.eq(hash),
            accounts::password_changed_at.eq(to_db_time(now)),
            accounts::failed_attempts.eq(0),
            accounts::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Disables (Some) or re-enables (None) an account; disabling ends its sessions.
pub fn set_disabled(
    conn: &mut DbConn,
    id: &str,
    at: Option<DateTime<Utc>>,
) -> Result<(), AppError> {
    let n = diesel::update(accounts::table.find(id))
        .set(accounts::disabled_at.eq(at.map(to_db_time)))
        .execute(conn)?;
    if n == 0 {
        return Err(AppError::NotFound(format!("account {id}")));
    }
    if at.is_some() {
        diesel::delete(sessions::table.filter(sessions::account_id.eq(id))).execute(conn)?;
    }
    Ok(())
}

type AccountRow = (
    String,
    String,
    String,
    Role,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    NaiveDateTime,
);

/// Accounts by login, each with its unit's path for scope checks; one when `id` is given.
fn load(conn: &mut DbConn, id: Option<&str>) -> Result<Vec<(Account, Option<String>)>, AppError> {
    let mut query = accounts::table
        .left_join(units::table)
        .order(accounts::login.asc())
        .select((
            accounts::id,
            accounts::login,
            accounts::display_name,
            accounts::role,
            units::code.nullable(),
            units::name.nullable(),
            units::path.nullable(),
            accounts::contact_id,
            accounts::locked_until,
            accounts::disabled_at,
            accounts::created_at,
        ))
        .into_boxed();
    if let Some(id) = id {
        query = query.filter(accounts::id.eq(id.to_owned()));
    }
    let rows: Vec<AccountRow> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let account = Account {
                id: r.0,
                login: r.1,
                display_name: r.2,
                role: r.3,
                unit_code: r.4,
                unit_name: r.5,
                contact_id: r.7,
                locked_until: r.8.map(from_db_time),
                disabled_at: r.9.map(from_db_time),
                created_at: from_db_time(r.10),
            };
            (account, r.6)
        })
        .collect())
}

pub fn list(conn: &mut DbConn) -> Result<Vec<(Account, Option<String>)>, AppError> {
    load(conn, None)
}

pub fn find(conn: &mut DbConn, id: &str) -> Result<(Account, Option<String>), AppError> {
    load(conn, Some(id))?
        .pop()
        .ok_or_else(|| AppError::NotFound(format!("account {id}")))
}

/// The id of an active unit by code, for an account's scope.
pub fn unit_id(conn: &mut DbConn, code: &str) -> Result<(String, String), AppError> {
    let unit = unit_store::find_active(conn, "unit_code", code)?;
    Ok((unit.id, unit.path))
}
