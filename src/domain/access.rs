//! Who is calling, and what that token may see and change.

use crate::error::AppError;
use crate::text_enum;

text_enum! {
    pub enum Role {
        Admin => "admin",
        DutyOfficer => "duty_officer",
        Leader => "leader",
        Viewer => "viewer",
    }
}

/// An API token as listed (never its secret).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// The unit it is limited to (with the units below it); none: every unit.
    pub unit_code: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A token limited to one unit and everything below it.
#[derive(Debug, Clone)]
pub struct Scope {
    pub unit_code: String,
    /// The unit's materialized path; a unit is in scope when its path starts with this.
    pub path: String,
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The API token's or the console account's id.
    pub id: String,
    pub name: String,
    pub role: Role,
    pub scope: Option<Scope>,
}

impl Actor {
    pub fn covers_path(&self, unit_path: &str) -> bool {
        self.scope
            .as_ref()
            .is_none_or(|s| unit_path.starts_with(&s.path))
    }

    pub fn require_covers(&self, unit_path: &str, what: &str) -> Result<(), AppError> {
        if self.covers_path(unit_path) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "{what} is outside this token's scope"
            )))
        }
    }

    /// The unit this caller acts for: a writer's account or token of one unit (what
    /// marking a briefing to that unit read needs). None for viewers and callers
    /// without a unit.
    pub fn officer_of(&self) -> Option<&str> {
        match self.role {
            Role::Viewer => None,
            _ => self.scope.as_ref().map(|s| s.unit_code.as_str()),
        }
    }

    /// Logging and changing incidents: everyone but dashboards.
    pub fn require_incident_writer(&self) -> Result<(), AppError> {
        match self.role {
            Role::Admin | Role::DutyOfficer | Role::Leader => Ok(()),
            Role::Viewer => Err(AppError::Forbidden("a viewer token is read-only".into())),
        }
    }

    /// Whether this caller may see and manage a token limited to `unit_path` (None: an
    /// unscoped token, which only an unscoped admin manages).
    pub fn covers_token(&self, unit_path: Option<&str>) -> bool {
        match (&self.scope, unit_path) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(_), Some(path)) => self.covers_path(path),
        }
    }

    /// Changing the directory: administrators only.
    pub fn require_admin(&self) -> Result<(), AppError> {
        match self.role {
            Role::Admin => Ok(()),
            _ => Err(AppError::Forbidden(
                "only an admin token may change the directory".into(),
            )),
        }
    }

    /// Making a unit responsible for an incident charges its leaders with the clocks and
    /// puts the incident in its timeliness figures: only a caller whose scope covers the
    /// unit may do it.
    pub fn require_may_assign(&self, unit_code: &str, unit_path: &str) -> Result<(), AppError> {
        if self.covers_path(unit_path) {
            return Ok(());
        }
        Err(AppError::Forbidden(format!(
            "unit {unit_code} is outside this token's scope: only an office whose scope \
             covers it may make it responsible; ask the common parent office to assign it"
        )))
    }

    /// An incident is visible when any of its responsible units is in scope.
    pub fn require_any_in_scope<'a>(
        &self,
        unit_paths: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), AppError> {
        if self.scope.is_none() || unit_paths.into_iter().any(|p| self.covers_path(p)) {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "outside this token's unit scope".into(),
            ))
        }
    }
}
