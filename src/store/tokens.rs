//! API tokens. Only a SHA-256 of each token is stored: tokens are 256 random bits, so a
//! fast hash is enough (a slow password hash would cost every request and add nothing).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::schema::{api_tokens, units};
use super::{DbConn, to_db_time, units as unit_store};
use crate::domain::access::{Actor, Role, Scope};
use crate::error::AppError;

const TOKEN_PREFIX: &str = "yqt_";

pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates a token and returns the plaintext, which is never stored.
pub fn create(
    conn: &mut DbConn,
    name: &str,
    role: Role,
    unit_code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(String, String), AppError> {
    let unit_id = match unit_code {
        Some(code) => Some(unit_store::find_active(conn, "unit", code)?.id),
        None => None,
    };
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(rand::random::<[u8; 32]>()));
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::id.eq(&id),
            api_tokens::name.eq(name),
            api_tokens::role.eq(role),
            api_tokens::unit_id.eq(unit_id),
            api_tokens::token_hash.eq(hash(&token)),
            api_tokens::created_at.eq(to_db_time(now)),
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
}

/// The caller behind a presented token, if it is known and not revoked.
pub fn authenticate(conn: &mut DbConn, token: &str) -> Result<Option<Actor>, AppError> {
    if !token.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    let found: Option<TokenOwner> = api_tokens::table
        .left_join(units::table)
        .filter(api_tokens::token_hash.eq(hash(token)))
        .filter(api_tokens::revoked_at.is_null())
        .select((
            api_tokens::id,
            api_tokens::name,
            api_tokens::role,
            units::code.nullable(),
            units::path.nullable(),
        ))
        .first(conn)
        .optional()?;
    let Some(TokenOwner {
        token_id,
        name,
        role,
        unit_code,
        unit_path,
    }) = found
    else {
        return Ok(None);
    };
    Ok(Some(Actor {
        token_id,
        name,
        role,
        scope: unit_code
            .zip(unit_path)
            .map(|(unit_code, path)| Scope { unit_code, path }),
    }))
}
