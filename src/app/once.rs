//! A form's one-time token (the console's hidden `once` field, new with every page),
//! recorded inside the transaction of what the form does: a second post of the same form
//! finds it and records nothing, a failed one leaves it unused.

use chrono::{DateTime, Utc};

use crate::error::AppError;
use crate::store::{DbConn, forms};

#[derive(Clone, Debug, Default)]
pub struct Once(Option<String>);

impl Once {
    /// No token: every submission counts (the JSON API, which has `Idempotency-Key`).
    pub fn none() -> Self {
        Self(None)
    }

    /// The token `key`, posted to `path`.
    pub fn posted(path: &str, key: &str) -> Self {
        Self((!key.is_empty() && key.len() <= 64).then(|| format!("{path}#{key}")))
    }

    /// True the first time this actor submits this form (always, for a form without a
    /// token: a client that sends none gets no protection from double submits).
    pub(crate) fn first(
        &self,
        conn: &mut DbConn,
        actor_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, AppError> {
        match &self.0 {
            Some(key) => forms::first_use(conn, actor_id, key, now),
            None => Ok(true),
        }
    }
}
