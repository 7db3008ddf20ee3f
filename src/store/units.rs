//! The unit directory. Units are deactivated, never deleted, so history keeps its names.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::columns::Json;
use super::schema::units;
use super::{DbConn, from_db_time, to_db_time};
use crate::domain::ids::UnitId;
use crate::domain::names::{UnitCode, UnitName};
use crate::domain::quiet::QuietHours;
use crate::domain::unit::{Unit, UnitChange, UnitLevel, child_path};
use crate::error::{AppError, ConflictCode};
use crate::rule::Rule;

// The whole row is read, changed and written back: a field set to None is written as NULL
// (diesel would otherwise leave it as it was: `quiet_hours: null` or a move to the top
// level was answered 200 and not kept).
#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = units, treat_none_as_null = true)]
struct UnitRow {
    id: UnitId,
    code: UnitCode,
    name: UnitName,
    level: UnitLevel,
    parent_id: Option<UnitId>,
    path: String,
    active: bool,
    version: i64,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    quiet_hours: Option<Json<QuietHours>>,
}

impl UnitRow {
    fn into_unit(self, parent_code: Option<UnitCode>) -> Result<Unit, AppError> {
        Ok(Unit {
            level: self.level,
            id: self.id,
            code: self.code,
            name: self.name,
            parent_code,
            path: self.path,
            active: self.active,
            version: self.version,
            created_at: from_db_time(self.created_at),
            updated_at: from_db_time(self.updated_at),
            quiet_hours: self.quiet_hours.map(Json::into_inner),
        })
    }
}

fn parent_code_of(conn: &mut DbConn, row: &UnitRow) -> Result<Option<UnitCode>, AppError> {
    match &row.parent_id {
        None => Ok(None),
        Some(pid) => Ok(Some(
            units::table.find(pid).select(units::code).first(conn)?,
        )),
    }
}

fn row_by_code(conn: &mut DbConn, code: &str) -> Result<UnitRow, AppError> {
    units::table
        .filter(units::code.eq(code))
        .select(UnitRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound(format!("unit {code}")))
}

pub fn find(conn: &mut DbConn, code: &str) -> Result<Unit, AppError> {
    let row = row_by_code(conn, code)?;
    let parent = parent_code_of(conn, &row)?;
    row.into_unit(parent)
}

/// A unit named in a request (active or not, e.g. a filter over history); an unknown
/// code is the request's fault and names `field`.
pub fn find_named(conn: &mut DbConn, field: &str, code: &str) -> Result<Unit, AppError> {
    find(conn, code).map_err(|e| match e {
        AppError::NotFound(_) => AppError::invalid(field, Rule::UnknownUnit(code.to_owned())),
        other => other,
    })
}

/// A unit named in a request: it must exist and be active.
pub fn find_active(conn: &mut DbConn, field: &str, code: &str) -> Result<Unit, AppError> {
    let unit = find_named(conn, field, code)?;
    if !unit.active {
        return Err(AppError::invalid(
            field,
            Rule::UnitDeactivated(code.to_owned()),
        ));
    }
    Ok(unit)
}

/// Every unit, parents before children, limited to the units under `scope_path`.
pub fn list(conn: &mut DbConn, scope_path: Option<&str>) -> Result<Vec<Unit>, AppError> {
    let rows: Vec<UnitRow> = units::table
        .select(UnitRow::as_select())
        .order((units::path.asc(),))
        .load(conn)?;
    let codes: std::collections::HashMap<UnitId, UnitCode> = rows
        .iter()
        .map(|r| (r.id.clone(), r.code.clone()))
        .collect();
    rows.into_iter()
        .filter(|r| scope_path.is_none_or(|p| r.path.starts_with(p)))
        .map(|r| {
            let parent = r.parent_id.as_ref().and_then(|p| codes.get(p).cloned());
            r.into_unit(parent)
        })
        .collect()
}

fn check_parent(conn: &mut DbConn, code: &str, level: UnitLevel) -> Result<Unit, AppError> {
    let parent = find_active(conn, "parent_code", code)?;
    if !level.may_be_child_of(parent.level) {
        return Err(AppError::invalid(
            "parent_code",
            Rule::LevelBelow {
                child: level.as_str(),
                parent: parent.level.as_str(),
            },
        ));
    }
    Ok(parent)
}

