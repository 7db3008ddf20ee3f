//! What the acknowledgement pages show: one struct per page, so the handlers and the
//! start-up check of the templates give them the same fields.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct AckConfirm {
    pub name: String,
    pub reference: String,
    pub title: String,
    /// Where the confirm form posts.
    pub action: String,
    pub exp: i64,
    pub sig: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AckDone {
    pub name: String,
    pub reference: String,
    pub first_time: bool,
    /// Set when the incident was already closed or dismissed: nothing to acknowledge.
    pub closed: Option<String>,
}

/// A link that is forged, altered or expired.
#[derive(Debug, Clone, Serialize)]
pub struct AckInvalid {}
