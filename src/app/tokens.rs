//! API tokens: admins create, list and revoke them within their scope. A scoped admin
//! manages only tokens limited to units in its scope, and cannot mint a wider one.

use chrono::{DateTime, Duration, Utc};

use super::App;
use crate::domain::access::{Actor, ApiToken, Role};
use crate::domain::names::{TokenName, UnitCode};
use crate::error::AppError;
use crate::rule::Rule;
use crate::store::tokens::{self, Authenticated, NewToken};
use crate::store::{DbConn, units};

/// A token just created, with its secret (shown once, never stored).
pub struct Created {
    pub token: ApiToken,
    pub secret: String,
}

impl App {
    /// The caller behind a presented bearer token, if it is known, live and of an
    /// active unit.
    pub async fn authenticate(&self, token: String) -> Result<Option<Authenticated>, AppError> {
        let now = self.now();
        self.read(move |conn| tokens::authenticate(conn, &token, now))
            .await
    }

    /// When a token stops working (none: until revoked).
    pub async fn token_expiry(&self, token_id: String) -> Result<Option<DateTime<Utc>>, AppError> {
        self.read(move |conn| tokens::expires_at(conn, &token_id))
            .await
    }

    pub async fn tokens(&self, actor: &Actor) -> Result<Vec<ApiToken>, AppError> {
        let actor = actor.clone();
        self.read(move |conn| list(conn, &actor)).await
    }

    pub async fn create_token(
        &self,
        actor: &Actor,
        req: TokenRequest,
    ) -> Result<Created, AppError> {
        let (actor, now) = (actor.clone(), self.now());
        self.write(move |conn| {
            let (id, secret) = create(conn, &actor, &req, now)?;
            let (token, _) = tokens::find(conn, &id)?;
            Ok(Created { token, secret })
        })
        .await
    }

    /// Revokes a token in the caller's scope and tells this process's event streams;
    /// returns it as it is now and its hash (what a cache of tokens must forget). Other
    /// replicas hear of it from the database.
    pub async fn revoke_token(
        &self,
        actor: &Actor,
        id: String,
    ) -> Result<(ApiToken, String), AppError> {
        let (actor, now) = (actor.clone(), self.now());
        let (token, hash) = self
            .write(move |conn| revoke(conn, &actor, &id, now))
            .await?;
        self.store.token_revoked(&token.id);
        Ok((token, hash))
    }

    /// A single-use stream ticket for a token, valid until `expires_at`.
    pub async fn mint_ticket(
        &self,
        token_id: String,
        expires_at: DateTime<Utc>,
    ) -> Result<String, AppError> {
        self.write(move |conn| tokens::mint_ticket(conn, &token_id, expires_at))
            .await
    }

    /// The caller a ticket was minted for, once: the ticket is used up in the same
    /// transaction.
    pub async fn redeem_ticket(&self, ticket: String) -> Result<Option<Authenticated>, AppError> {
        let now = self.now();
        self.write(move |conn| tokens::redeem_ticket(conn, &ticket, now))
            .await
    }
}

/// A token to create, checked.
pub struct TokenRequest {
    pub name: TokenName,
    pub role: Role,
    pub unit_code: Option<UnitCode>,
    /// Days until it stops working (none: until revoked).
    pub expires_in_days: Option<i64>,
}

impl TokenRequest {
    /// A token to create, checked (the API's, the console's and the CLI's rules).
    pub fn parse(
        name: &str,
        role: Role,
        unit_code: Option<&str>,
        expires_in_days: Option<i64>,
    ) -> Result<Self, AppError> {
        Ok(Self {
            name: TokenName::parse("name", name)?,
            role,
            unit_code: unit_code
                .map(|c| UnitCode::parse("unit_code", c))
                .transpose()?,
            expires_in_days,
        })
    }
}

/// The created token's id and its secret (shown once).
fn create(
    conn: &mut DbConn,
    actor: &Actor,
    req: &TokenRequest,
    now: DateTime<Utc>,
) -> Result<(String, String), AppError> {
    actor.require_admin()?;
    let unit_path = match &req.unit_code {
        Some(code) => Some(units::find_active(conn, "unit_code", code)?.path),
        None => None,
    };
    if !actor.covers_token(unit_path.as_deref()) {
        return Err(AppError::Forbidden(
            "a scoped admin may only create tokens limited to units in its scope".into(),
        ));
    }
    let expires_at = match req.expires_in_days {
        Some(days) if !(1..=3660).contains(&days) => {
            return Err(AppError::invalid(
                "expires_in_days",
                Rule::OutOfRange(1, 3660),
            ));
        }
        Some(days) => Some(now + Duration::days(days)),
        None => None,
    };
    let new = NewToken {
        name: &req.name,
        role: req.role,
        unit_code: req.unit_code.as_deref(),
        expires_at,
    };
    tokens::create(conn, &new, now)
}

/// Tokens the caller may manage, newest first.
fn list(conn: &mut DbConn, actor: &Actor) -> Result<Vec<ApiToken>, AppError> {
    actor.require_admin()?;
    Ok(tokens::list(conn)?
        .into_iter()
        .filter(|(_, path)| actor.covers_token(path.as_deref()))
        .map(|(token, _)| token)
        .collect())
}

/// Revokes a token in the caller's scope; returns it as it is now and the hash this
/// replica must forget.
fn revoke(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(ApiToken, String), AppError> {
    actor.require_admin()?;
    let (_, path) = tokens::find(conn, id)?;
    if !actor.covers_token(path.as_deref()) {
        return Err(AppError::Forbidden(
            "this token is outside the caller's scope".into(),
        ));
    }
    let hash = tokens::revoke(conn, id, now)?;
    let (token, _) = tokens::find(conn, id)?;
    Ok((token, hash))
}
