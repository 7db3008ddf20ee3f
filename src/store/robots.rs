//! Group robots of units, and the record of what was sent to each (its rate limit holds
//! across replicas: a slot is taken in the database before a message goes).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use super::schema::{robot_sends, robots, units};
use super::{DbConn, from_db_time, to_db_time, units as unit_store};
use crate::domain::ids::{RobotId, UnitId};
use crate::domain::names::UnitCode;
use crate::domain::robot::{NewRobot, Robot, RobotKind, Target, mask_webhook};
use crate::error::AppError;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = robots)]
struct RobotRow {
    id: RobotId,
    unit_id: UnitId,
    kind: RobotKind,
    name: String,
    webhook: String,
    secret: Option<String>,
    active: bool,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

impl RobotRow {
    fn shown(self, unit_code: UnitCode) -> Robot {
        Robot {
            webhook: mask_webhook(&self.webhook),
            has_secret: self.secret.is_some(),
            id: self.id,
            unit_code,
            kind: self.kind,
            name: self.name,
            active: self.active,
            created_at: from_db_time(self.created_at),
        }
    }
}

pub fn insert(conn: &mut DbConn, new: NewRobot, now: DateTime<Utc>) -> Result<Robot, AppError> {
    let unit = unit_store::find_active(conn, "unit_code", &new.unit_code)?;
    let row = RobotRow {
        id: RobotId::generate(),
        unit_id: unit.id,
        kind: new.kind,
        name: new.name,
        webhook: new.webhook,
        secret: new.secret,
        active: true,
        created_at: to_db_time(now),
        updated_at: to_db_time(now),
    };
    diesel::insert_into(robots::table)
        .values(&row)
        .execute(conn)?;
    Ok(row.shown(unit.code))
}

/// A robot with the path of its unit, for scope checks.
pub fn find(conn: &mut DbConn, id: &RobotId) -> Result<(Robot, String), AppError> {
    let (row, code, path): (RobotRow, UnitCode, String) = robots::table
        .inner_join(units::table)
        .filter(robots::id.eq(id))
        .select((RobotRow::as_select(), units::code, units::path))
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound(format!("robot {id}")))?;
    Ok((row.shown(code), path))
}

/// Robots of the units at or below `scope_path` (all without one), by unit.
pub fn list(conn: &mut DbConn, scope_path: Option<&str>) -> Result<Vec<Robot>, AppError> {
    let mut query = robots::table
        .inner_join(units::table)
        .select((RobotRow::as_select(), units::code))
        .order((units::path.asc(), robots::created_at.asc()))
        .into_boxed();
    if let Some(path) = scope_path {
        query = query.filter(units::path.like(format!("{path}%")));
    }
    let rows: Vec<(RobotRow, UnitCode)> = query.load(conn)?;
    Ok(rows.into_iter().map(|(r, code)| r.shown(code)).collect())
}

pub fn set_active(
    conn: &mut DbConn,
    id: &RobotId,
    active: bool,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    diesel::update(robots::table.find(id))
        .set((
            robots::active.eq(active),
            robots::updated_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The active robots of these units: (robot, its name, its unit's code).
pub fn of_units(
    conn: &mut DbConn,
    unit_codes: &[&str],
) -> Result<Vec<(RobotId, RobotKind, String, String)>, AppError> {
    Ok(robots::table
        .inner_join(units::table)
        .filter(units::code.eq_any(unit_codes))
        .filter(robots::active.eq(true))
        .order(robots::created_at.asc())
        .select((robots::id, robots::kind, robots::name, units::code))
        .load(conn)?)
}

/// How to reach these robots (inactive ones too: a message planned before a robot was
/// switched off still says where it was to go; the engine cancels it).
pub fn targets(
    conn: &mut DbConn,
    ids: &[RobotId],
) -> Result<HashMap<RobotId, (Target, bool)>, AppError> {
    let rows: Vec<(RobotId, RobotKind, String, Option<String>, bool)> = robots::table
        .filter(robots::id.eq_any(ids))
        .select((
            robots::id,
            robots::kind,
            robots::webhook,
            robots::secret,
            robots::active,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, kind, webhook, secret, active)| {
            (
                id,
                (
                    Target {
                        kind,
                        webhook,
                        secret,
                    },
                    active,
                ),
            )
        })
        .collect())
}

/// The window a robot's sends are counted in: a minute, and a margin for the time a
/// request takes to arrive (the vendor counts arrivals).
const WINDOW_SECONDS: i64 = 65;

/// Takes one of the robot's `per_minute` sends in the window before `now`, or says when
/// the next is free. Call in a write transaction: the robot's row is locked first, so two
/// replicas never both take the last slot.
pub fn take_slot(
    conn: &mut DbConn,
    id: &RobotId,
    per_minute: i64,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, AppError> {
    // An update that changes nothing but takes the row's lock (PostgreSQL; SQLite's
    // write transaction holds the whole database).
    diesel::update(robots::table.find(id))
        .set(robots::id.eq(robots::id))
        .execute(conn)?;
    let window = to_db_time(now - Duration::seconds(WINDOW_SECONDS));
    diesel::delete(
        robot_sends::table
            .filter(robot_sends::robot_id.eq(id))
            .filter(robot_sends::sent_at.lt(window)),
    )
    .execute(conn)?;
    let recent: Vec<chrono::NaiveDateTime> = robot_sends::table
        .filter(robot_sends::robot_id.eq(id))
        .order(robot_sends::sent_at.asc())
        .select(robot_sends::sent_at)
        .load(conn)?;
    if recent.len() as i64 >= per_minute {
        let oldest = recent.first().map_or(now, |t| from_db_time(*t));
        return Ok(Some(oldest + Duration::seconds(WINDOW_SECONDS)));
    }
    diesel::insert_into(robot_sends::table)
        .values((
            robot_sends::robot_id.eq(id),
            robot_sends::sent_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    Ok(None)
}
