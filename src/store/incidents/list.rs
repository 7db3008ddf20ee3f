//! Listing incidents with filters, newest first or nearest deadline first, with keyset
//! pagination that stays stable while new incidents arrive.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::{IncidentRow, hydrate};
use crate::domain::clock::{ClockState, StoredState};
use crate::domain::incident::{Cursor, Incident, IncidentFilter, Sort, Status};
use crate::error::AppError;
use crate::store::schema::{clocks, incident_units, incidents, units};
use crate::store::{DbConn, to_db_time};

pub struct Page {
    pub items: Vec<Incident>,
    pub next_cursor: Option<String>,
}

type Boxed<'a> = incidents::BoxedQuery<'a, crate::store::connection::MultiBackend>;

pub fn list(
    conn: &mut DbConn,
    filter: IncidentFilter,
    now: DateTime<Utc>,
) -> Result<Page, AppError> {
    let limit = filter.limit;
    let (rows, next) = match (filter.sort, filter.cursor.clone()) {
        (Sort::Newest, cursor) => newest(conn, &filter, now, cursor, limit)?,
        (Sort::Deadline, Some(Cursor::Undated { created_at, id })) => {
            undated(conn, &filter, now, Some((created_at, id)), limit)?
        }
        (Sort::Deadline, Some(Cursor::UndatedStart)) => undated(conn, &filter, now, None, limit)?,
        (Sort::Deadline, cursor) => {
            let after = match cursor {
                Some(Cursor::Deadline { due_at, id }) => Some((due_at, id)),
                _ => None,
            };
            let (mut rows, next) = dated(conn, &filter, now, after, limit)?;
            let room = limit - rows.len() as i64;
            if next.is_some() {
                (rows, next)
            } else if room == 0 {
                // The page is full: point at the undated run if there is one.
                let (first, _) = undated(conn, &filter, now, None, 1)?;
                (rows, (!first.is_empty()).then_some(Cursor::UndatedStart))
            } else {
                let (more, next) = undated(conn, &filter, now, None, room)?;
                rows.extend(more);
                (rows, next)
            }
        }
    };
    Ok(Page {
        items: hydrate(conn, rows, now)?,
        next_cursor: next.map(|c| c.encode()),
    })
}

fn newest(
    conn: &mut DbConn,
    filter: &IncidentFilter,
    now: DateTime<Utc>,
    cursor: Option<Cursor>,
    limit: i64,
) -> Result<(Vec<IncidentRow>, Option<Cursor>), AppError> {
    let after = match cursor {
        Some(Cursor::Newest { created_at, id }) => Some((created_at, id)),
        _ => None,
    };
    newest_first(
        conn,
        filtered(filter, now),
        after,
        limit,
        |created_at, id| Cursor::Newest { created_at, id },
    )
}

