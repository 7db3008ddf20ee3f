//! The office directory: units and contacts. Only admins change it, and a scoped admin
//! only at or below its own unit.

use chrono::{DateTime, Utc};

use super::{App, Once};
use crate::domain::access::Actor;
use crate::domain::contact::{Contact, ContactChange, ContactFilter, NewContact};
use crate::domain::escalation::{Channel, RoleRules};
use crate::domain::ids::ContactId;
use crate::domain::unit::{NewUnit, Unit, UnitChange};
use crate::error::AppError;
use crate::store::escalations::hold::{self, Whose};
use crate::store::{DbConn, contacts, sessions, units};

impl App {
    /// How people are reached by default: the rule of each role (config), and the
    /// channels this service sends on.
    pub fn notification_defaults(&self) -> (&RoleRules, &[Channel]) {
        let addressing = &self.planning.addressing;
        (&addressing.rules, &addressing.channels)
    }

    /// Units at or below a scope (a unit's path; none for all).
    pub async fn units(&self, scope: Option<String>) -> Result<Vec<Unit>, AppError> {
        self.read(move |conn| units::list(conn, scope.as_deref()))
            .await
    }

    pub async fn unit(&self, code: String) -> Result<Unit, AppError> {
        self.read(move |conn| units::find(conn, &code)).await
    }

    pub async fn add_unit(&self, actor: &Actor, new: NewUnit) -> Result<Unit, AppError> {
        let (actor, now) = (actor.clone(), self.now());
        self.write(move |conn| add_unit(conn, &actor, new, now))
            .await
    }

    pub async fn change_unit(
        &self,
        actor: &Actor,
        code: String,
        change: UnitChange,
    ) -> Result<Unit, AppError> {
        let (actor, now, zone) = (actor.clone(), self.now(), self.zone());
        self.write(move |conn| change_unit(conn, &actor, &code, change, (now, zone)))
            .await
    }

    /// Contacts of units at or below a scope.
    pub async fn contacts(
        &self,
        filter: ContactFilter,
        scope: Option<String>,
    ) -> Result<Vec<Contact>, AppError> {
        self.read(move |conn| contacts::list(conn, &filter, scope.as_deref()))
            .await
    }

    /// One contact, for a caller whose scope covers its unit.
    pub async fn contact(&self, actor: &Actor, id: ContactId) -> Result<Contact, AppError> {
        let (contact, path) = self.read(move |conn| contacts::find(conn, &id)).await?;
        actor.require_covers(&path, "contact")?;
        Ok(contact)
    }

    /// Adds a contact; none when this form was posted before (the contact it added
    /// stands).
    pub async fn add_contact(
        &self,
        actor: &Actor,
        new: NewContact,
        once: Once,
    ) -> Result<Option<Contact>, AppError> {
        let (actor, now) = (actor.clone(), self.now());
        self.write(move |conn| match once.first(conn, &actor.id, now)? {
            true => add_contact(conn, &actor, new, now).map(Some),
            false => Ok(None),
        })
        .await
    }

    pub async fn change_contact(
        &self,
        actor: &Actor,
        id: ContactId,
        change: ContactChange,
    ) -> Result<Contact, AppError> {
        let (actor, now) = (actor.clone(), self.now());
        self.write(move |conn| change_contact(conn, &actor, &id, change, now))
            .await
    }
}

fn add_unit(
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
fn change_unit(
    conn: &mut DbConn,
    actor: &Actor,
    code: &str,
    change: UnitChange,
    (now, zone): (DateTime<Utc>, chrono_tz::Tz),
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
    let quiet_changed = change.quiet_hours.is_some();
    let unit = units::update(conn, code, change, now)?;
    actor.require_covers(&unit.path, "the unit's new place")?;
    if quiet_changed {
        // Warnings already planned for the office are held, or released, by the new hours.
        let moved = hold::redecide(conn, Whose::Unit(code), chrono::Duration::zero(), zone)?;
        tracing::info!(
            unit = code,
            reminders = moved,
            "quiet hours changed; planned warnings decided again"
        );
    }
    if deactivated {
        sessions::delete_for_unit(conn, &unit.id)?;
    }
    Ok(unit)
}

fn add_contact(
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
fn change_contact(
    conn: &mut DbConn,
    actor: &Actor,
    id: &ContactId,
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
