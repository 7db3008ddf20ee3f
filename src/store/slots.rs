//! Send slots of addresses a vendor limits by count (a 企业微信 member: 30 a minute, 1,000
//! an hour; an SMS number: a daily cap). A slot is taken before a message goes; without
//! one the message waits. Every replica counts the same rows: on PostgreSQL
//! transaction-scoped advisory locks on the keys serialise takers of one address, on
//! SQLite the write transaction does. Many slots are taken in one transaction with a
//! handful of statements, whatever their number.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Text, Timestamp};

use super::schema::send_slots;
use super::{DbConn, from_db_time, to_db_time};
use crate::domain::escalation::RateLimit;
use crate::error::AppError;

/// A slot asked for: the address's key, what its vendor allows within which windows, and
/// when the message goes (a message claimed ahead of its moment is counted at the moment).
#[derive(Debug, Clone)]
pub struct Wanted {
    pub key: String,
    pub limits: Vec<RateLimit>,
    pub at: DateTime<Utc>,
}

/// The answer: a slot (`free_at` None) or when one frees up; and how many slots the key
/// held within its longest window before this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taken {
    pub free_at: Option<DateTime<Utc>>,
    pub recent: usize,
}

/// Takes a slot for each wanted key in order, at its time or `now` if that is later; a
/// key asked for several times takes several slots. Call in a write transaction.
pub fn take_many(
    conn: &mut DbConn,
    wanted: &[Wanted],
    now: DateTime<Utc>,
) -> Result<Vec<Taken>, AppError> {
    let keys: Vec<&str> = wanted
        .iter()
        .map(|w| w.key.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    if let DbConn::Pg(c) = conn {
        // In the locks' own order, so two replicas taking overlapping keys never deadlock.
        diesel::sql_query(
            "SELECT pg_advisory_xact_lock(h) FROM
               (SELECT DISTINCT hashtext(k) AS h FROM unnest($1::text[]) AS k) AS hs ORDER BY h",
        )
        .bind::<Array<Text>, _>(&keys)
        .execute(c)?;
    }
    forget_old(conn, wanted, now)?;
    let mut recent: BTreeMap<String, Vec<DateTime<Utc>>> = BTreeMap::new();
    let rows: Vec<(String, NaiveDateTime)> = send_slots::table
        .filter(send_slots::key.eq_any(&keys))
        .select((send_slots::key, send_slots::sent_at))
        .load(conn)?;
    for (key, at) in rows {
        recent.entry(key).or_default().push(from_db_time(at));
    }
    let mut answers = Vec::with_capacity(wanted.len());
    let mut granted: Vec<(&str, DateTime<Utc>)> = Vec::new();
    for w in wanted {
        let at = w.at.max(now);
        let times = recent.entry(w.key.clone()).or_default();
        let answer = decide(times, &w.limits, at);
        if answer.free_at.is_none() {
            times.push(at);
            granted.push((&w.key, at));
        }
        answers.push(answer);
    }
    insert(conn, &granted)?;
    Ok(answers)
}

/// Whether one more message may go at `now` given the key's `times` of the longest
/// window.
fn decide(times: &[DateTime<Utc>], limits: &[RateLimit], now: DateTime<Utc>) -> Taken {
    let longest = limits.iter().map(|l| l.window).max().unwrap_or_default();
    let recent = times.iter().filter(|t| **t > now - longest).count();
    let mut free_at: Option<DateTime<Utc>> = None;
    for limit in limits {
        let mut within: Vec<DateTime<Utc>> = times
            .iter()
            .copied()
            .filter(|t| *t > now - limit.window)
            .collect();
        if within.len() as i64 >= limit.count {
            // The send that leaves the window next frees a slot.
            within.sort_unstable_by(|a, b| b.cmp(a));
            let leaving = within[(limit.count - 1).max(0) as usize];
            let at = leaving + limit.window;
            free_at = Some(free_at.map_or(at, |f| f.max(at)));
        }
    }
    Taken { free_at, recent }
}

/// Drops slots that left every window of their key.
fn forget_old(conn: &mut DbConn, wanted: &[Wanted], now: DateTime<Utc>) -> Result<(), AppError> {
    let mut by_window: BTreeMap<chrono::Duration, BTreeSet<&str>> = BTreeMap::new();
    for w in wanted {
        let longest = w.limits.iter().map(|l| l.window).max().unwrap_or_default();
        by_window.entry(longest).or_default().insert(&w.key);
    }
    for (window, keys) in by_window {
        diesel::delete(
            send_slots::table
                .filter(send_slots::key.eq_any(keys))
                .filter(send_slots::sent_at.lt(to_db_time(now - window))),
        )
        .execute(conn)?;
    }
    Ok(())
}

fn insert(conn: &mut DbConn, slots: &[(&str, DateTime<Utc>)]) -> Result<(), AppError> {
    match conn {
        DbConn::Pg(c) => {
            let (keys, times): (Vec<&str>, Vec<NaiveDateTime>) =
                slots.iter().map(|(k, at)| (*k, to_db_time(*at))).unzip();
            diesel::sql_query(
                "INSERT INTO send_slots (key, sent_at) SELECT * FROM unnest($1::text[], $2::timestamp[])",
            )
            .bind::<Array<Text>, _>(keys)
            .bind::<Array<Timestamp>, _>(times)
            .execute(c)?;
        }
        // Batch inserts do not compile for the two-backend connection; inside SQLite's
        // one transaction a statement per slot costs microseconds.
        DbConn::Sqlite(_) => {
            for (key, at) in slots {
                diesel::insert_into(send_slots::table)
                    .values((
                        send_slots::key.eq(key),
                        send_slots::sent_at.eq(to_db_time(*at)),
                    ))
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap_or_default()
    }

    #[test]
    fn past_the_count_the_next_slot_is_when_the_oldest_leaves_the_window() {
        let limits = [RateLimit {
            count: 2,
            window: chrono::Duration::seconds(60),
        }];
        assert_eq!(decide(&[at(0)], &limits, at(10)).free_at, None);
        let full = decide(&[at(0), at(5)], &limits, at(10));
        assert_eq!(full.free_at, Some(at(60)));
        assert_eq!(full.recent, 2);
        assert_eq!(decide(&[at(0), at(5)], &limits, at(61)).free_at, None);
    }
}