/// The run after the dated one in deadline order: no running clock, newest first.
fn undated(
    conn: &mut DbConn,
    filter: &IncidentFilter,
    now: DateTime<Utc>,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> Result<(Vec<IncidentRow>, Option<Cursor>), AppError> {
    if limit <= 0 {
        return Ok((Vec::new(), None));
    }
    let query = filtered(filter, now).filter(incidents::next_due_at.is_null());
    newest_first(conn, query, after, limit, |created_at, id| {
        Cursor::Undated { created_at, id }
    })
}

/// By (created_at, id) descending, after a position.
fn newest_first(
    conn: &mut DbConn,
    query: Boxed<'_>,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
    cursor: fn(NaiveDateTime, String) -> Cursor,
) -> Result<(Vec<IncidentRow>, Option<Cursor>), AppError> {
    let mut query = query.order((incidents::created_at.desc(), incidents::id.desc()));
    if let Some((created_at, id)) = after {
        query = query.filter(
            incidents::created_at
                .lt(created_at)
                .or(incidents::created_at
                    .eq(created_at)
                    .and(incidents::id.lt(id))),
        );
    }
    Ok(finish(fetch(conn, query, limit)?, limit, |r, _| {
        cursor(r.created_at, r.id.to_string())
    }))
}

/// By nearest running deadline, after a position.
fn dated(
    conn: &mut DbConn,
    filter: &IncidentFilter,
    now: DateTime<Utc>,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> Result<(Vec<IncidentRow>, Option<Cursor>), AppError> {
    let mut query = filtered(filter, now)
        .filter(incidents::next_due_at.is_not_null())
        .order((incidents::next_due_at.asc(), incidents::id.asc()));
    if let Some((due_at, id)) = after {
        query = query.filter(
            incidents::next_due_at
                .gt(due_at)
                .or(incidents::next_due_at.eq(due_at).and(incidents::id.gt(id))),
        );
    }
    Ok(finish(fetch(conn, query, limit)?, limit, |r, due| {
        Cursor::Deadline {
            due_at: due.unwrap_or(r.created_at),
            id: r.id.to_string(),
        }
    }))
}

type Fetched = (IncidentRow, Option<NaiveDateTime>);

/// One more row than asked, to tell whether another page follows.
fn fetch(conn: &mut DbConn, query: Boxed<'_>, limit: i64) -> Result<Vec<Fetched>, AppError> {
    Ok(query
        .select((IncidentRow::as_select(), incidents::next_due_at))
        .limit(limit + 1)
        .load(conn)?)
}

/// Drops the extra row; a cursor after the last kept one when more follow.
fn finish(
    mut rows: Vec<Fetched>,
    limit: i64,
    at: impl Fn(&IncidentRow, Option<NaiveDateTime>) -> Cursor,
) -> (Vec<IncidentRow>, Option<Cursor>) {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = more
        .then(|| rows.last().map(|(r, due)| at(r, *due)))
        .flatten();
    (rows.into_iter().map(|(r, _)| r).collect(), next)
}

fn filtered<'a>(filter: &IncidentFilter, now: DateTime<Utc>) -> Boxed<'a> {
    let mut query = incidents::table.into_boxed();
    if let Some(s) = filter.status {
        query = query.filter(incidents::status.eq(s));
    }
    if filter.open_only {
        query = query.filter(incidents::status.ne_all([Status::Closed, Status::Dismissed]));
    }
    if let Some(s) = filter.severity {
        query = query.filter(incidents::severity.eq(s));
    }
    if let Some(c) = filter.category {
        query = query.filter(incidents::category.eq(c));
    }
    if let Some(t) = filter.special_topic {
        query = query.filter(incidents::special_topic.eq(t));
    }
    for path in [&filter.unit_path, &filter.scope_path]
        .into_iter()
        .flatten()
    {
        let below = incident_units::table
            .inner_join(units::table)
            .filter(units::path.like(format!("{path}%")))
            .select(incident_units::incident_id);
        query = query.filter(incidents::id.eq_any(below));
    }
    if let Some(from) = filter.discovered_from {
        query = query.filter(incidents::discovered_at.ge(to_db_time(from)));
    }
    if let Some(to) = filter.discovered_to {
        query = query.filter(incidents::discovered_at.lt(to_db_time(to)));
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(incidents::updated_at.ge(to_db_time(since)));
    }
    if let Some(text) = &filter.text {
        let pattern = format!("%{}%", escape_like(text));
        query = query.filter(
            incidents::reference
                .like(pattern.clone())
                .escape('\\')
                .or(incidents::title.like(pattern.clone()).escape('\\'))
                .or(incidents::summary.like(pattern).escape('\\')),
        );
    }
    if filter.clock_kind.is_some() || filter.clock_state.is_some() {
        query = with_clock(query, filter, now);
    }
    query
}

/// Keeps incidents with a clock of the asked kind in the asked state at `now`; the
/// time-derived states use the same boundaries as `ClockState::at`. (Each arm is its
/// own concrete subquery: a boxed one cannot be nested under a MultiConnection.)
fn with_clock<'a>(query: Boxed<'a>, filter: &IncidentFilter, now: DateTime<Utc>) -> Boxed<'a> {
    let now = to_db_time(now);
    // The asked kind, or any kind when none is asked for: kinds are `[a-z0-9_]+`, all
    // between "" and "{" (one expression type for both cases).
    let (from, to) = match &filter.clock_kind {
        Some(kind) => (kind.as_str().to_owned(), kind.as_str().to_owned()),
        None => (String::new(), "{".to_owned()),
    };
    let of_kind = clocks::table.filter(clocks::kind.between(from, to));
    let running = of_kind
        .clone()
        .filter(clocks::state.eq(StoredState::Running));
    let stored = |states: &[StoredState]| {
        let states = states.to_vec();
        of_kind
            .clone()
            .filter(clocks::state.eq_any(states))
            .select(clocks::incident_id)
    };
    match filter.clock_state {
        Some(ClockState::Running) => query.filter(
            incidents::id.eq_any(
                running
                    .filter(clocks::at_risk_at.gt(now))
                    .select(clocks::incident_id),
            ),
        ),
        Some(ClockState::AtRisk) => query.filter(
            incidents::id.eq_any(
                running
                    .filter(clocks::at_risk_at.le(now))
                    .filter(clocks::due_at.ge(now))
                    .select(clocks::incident_id),
            ),
        ),
        Some(ClockState::Breached) => query.filter(
            incidents::id.eq_any(
                running
                    .filter(clocks::due_at.lt(now))
                    .select(clocks::incident_id),
            ),
        ),
        Some(ClockState::Met) => query.filter(incidents::id.eq_any(stored(&[StoredState::Met]))),
        Some(ClockState::MetLate) => {
            query.filter(incidents::id.eq_any(stored(&[StoredState::MetLate])))
        }
        Some(ClockState::Cancelled) => {
            query.filter(incidents::id.eq_any(stored(&[StoredState::Cancelled])))
        }
        None => query.filter(incidents::id.eq_any(stored(StoredState::ALL))),
    }
}

fn escape_like(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_belong_to_one_sort() {
        let at = DateTime::from_timestamp_micros(1_763_779_200_123_456)
            .unwrap()
            .naive_utc();
        for cursor in [
            Cursor::Newest {
                created_at: at,
                id: "a_b".into(),
            },
            Cursor::Deadline {
                due_at: at,
                id: "x".into(),
            },
            Cursor::Undated {
                created_at: at,
                id: "y".into(),
            },
            Cursor::UndatedStart,
        ] {
            assert_eq!(Cursor::parse(&cursor.encode()), Some(cursor.clone()));
        }
        assert!(
            !Cursor::Newest {
                created_at: at,
                id: "x".into()
            }
            .fits(Sort::Deadline)
        );
        assert!(
            Cursor::Undated {
                created_at: at,
                id: "x".into()
            }
            .fits(Sort::Deadline)
        );
        assert_eq!(Cursor::parse("z1_x"), None);
        assert_eq!(Cursor::parse("n_x"), None);
    }

    #[test]
    fn like_wildcards_are_taken_literally() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}
