//! Response bodies that wrap domain types, shared by the handlers and the OpenAPI
//! document (so the document describes exactly what is sent).

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::incident::Incident;

/// A list of items.
#[derive(Serialize, ToSchema)]
pub struct Items<T> {
    pub items: Vec<T>,
}

/// One page of incidents.
#[derive(Serialize, ToSchema)]
pub struct IncidentPage {
    pub items: Vec<Incident>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
    /// The moment `remaining_seconds` were computed at.
    pub as_of: DateTime<Utc>,
}

/// Something recorded about one incident (timeline, notifications).
#[derive(Serialize, ToSchema)]
pub struct IncidentItems<T> {
    pub incident_id: crate::domain::ids::IncidentId,
    pub reference: String,
    pub items: Vec<T>,
}

/// Every error: a stable code, a message, and details (such as the field at fault).
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// e.g. validation_failed, unauthorized, forbidden, not_found, version_mismatch.
    pub code: String,
    pub message: String,
    /// `{"field": …}` for validation errors, `{"current_version": …}` for stale
    /// versions; null otherwise.
    #[schema(value_type = Option<Object>)]
    pub details: serde_json::Value,
}
