//! Send slots of addresses a vendor limits by count (a 企业微信 member: 30 a minute, 1,000
//! an hour). A slot is taken before a message goes; without one the message waits. Every
//! replica counts the same rows: on PostgreSQL a transaction-scoped advisory lock on the
//! key serialises takers of one address, on SQLite the write transaction does.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::schema::send_slots;
use super::{DbConn, from_db_time, to_db_time};
use crate::domain::escalation::RateLimit;
use crate::error::AppError;

/// Takes a slot for `key` under every limit, or says when one frees up. Call in a write
/// transaction.
pub fn take(
    conn: &mut DbConn,
    key: &str,
    limits: &[RateLimit],
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, AppError> {
    if let DbConn::Pg(c) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind::<Text, _>(key)
            .execute(c)?;
    }
    let longest = limits.iter().map(|l| l.window).max().unwrap_or_default();
    diesel::delete(
        send_slots::table
            .filter(send_slots::key.eq(key))
            .filter(send_slots::sent_at.lt(to_db_time(now - longest))),
    )
    .execute(conn)?;
    let recent: Vec<chrono::NaiveDateTime> = send_slots::table
        .filter(send_slots::key.eq(key))
        .order(send_slots::sent_at.desc())
        .select(send_slots::sent_at)
        .load(conn)?;
    let mut free_at: Option<DateTime<Utc>> = None;
    for limit in limits {
        let within: Vec<DateTime<Utc>> = recent
            .iter()
            .map(|t| from_db_time(*t))
            .filter(|t| *t > now - limit.window)
            .collect();
        if within.len() as i64 >= limit.count {
            // The send that leaves the window next frees a slot.
            let leaving = within[(limit.count - 1).max(0) as usize];
            let at = leaving + limit.window;
            free_at = Some(free_at.map_or(at, |f| f.max(at)));
        }
    }
    if free_at.is_some() {
        return Ok(free_at);
    }
    diesel::insert_into(send_slots::table)
        .values((
            send_slots::key.eq(key),
            send_slots::sent_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    Ok(None)
}
