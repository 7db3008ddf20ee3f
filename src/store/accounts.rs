//! Console accounts: rows and their password hashes (sign-in counts and locks are in
//! `store::throttle`).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::{accounts, sessions, sign_in_throttle, units};
use super::{DbConn, from_db_time, to_db_time, units as unit_store};
use crate::domain::access::Role;
use crate::domain::account::Account;
use crate::domain::ids::{AccountId, ContactId, UnitId};
use crate::domain::throttle::Subject;
use crate::error::{AppError, ConflictCode};

/// What a sign-in needs to decide: the hash and state of one account.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub id: AccountId,
    pub password_hash: String,
    pub disabled: bool,
}

/// The columns an admin sets, at creation and later.
pub struct ProfileRow<'a> {
    pub display_name: &'a str,
    pub role: Role,
    pub unit_id: Option<UnitId>,
    pub contact_id: Option<&'a ContactId>,
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
) -> Result<AccountId, AppError> {
    let taken: i64 = accounts::table
        .filter(accounts::login.eq(new.login))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Err(AppError::conflict(
            ConflictCode::LoginTaken,
            format!("login {} is taken", new.login),
        ));
    }
    let id = AccountId::generate();
    let inserted = diesel::insert_into(accounts::table)
        .values((
            accounts::id.eq(&id),
            accounts::login.eq(new.login),
            accounts::display_name.eq(new.profile.display_name),
            accounts::role.eq(new.profile.role),
            accounts::unit_id.eq(&new.profile.unit_id),
            accounts::contact_id.eq(new.profile.contact_id),
            accounts::password_hash.eq(new.password_hash),
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
            ConflictCode::LoginTaken,
            format!("login {} is taken", new.login),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Sets an account's name, role, scope and contact link. Its sessions read them on their
/// next request, so the change holds at once.
pub fn set_profile(
    conn: &mut DbConn,
    id: &AccountId,
    profile: &ProfileRow,
) -> Result<(), AppError> {
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
    let row: Option<(AccountId, String, Option<NaiveDateTime>)> = accounts::table
        .filter(accounts::login.eq(login))
        .select((accounts::id, accounts::password_hash, accounts::disabled_at))
        .first(conn)
        .optional()?;
    Ok(row.map(|(id, password_hash, disabled)| Credentials {
        id,
        password_hash,
        disabled: disabled.is_some(),
    }))
}

pub fn password_hash(conn: &mut DbConn, id: &AccountId) -> Result<String, AppError> {
    Ok(accounts::table
        .find(id)
        .select(accounts::password_hash)
        .first(conn)?)
}

pub fn set_password(
    conn: &mut DbConn,
    id: &AccountId,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    diesel::update(accounts::table.find(id))
        .set((
            accounts::password_hash.eq(hash),
            accounts::password_changed_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Disables (Some) or re-enables (None) an account; disabling ends its sessions.
pub fn set_disabled(
    conn: &mut DbConn,
    id: &AccountId,
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
    AccountId,
    String,
    String,
    Role,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<ContactId>,
    Option<NaiveDateTime>,
    NaiveDateTime,
);

/// Accounts by login, each with its unit's path for scope checks; one when `id` is given.
fn load(
    conn: &mut DbConn,
    id: Option<&AccountId>,
) -> Result<Vec<(Account, Option<String>)>, AppError> {
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
            accounts::disabled_at,
            accounts::created_at,
        ))
        .into_boxed();
    if let Some(id) = id {
        query = query.filter(accounts::id.eq(id.clone()));
    }
    let rows: Vec<AccountRow> = query.load(conn)?;
    let locks = login_locks(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let account = Account {
                id: r.0,
                display_name: r.2,
                role: r.3,
                unit_code: r.4,
                unit_name: r.5,
                locked_until: locks.get(&Subject::Login(r.1.clone()).key()).copied(),
                login: r.1,
                contact_id: r.7,
                disabled_at: r.8.map(from_db_time),
                created_at: from_db_time(r.9),
            };
            (account, r.6)
        })
        .collect())
}

/// The lock on every login that has one (its end, possibly past).
fn login_locks(conn: &mut DbConn) -> Result<HashMap<String, DateTime<Utc>>, AppError> {
    let rows: Vec<(String, Option<NaiveDateTime>)> = sign_in_throttle::table
        .filter(sign_in_throttle::subject.like("login:%"))
        .filter(sign_in_throttle::locked_until.is_not_null())
        .select((sign_in_throttle::subject, sign_in_throttle::locked_until))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(key, until)| Some((key, from_db_time(until?))))
        .collect())
}

pub fn list(conn: &mut DbConn) -> Result<Vec<(Account, Option<String>)>, AppError> {
    load(conn, None)
}

pub fn find(conn: &mut DbConn, id: &AccountId) -> Result<(Account, Option<String>), AppError> {
    load(conn, Some(id))?
        .pop()
        .ok_or_else(|| AppError::NotFound(format!("account {id}")))
}

/// The id of an active unit by code, for an account's scope.
pub fn unit_id(conn: &mut DbConn, code: &str) -> Result<(UnitId, String), AppError> {
    let unit = unit_store::find_active(conn, "unit_code", code)?;
    Ok((unit.id, unit.path))
}
