//! API tokens. Only a SHA-256 of each token is stored: tokens are 256 random bits, so a
//! fast hash is enough (a slow password hash would cost every request and add nothing).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::schema::{api_tokens, stream_tickets, units};
use super::{DbConn, from_db_time, to_db_time, units as unit_store};
use crate::domain::access::{Actor, ApiToken, Role, Scope};
use crate::error::AppError;

const TOKEN_PREFIX: &str = "yqt_";
const TICKET_PREFIX: &str = "yqs_";

/// The PostgreSQL channel a revoked token's id is announced on, so other replicas end
/// its event streams at once.
pub const REVOKED_CHANNEL: &str = "yuqing_revoked";

pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub struct NewToken<'a> {
    pub name: &'a str,
    pub role: Role,
    pub unit_code: Option<&'a str>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Creates a token and returns its id and the plaintext, which is never stored.
pub fn create(
    conn: &mut DbConn,
    new: &NewToken,
    now: DateTime<Utc>,
) -> Result<(String, String), AppError> {
    let unit_id = match new.unit_code {
        Some(code) => Some(unit_store::find_active(conn, "unit", code)?.id),
        None => None,
    };
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(rand::random::<[u8; 32]>()));
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::id.eq(&id),
            api_tokens::name.eq(new.name),
            api_tokens::role.eq(new.role),
            api_tokens::unit_id.eq(unit_id),
            api_tokens::token_hash.eq(hash(&token)),
            api_tokens::created_at.eq(to_db_time(now)),
            api_tokens::expires_at.eq(new.expires_at.map(to_db_time)),
        ))
        .execute(conn)?;
    Ok((id, token))
}

#[derive(Queryable)]
struct TokenOwner {
    token_id: String,
    name: String,
    role: Role,
    unit_code: Option<String>,
    unit_path: Option<String>,
    expires_at: Option<chrono::NaiveDateTime>,
}

