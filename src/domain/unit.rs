//! Offices in the 属地 hierarchy: city bureau → district bureau → tax office.

use crate::domain::ids::UnitId;
use crate::domain::names::{UnitCode, UnitName};
use crate::error::AppError;
use crate::text_enum;

text_enum! {
    /// How deep in the hierarchy an office sits; a child sits deeper than its parent.
    pub enum UnitLevel {
        Provincial => "provincial_bureau",
        City => "city_bureau",
        District => "district_bureau",
        TaxOffice => "tax_office",
    }
}

impl UnitLevel {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Provincial => "省局",
            Self::City => "市局",
            Self::District => "区县局",
            Self::TaxOffice => "税务所",
        }
    }

    /// A unit may only hang below a unit of a higher level.
    pub fn may_be_child_of(self, parent: UnitLevel) -> bool {
        self > parent
    }
}

/// A unit to add.
pub struct NewUnit {
    pub code: UnitCode,
    pub name: UnitName,
    pub level: UnitLevel,
    pub parent_code: Option<UnitCode>,
}

impl NewUnit {
    /// A unit to add, checked (the API's and the console's rules).
    pub fn parse(
        code: &str,
        name: &str,
        level: UnitLevel,
        parent_code: Option<&str>,
    ) -> Result<Self, AppError> {
        Ok(Self {
            code: UnitCode::parse("code", code)?,
            name: UnitName::parse("name", name)?,
            level,
            parent_code: parent_code
                .map(|c| UnitCode::parse("parent_code", c))
                .transpose()?,
        })
    }
}

/// What a PATCH may change; the code is the unit's name in URLs and stays.
#[derive(Default)]
pub struct UnitChange {
    pub name: Option<UnitName>,
    pub level: Option<UnitLevel>,
    pub parent_code: Option<Option<UnitCode>>,
    pub active: Option<bool>,
    /// Some(None) ends them.
    pub quiet_hours: Option<Option<crate::domain::quiet::QuietHours>>,
}

/// The materialized path of a unit below `parent_path` (or at the root).
pub fn child_path(parent_path: Option<&str>, id: &str) -> String {
    format!("{}{id}/", parent_path.unwrap_or("/"))
}

/// A unit as the API returns it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Unit {
    #[serde(skip)]
    pub id: UnitId,
    pub code: UnitCode,
    pub name: UnitName,
    pub level: UnitLevel,
    pub parent_code: Option<UnitCode>,
    #[serde(skip)]
    pub path: String,
    pub active: bool,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Its quiet hours (免打扰时段), office time: early warnings inside wait for their end.
    pub quiet_hours: Option<crate::domain::quiet::QuietHours>,
}
