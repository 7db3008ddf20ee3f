//! Counts the metrics endpoint reads from the database at each scrape.

use chrono::{DateTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::schema::{clocks, escalations as esc};
use super::{DbConn, escalations, to_db_time};
use crate::domain::clock::StoredState;
use crate::domain::escalation::EscalationStatus;

use crate::error::AppError;

pub struct Gauges {
    pub mails_by_status: Vec<(EscalationStatus, i64)>,
    pub running: i64,
    pub at_risk: i64,
    pub breached: i64,
    pub lag_seconds: i64,
}

pub fn read(conn: &mut DbConn) -> Result<Gauges, AppError> {
    let now: DateTime<Utc> = escalations::db_now(conn)?;
    let at = to_db_time(now);
    let mails_by_status = esc::table
        .group_by(esc::status)
        .select((esc::status, count_star()))
        .load(conn)?;
    let running = || clocks::table.filter(clocks::state.eq(StoredState::Running));
    let lag_seconds = escalations::lag_seconds(conn, now)?;
    Ok(Gauges {
        mails_by_status,
        running: running()
            .filter(clocks::at_risk_at.gt(at))
            .count()
            .get_result(conn)?,
        at_risk: running()
            .filter(clocks::at_risk_at.le(at))
            .filter(clocks::due_at.ge(at))
            .count()
            .get_result(conn)?,
        breached: running()
            .filter(clocks::due_at.lt(at))
            .count()
            .get_result(conn)?,
        lag_seconds,
    })
}