/// Who a token speaks for, and until when.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub actor: Actor,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The caller behind a presented token: known, not revoked, not expired, and of an
/// active unit (a deactivated office's tokens stop working with it).
pub fn authenticate(
    conn: &mut DbConn,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<Authenticated>, AppError> {
    if !token.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    owner(conn, Presented::Hash(hash(token)), now)
}

enum Presented {
    Hash(String),
    Id(String),
}

/// The live token presented (by its hash, or by its id for a ticket), with its owner.
fn owner(
    conn: &mut DbConn,
    presented: Presented,
    now: DateTime<Utc>,
) -> Result<Option<Authenticated>, AppError> {
    let mut query = api_tokens::table
        .left_join(units::table)
        .filter(api_tokens::revoked_at.is_null())
        .filter(
            api_tokens::expires_at
                .is_null()
                .or(api_tokens::expires_at.gt(to_db_time(now))),
        )
        .filter(api_tokens::unit_id.is_null().or(units::active.eq(true)))
        .select((
            api_tokens::id,
            api_tokens::name,
            api_tokens::role,
            units::code.nullable(),
            units::path.nullable(),
            api_tokens::expires_at,
        ))
        .into_boxed();
    query = match presented {
        Presented::Hash(hash) => query.filter(api_tokens::token_hash.eq(hash)),
        Presented::Id(id) => query.filter(api_tokens::id.eq(id)),
    };
    let found: Option<TokenOwner> = query.first(conn).optional()?;
    Ok(found.map(|t| Authenticated {
        actor: Actor {
            id: t.token_id,
            name: t.name,
            role: t.role,
            scope: t
                .unit_code
                .zip(t.unit_path)
                .map(|(unit_code, path)| Scope { unit_code, path }),
        },
        expires_at: t.expires_at.map(from_db_time),
    }))
}

/// Mints a stream ticket for `token_id`, valid until `expires_at`; returns the ticket,
/// which is never stored (only its hash is).
pub fn mint_ticket(
    conn: &mut DbConn,
    token_id: &str,
    expires_at: DateTime<Utc>,
) -> Result<String, AppError> {
    let ticket = format!("{TICKET_PREFIX}{}", hex::encode(rand::random::<[u8; 32]>()));
    diesel::insert_into(stream_tickets::table)
        .values((
            stream_tickets::ticket_hash.eq(hash(&ticket)),
            stream_tickets::token_id.eq(token_id),
            stream_tickets::expires_at.eq(to_db_time(expires_at)),
        ))
        .execute(conn)?;
    Ok(ticket)
}

/// Uses a stream ticket up: the caller of the token it was minted with, if the ticket
/// is known, unused and unexpired and the token still live. Of two requests presenting
/// the same ticket at once only one deletes its row, so only one gets a caller. Runs
/// inside a write transaction.
pub fn redeem_ticket(
    conn: &mut DbConn,
    ticket: &str,
    now: DateTime<Utc>,
) -> Result<Option<Authenticated>, AppError> {
    if !ticket.starts_with(TICKET_PREFIX) {
        return Ok(None);
    }
    let key = hash(ticket);
    let token_id: Option<String> = stream_tickets::table
        .filter(stream_tickets::ticket_hash.eq(&key))
        .filter(stream_tickets::expires_at.gt(to_db_time(now)))
        .select(stream_tickets::token_id)
        .first(conn)
        .optional()?;
    let Some(token_id) = token_id else {
        return Ok(None);
    };
    let used = diesel::delete(stream_tickets::table.filter(stream_tickets::ticket_hash.eq(&key)))
        .execute(conn)?;
    if used != 1 {
        return Ok(None);
    }
    owner(conn, Presented::Id(token_id), now)
}

/// Forgets tickets that expired before `now`, used or not.
pub fn purge_tickets(conn: &mut DbConn, now: DateTime<Utc>) -> Result<usize, AppError> {
    Ok(
        diesel::delete(
            stream_tickets::table.filter(stream_tickets::expires_at.le(to_db_time(now))),
        )
        .execute(conn)?,
    )
}

type TokenRow = (
    String,
    String,
    Role,
    Option<String>,
    Option<String>,
    chrono::NaiveDateTime,
    Option<chrono::NaiveDateTime>,
    Option<chrono::NaiveDateTime>,
);

fn into_token(row: TokenRow) -> (ApiToken, Option<String>) {
    let (id, name, role, unit_code, unit_path, created_at, expires_at, revoked_at) = row;
    let token = ApiToken {
        id,
        name,
        role,
        unit_code,
        created_at: from_db_time(created_at),
        expires_at: expires_at.map(from_db_time),
        revoked_at: revoked_at.map(from_db_time),
    };
    (token, unit_path)
}

/// Tokens (never the secret), newest first, each with its unit's path for scope checks;
/// one token when `id` is given.
fn load(conn: &mut DbConn, id: Option<&str>) -> Result<Vec<(ApiToken, Option<String>)>, AppError> {
    let mut query = api_tokens::table
        .left_join(units::table)
        .order(api_tokens::created_at.desc())
        .select((
            api_tokens::id,
            api_tokens::name,
            api_tokens::role,
            units::code.nullable(),
            units::path.nullable(),
            api_tokens::created_at,
            api_tokens::expires_at,
            api_tokens::revoked_at,
        ))
        .into_boxed();
    if let Some(id) = id {
        query = query.filter(api_tokens::id.eq(id.to_owned()));
    }
    let rows: Vec<TokenRow> = query.load(conn)?;
    Ok(rows.into_iter().map(into_token).collect())
}

pub fn list(conn: &mut DbConn) -> Result<Vec<(ApiToken, Option<String>)>, AppError> {
    load(conn, None)
}

pub fn find(conn: &mut DbConn, id: &str) -> Result<(ApiToken, Option<String>), AppError> {
    load(conn, Some(id))?
        .pop()
        .ok_or_else(|| AppError::NotFound(format!("token {id}")))
}

/// Revokes a token (once; revoking again keeps the first time). Returns its hash, so
/// this replica can forget it at once.
pub fn revoke(conn: &mut DbConn, id: &str, now: DateTime<Utc>) -> Result<String, AppError> {
    diesel::update(
        api_tokens::table
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(to_db_time(now)))
    .execute(conn)?;
    if let DbConn::Pg(c) = conn {
        diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<diesel::sql_types::Text, _>(REVOKED_CHANNEL)
            .bind::<diesel::sql_types::Text, _>(id)
            .execute(c)?;
    }
    Ok(api_tokens::table
        .find(id)
        .select(api_tokens::token_hash)
        .first(conn)?)
}

/// When a token stops working (None: until revoked).
pub fn expires_at(conn: &mut DbConn, id: &str) -> Result<Option<DateTime<Utc>>, AppError> {
    let at: Option<chrono::NaiveDateTime> = api_tokens::table
        .find(id)
        .select(api_tokens::expires_at)
        .first(conn)
        .optional()?
        .flatten();
    Ok(at.map(from_db_time))
}
