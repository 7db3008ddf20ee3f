//! The office directory: units and contacts. Only admins change it, and a scoped admin
//! only at or below its own unit.

use chrono::{DateTime, Utc};

use crate::domain::access::Actor;
use crate::domain::contact::Contact;
use crate::domain::contact::NewContact;
use crate::domain::unit::NewUnit;
use crate::domain::unit::Unit;
use crate::error::AppError;
use crate::store::contacts::{self, ContactChange};
use crate::store::units::{self, UnitChange};
use crate::store::{DbConn, sessions};

pub fn add_unit(
    conn: &mut DbConn,
    actor: &Actor,
    new: NewUnit,
    now: DateTime<Utc>,
) -> Result<Unit, AppError> {
    actor.require_admin()?;
    // A scoped admin adds units only below its own unit.
    match &new.parent_code {
        Some(p) if actor.scope.is_some() => {
            let parent = units::find_active(conn, "parent_code", p)?;
            actor.require_covers(&parent.path, "parent unit")?;
        }
        None if actor.scope.is_some() => {
            return Err(AppError::Forbidden(
                "a scoped token cannot add a top-level unit".into(),
            ));
        }
        _ => {}
    }
    units::insert(conn, new, now)
}

/// Renames, moves, re-levels, deactivates or restores a unit in the actor's scope; a
/// move must land in scope too.
pub fn change_unit(
    conn: &mut DbConn,
    actor: &Actor,
    code: &str,
    change: UnitChange,
    now: DateTime<Utc>,
) -> Result<Unit, AppError> {
    actor.require_admin()?;
    actor.require_covers(&units::find(conn, code)?.path, "unit")?;
    if change.active == Some(false) && actor.scope.as_ref().is_some_and(|s| s.unit_code == code) {
        // It would lock the admin (and every token of the unit) out of its own office.
        return Err(AppError::Forbidden(
            "a scoped admin cannot deactivate its own unit; ask an admin above it".into(),
        ));
    }
    let deactivated = change.active == Some(false);
    let unit = units::update(conn, code, change, now)?;
    actor.require_covers(&unit.path, "the unit's new place")?;
    if deactivated {
        sessions::delete_for_unit(conn, &unit.id)?;
    }
    Ok(unit)
}

pub fn add_contact(
    conn: &mut DbConn,
    actor: &Actor,
    new: NewContact,
    now: DateTime<Utc>,
) -> Result<Contact, AppError> {
    actor.require_admin()?;
    let unit = units::find_active(conn, "unit_code", &new.unit_code)?;
    actor.require_covers(&unit.path, "unit")?;
    contacts::insert(conn, new, now)
}

/// Changes a contact in scope; moving it to another unit needs that unit in scope too.
pub fn change_contact(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    change: ContactChange,
    now: DateTime<Utc>,
) -> Result<Contact, AppError> {
    actor.require_admin()?;
    let (_, path) = contacts::find(conn, id)?;
    actor.require_covers(&path, "contact")?;
    if let Some(code) = &change.unit_code {
        actor.require_covers(&units::find_active(conn, "unit_code", code)?.path, "unit")?;
    }
    contacts::update(conn, id, change, now)
}
