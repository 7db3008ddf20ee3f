//! Console sessions: one row per signed-in browser. The cookie holds a random id; the
//! row holds its SHA-256, so sign-out, expiry and a disabled account take effect on every
//! replica at the next request.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::{accounts, sessions, units};
use super::{DbConn, from_db_time, to_db_time, tokens};
use crate::domain::access::{Actor, Role, Scope};
use crate::domain::account::{Session, actor_name};
use crate::domain::ids::{AccountId, ContactId, UnitId};
use crate::error::AppError;

/// Starts a session; returns the cookie's value (never stored).
pub fn create(
    conn: &mut DbConn,
    account_id: &AccountId,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let id = hex::encode(rand::random::<[u8; 32]>());
    diesel::insert_into(sessions::table)
        .values((
            sessions::id_hash.eq(tokens::hash(&id)),
            sessions::account_id.eq(account_id),
            sessions::csrf_token.eq(hex::encode(rand::random::<[u8; 32]>())),
            sessions::created_at.eq(to_db_time(now)),
            sessions::expires_at.eq(to_db_time(expires_at)),
        ))
        .execute(conn)?;
    Ok(id)
}

type SessionRow = (
    AccountId,
    String,
    String,
    Option<ContactId>,
    Role,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    NaiveDateTime,
    NaiveDateTime,
);

/// Ends an account's oldest sessions beyond the newest `keep`.
pub fn keep_newest(
    conn: &mut DbConn,
    account_id: &AccountId,
    keep: i64,
) -> Result<usize, AppError> {
    let newest: Vec<String> = sessions::table
        .filter(sessions::account_id.eq(account_id))
        .order((sessions::created_at.desc(), sessions::id_hash.desc()))
        .limit(keep)
        .select(sessions::id_hash)
        .load(conn)?;
    Ok(diesel::delete(
        sessions::table
            .filter(sessions::account_id.eq(account_id))
            .filter(sessions::id_hash.ne_all(newest)),
    )
    .execute(conn)?)
}

/// The session behind a cookie: used within its idle time, begun less than `max_age`
/// ago, of an enabled account whose unit (if any) is active.
pub fn find(
    conn: &mut DbConn,
    cookie: &str,
    max_age: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<Option<Session>, AppError> {
    let row: Option<SessionRow> = sessions::table
        .inner_join(accounts::table.left_join(units::table))
        .filter(sessions::id_hash.eq(tokens::hash(cookie)))
        .filter(sessions::expires_at.gt(to_db_time(now)))
        .filter(sessions::created_at.gt(to_db_time(now - max_age)))
        .filter(accounts::disabled_at.is_null())
        .filter(accounts::unit_id.is_null().or(units::active.eq(true)))
        .select((
            accounts::id,
            accounts::login,
            accounts::display_name,
            accounts::contact_id,
            accounts::role,
            units::code.nullable(),
            units::path.nullable(),
            units::name.nullable(),
            sessions::csrf_token,
            sessions::created_at,
            sessions::expires_at,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(
        |(
            account_id,
            login,
            display_name,
            contact_id,
            role,
            code,
            path,
            unit_name,
            csrf,
            created,
            expires,
        )| Session {
            contact_id,
            unit_name,
            actor: Actor {
                id: account_id.to_string(),
                name: actor_name(&display_name, &login),
                role,
                scope: code
                    .zip(path)
                    .map(|(unit_code, path)| Scope { unit_code, path }),
            },
            account_id,
            login,
            display_name,
            csrf_token: csrf,
            created_at: from_db_time(created),
            expires_at: from_db_time(expires),
        },
    ))
}

/// Moves a session's end (it slides while the browser is used).
pub fn extend(conn: &mut DbConn, cookie: &str, expires_at: DateTime<Utc>) -> Result<(), AppError> {
    diesel::update(sessions::table.find(tokens::hash(cookie)))
        .set(sessions::expires_at.eq(to_db_time(expires_at)))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConn, cookie: &str) -> Result<(), AppError> {
    diesel::delete(sessions::table.find(tokens::hash(cookie))).execute(conn)?;
    Ok(())
}

/// Ends every session of an account but the one given (after a password change).
pub fn delete_others(
    conn: &mut DbConn,
    account_id: &AccountId,
    keep: Option<&str>,
) -> Result<(), AppError> {
    let keep = keep.map(tokens::hash).unwrap_or_default();
    diesel::delete(
        sessions::table
            .filter(sessions::account_id.eq(account_id))
            .filter(sessions::id_hash.ne(keep)),
    )
    .execute(conn)?;
    Ok(())
}

/// Forgets expired sessions (the scheduler's watchdog calls it). A session's end never
/// moves past its maximum age, so this forgets those too.
pub fn purge_expired(conn: &mut DbConn, now: DateTime<Utc>) -> Result<usize, AppError> {
    Ok(
        diesel::delete(sessions::table.filter(sessions::expires_at.le(to_db_time(now))))
            .execute(conn)?,
    )
}

/// Ends the sessions of accounts limited to a unit (it was deactivated): restoring the
/// unit later does not bring them back.
pub fn delete_for_unit(conn: &mut DbConn, unit_id: &UnitId) -> Result<usize, AppError> {
    let accounts_of_unit = accounts::table
        .filter(accounts::unit_id.eq(unit_id))
        .select(accounts::id);
    Ok(
        diesel::delete(sessions::table.filter(sessions::account_id.eq_any(accounts_of_unit)))
            .execute(conn)?,
    )
}
