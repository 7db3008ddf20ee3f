//! Contacts: who receives which mail. Deactivated, never deleted.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::columns::Json;
use super::schema::{contacts, units};
use super::{DbConn, from_db_time, to_db_time, units as unit_store};
use crate::domain::contact::{Contact, ContactChange, ContactFilter, ContactRole};
use crate::domain::escalation::NotifyRules;
use crate::domain::ids::{ContactId, UnitId};
use crate::domain::names::{Email, PersonName, UnitCode};
use crate::error::AppError;

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = contacts, treat_none_as_null = true)]
struct ContactRow {
    id: ContactId,
    name: PersonName,
    email: Email,
    phone: Option<String>,
    unit_id: UnitId,
    roles: Json<Vec<ContactRole>>,
    active: bool,
    version: i64,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    wecom_userid: Option<String>,
    mobile: Option<String>,
    notification_rules: Option<Json<NotifyRules>>,
}

impl ContactRow {
    fn into_contact(self, unit_code: UnitCode) -> Result<Contact, AppError> {
        Ok(Contact {
            roles: self.roles.into_inner(),
            id: self.id,
            name: self.name,
            email: self.email,
            phone: self.phone,
            wecom_userid: self.wecom_userid,
            mobile: self.mobile,
            notification_rules: self.notification_rules.map(Json::into_inner),
            unit_code,
            active: self.active,
            version: self.version,
            created_at: from_db_time(self.created_at),
            updated_at: from_db_time(self.updated_at),
        })
    }
}

/// The contact with the path of its unit, for scope checks.
pub fn find(conn: &mut DbConn, id: &ContactId) -> Result<(Contact, String), AppError> {
    let (row, code, path): (ContactRow, UnitCode, String) = contacts::table
        .inner_join(units::table)
        .filter(contacts::id.eq(id))
        .select((ContactRow::as_select(), units::code, units::path))
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound(format!("contact {id}")))?;
    Ok((row.into_contact(code)?, path))
}

pub fn list(
    conn: &mut DbConn,
    filter: &ContactFilter,
    scope_path: Option<&str>,
) -> Result<Vec<Contact>, AppError> {
    let mut query = contacts::table
        .inner_join(units::table)
        .select((ContactRow::as_select(), units::code))
        .order((units::code.asc(), contacts::name.asc()))
        .into_boxed();
    if let Some(code) = &filter.unit_code {
        query = query.filter(units::code.eq(code));
    }
    if let Some(active) = filter.active {
        query = query.filter(contacts::active.eq(active));
    }
    if let Some(path) = scope_path {
        query = query.filter(units::path.like(format!("{path}%")));
    }
    let rows: Vec<(ContactRow, UnitCode)> = query.load(conn)?;
    let mut out = Vec::with_capacity(rows.len());
    for (row, code) in rows {
        let contact = row.into_contact(code)?;
        if filter.role.is_none_or(|r| contact.roles.contains(&r)) {
            out.push(contact);
        }
    }
    Ok(out)
}

pub fn insert(
    conn: &mut DbConn,
    new: crate::domain::contact::NewContact,
    now: DateTime<Utc>,
) -> Result<Contact, AppError> {
    let unit = unit_store::find_active(conn, "unit_code", &new.unit_code)?;
    let now = to_db_time(now);
    let row = ContactRow {
        id: ContactId::generate(),
        name: new.name,
        email: new.email,
        phone: new.phone,
        unit_id: unit.id,
        roles: Json::new(new.roles)?,
        active: true,
        version: 1,
        created_at: now,
        updated_at: now,
        wecom_userid: new.wecom_userid,
        mobile: new.mobile,
        notification_rules: new.notification_rules.map(Json::new).transpose()?,
    };
    diesel::insert_into(contacts::table)
        .values(&row)
        .execute(conn)?;
    row.into_contact(unit.code)
}

pub fn update(
    conn: &mut DbConn,
    id: &ContactId,
    change: ContactChange,
    now: DateTime<Utc>,
) -> Result<Contact, AppError> {
    let (row, mut unit_code): (ContactRow, UnitCode) = contacts::table
        .inner_join(units::table)
        .filter(contacts::id.eq(id))
        .select((ContactRow::as_select(), units::code))
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound(format!("contact {id}")))?;
    let mut row = row;
    if let Some(name) = change.name {
        row.name = name;
    }
    if let Some(email) = change.email {
        row.email = email;
    }
    if let Some(phone) = change.phone {
        row.phone = phone;
    }
    if let Some(userid) = change.wecom_userid {
        row.wecom_userid = userid;
    }
    if let Some(mobile) = change.mobile {
        row.mobile = mobile;
    }
    if let Some(rules) = change.notification_rules {
        row.notification_rules = rules.map(Json::new).transpose()?;
    }
    if let Some(code) = change.unit_code {
        row.unit_id = unit_store::find_active(conn, "unit_code", &code)?.id;
        unit_code = code;
    }
    if let Some(roles) = change.roles {
        row.roles = Json::new(roles)?;
    }
    if let Some(active) = change.active {
        row.active = active;
    }
    row.version += 1;
    row.updated_at = to_db_time(now);
    diesel::update(contacts::table.find(&row.id))
        .set(&row)
        .execute(conn)?;
    row.into_contact(unit_code)
}
