//! Briefing rows: each submission is the next version of its incident's briefing; the
//! receiving unit's read receipt is stamped once.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::columns::Json;
use super::schema::{briefings, incidents, units};
use super::{DbConn, from_db_time, to_db_time};
use crate::domain::briefing::{Briefing, BriefingUnit, Facts};
use crate::domain::clock::{ClockKind, ClockRules};
use crate::domain::ids::{BriefingId, IncidentId, UnitId};
use crate::error::AppError;

/// The most an inbox lists at once, newest first.
pub const INBOX_SHOWN: i64 = 200;

#[derive(Queryable, Selectable)]
#[diesel(table_name = briefings)]
struct BriefingRow {
    id: BriefingId,
    incident_id: IncidentId,
    version: i64,
    kind: ClockKind,
    from_unit_id: UnitId,
    to_unit_id: UnitId,
    facts: Json<Facts>,
    submitted_at: chrono::NaiveDateTime,
    submitted_by_name: String,
    read_at: Option<chrono::NaiveDateTime>,
    read_by_name: Option<String>,
}

/// A briefing to insert.
pub struct NewBriefingRow<'a> {
    pub incident_id: &'a IncidentId,
    pub kind: &'a ClockKind,
    pub from_unit: &'a UnitId,
    pub to_unit: &'a UnitId,
    pub facts: &'a Facts,
    pub submitted_by: &'a str,
    pub submitted_by_name: &'a str,
}

/// Inserts the incident's next version; the caller holds the incident row (bumped in the
/// same transaction), so two submissions cannot take the same number.
pub fn insert(
    conn: &mut DbConn,
    row: &NewBriefingRow,
    now: DateTime<Utc>,
) -> Result<(BriefingId, i64), AppError> {
    let last: Option<i64> = briefings::table
        .filter(briefings::incident_id.eq(row.incident_id))
        .select(diesel::dsl::max(briefings::version))
        .first(conn)?;
    let version = last.unwrap_or(0) + 1;
    let id = BriefingId::generate();
    diesel::insert_into(briefings::table)
        .values((
            briefings::id.eq(&id),
            briefings::incident_id.eq(row.incident_id),
            briefings::version.eq(version),
            briefings::kind.eq(row.kind),
            briefings::from_unit_id.eq(row.from_unit),
            briefings::to_unit_id.eq(row.to_unit),
            briefings::facts.eq(Json::new(row.facts)?),
            briefings::submitted_at.eq(to_db_time(now)),
            briefings::submitted_by.eq(row.submitted_by),
            briefings::submitted_by_name.eq(row.submitted_by_name),
        ))
        .execute(conn)?;
    Ok((id, version))
}

/// The incident's briefings, newest version first.
pub fn for_incident(
    conn: &mut DbConn,
    incident_id: &IncidentId,
    rules: &ClockRules,
) -> Result<Vec<Briefing>, AppError> {
    let rows = briefings::table
        .filter(briefings::incident_id.eq(incident_id))
        .order(briefings::version.desc())
        .select(BriefingRow::as_select())
        .load(conn)?;
    hydrate(conn, rows, rules)
}

/// Briefings sent to the unit at `to_path` (every unit's when None), newest first.
pub fn inbox(
    conn: &mut DbConn,
    to_path: Option<&str>,
    unread_only: bool,
    rules: &ClockRules,
) -> Result<Vec<Briefing>, AppError> {
    let mut query = briefings::table
        .inner_join(units::table.on(units::id.eq(briefings::to_unit_id)))
        .select(BriefingRow::as_select())
        .order((briefings::submitted_at.desc(), briefings::id.desc()))
        .limit(INBOX_SHOWN)
        .into_boxed();
    if let Some(path) = to_path {
        query = query.filter(units::path.eq(path.to_owned()));
    }
    if unread_only {
        query = query.filter(briefings::read_at.is_null());
    }
    let rows = query.load(conn)?;
    hydrate(conn, rows, rules)
}

/// One briefing, with the path of the unit that sent it (who may see it).
pub fn find(
    conn: &mut DbConn,
    id: &BriefingId,
    rules: &ClockRules,
) -> Result<(Briefing, String), AppError> {
    let row = briefings::table
        .find(id)
        .select(BriefingRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound(format!("briefing {id}")))?;
    let from_path: String = units::table
        .find(&row.from_unit_id)
        .select(units::path)
        .first(conn)?;
    let briefing = hydrate(conn, vec![row], rules)?
        .pop()
        .ok_or_else(|| AppError::NotFound(format!("briefing {id}")))?;
    Ok((briefing, from_path))
}

/// Stamps the read receipt unless one is there (the first reader's time stays); returns
/// the time as stored.
pub fn mark_read(
    conn: &mut DbConn,
    id: &BriefingId,
    reader: &str,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, AppError> {
    let at = to_db_time(now);
    diesel::update(
        briefings::table
            .filter(briefings::id.eq(id))
            .filter(briefings::read_at.is_null()),
    )
    .set((
        briefings::read_at.eq(at),
        briefings::read_by_name.eq(reader),
    ))
    .execute(conn)?;
    Ok(from_db_time(at))
}

/// Rows as listed: with their incident's reference and title, the units' codes and
/// names, and the kind's label.
fn hydrate(
    conn: &mut DbConn,
    rows: Vec<BriefingRow>,
    rules: &ClockRules,
) -> Result<Vec<Briefing>, AppError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let incident_ids: Vec<&IncidentId> = rows.iter().map(|r| &r.incident_id).collect();
    let titles: HashMap<IncidentId, (String, String)> = incidents::table
        .filter(incidents::id.eq_any(incident_ids))
        .select((incidents::id, incidents::reference, incidents::title))
        .load::<(IncidentId, String, String)>(conn)?
        .into_iter()
        .map(|(id, reference, title)| (id, (reference, title)))
        .collect();
    let unit_ids: Vec<&UnitId> = rows
        .iter()
        .flat_map(|r| [&r.from_unit_id, &r.to_unit_id])
        .collect();
    let names: HashMap<UnitId, BriefingUnit> = units::table
        .filter(units::id.eq_any(unit_ids))
        .select((units::id, units::code, units::name))
        .load::<(UnitId, String, String)>(conn)?
        .into_iter()
        .map(|(id, code, name)| (id, BriefingUnit { code, name }))
        .collect();
    let unit = |id: &UnitId| {
        names.get(id).cloned().unwrap_or_else(|| BriefingUnit {
            code: id.to_string(),
            name: id.to_string(),
        })
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let (reference, title) = titles.get(&row.incident_id).cloned().unwrap_or_default();
            Briefing {
                label: rules.label(&row.kind),
                from_unit: unit(&row.from_unit_id),
                to_unit: unit(&row.to_unit_id),
                id: row.id,
                incident_id: row.incident_id,
                incident_reference: reference,
                incident_title: title,
                version: row.version,
                kind: row.kind,
                facts: row.facts.into_inner(),
                submitted_at: from_db_time(row.submitted_at),
                submitted_by: row.submitted_by_name,
                read_at: row.read_at.map(from_db_time),
                read_by: row.read_by_name,
            }
        })
        .collect())
}