pub fn insert(
    conn: &mut DbConn,
    new: crate::domain::unit::NewUnit,
    now: DateTime<Utc>,
) -> Result<Unit, AppError> {
    if units::table
        .filter(units::code.eq(&new.code))
        .count()
        .get_result::<i64>(conn)?
        > 0
    {
        return Err(AppError::conflict(
            ConflictCode::UnitCodeTaken,
            format!("a unit with code {} exists", new.code),
        ));
    }
    let parent = match &new.parent_code {
        Some(code) => Some(check_parent(conn, code, new.level)?),
        None => None,
    };
    let id = UnitId::generate();
    let now = to_db_time(now);
    let row = UnitRow {
        path: child_path(parent.as_ref().map(|p| p.path.as_str()), id.as_str()),
        parent_id: parent.map(|p| p.id),
        id,
        code: new.code,
        name: new.name,
        level: new.level,
        active: true,
        version: 1,
        created_at: now,
        updated_at: now,
        quiet_hours: None,
    };
    let taken = || {
        AppError::conflict(
            ConflictCode::UnitCodeTaken,
            format!("a unit with code {} exists", row.code),
        )
    };
    match diesel::insert_into(units::table).values(&row).execute(conn) {
        // A concurrent request with the same code committed between the check and here.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => return Err(taken()),
        other => other?,
    };
    let parent = new.parent_code;
    row.into_unit(parent)
}

/// Applies a change; moving a unit rewrites the paths of everything below it.
pub fn update(
    conn: &mut DbConn,
    code: &str,
    change: UnitChange,
    now: DateTime<Utc>,
) -> Result<Unit, AppError> {
    let mut row = row_by_code(conn, code)?;
    let old_path = row.path.clone();
    if let Some(name) = change.name {
        row.name = name;
    }
    if let Some(level) = change.level {
        row.level = level;
    }
    if let Some(active) = change.active {
        row.active = active;
    }
    if let Some(quiet) = change.quiet_hours {
        row.quiet_hours = quiet.map(Json::new).transpose()?;
    }
    let level = row.level;
    let level_changed = change.level.is_some();
    let parent_code = match change.parent_code {
        Some(Some(pcode)) => {
            let parent = check_parent(conn, &pcode, level)?;
            if parent.path.starts_with(&old_path) {
                return Err(AppError::invalid("parent_code", Rule::BelowItself));
            }
            row.path = child_path(Some(&parent.path), row.id.as_str());
            row.parent_id = Some(parent.id);
            Some(pcode)
        }
        Some(None) => {
            row.path = child_path(None, row.id.as_str());
            row.parent_id = None;
            None
        }
        None => {
            let current = parent_code_of(conn, &row)?;
            if let (true, Some(pcode)) = (level_changed, &current) {
                check_parent(conn, pcode, level)?;
            }
            current
        }
    };
    if level_changed {
        check_children(conn, &row.id, level)?;
    }
    if row.path != old_path {
        move_descendants(conn, &old_path, &row.path)?;
    }
    row.version += 1;
    row.updated_at = to_db_time(now);
    diesel::update(units::table.find(&row.id))
        .set(&row)
        .execute(conn)?;
    // Incidents show unit names and scopes follow paths.
    super::revision::bump(conn)?;
    row.into_unit(parent_code)
}

fn check_children(conn: &mut DbConn, id: &UnitId, level: UnitLevel) -> Result<(), AppError> {
    let child_levels: Vec<UnitLevel> = units::table
        .filter(units::parent_id.eq(id))
        .select(units::level)
        .load(conn)?;
    for child in child_levels {
        if !child.may_be_child_of(level) {
            return Err(AppError::invalid(
                "level",
                Rule::ChildLevelBelow {
                    child: child.as_str(),
                    level: level.as_str(),
                },
            ));
        }
    }
    Ok(())
}

fn move_descendants(conn: &mut DbConn, old: &str, new: &str) -> Result<(), AppError> {
    let below: Vec<(UnitId, String)> = units::table
        .filter(units::path.like(format!("{old}%")))
        .filter(units::path.ne(old))
        .select((units::id, units::path))
        .load(conn)?;
    for (id, path) in below {
        let moved = format!("{new}{}", &path[old.len()..]);
        diesel::update(units::table.find(&id))
            .set(units::path.eq(moved))
            .execute(conn)?;
    }
    Ok(())
}

/// The quiet hours of these units (by code), those that have them.
pub fn quiet_hours_of(
    conn: &mut DbConn,
    codes: &[&str],
) -> Result<std::collections::HashMap<String, QuietHours>, AppError> {
    let rows: Vec<(String, Option<Json<QuietHours>>)> = units::table
        .filter(units::code.eq_any(codes))
        .filter(units::quiet_hours.is_not_null())
        .select((units::code, units::quiet_hours))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(code, q)| Some((code, q?.into_inner())))
        .collect())
}
