//! Use cases: what each front door (the JSON API, the web console, the engine) asks the
//! service to do. Each is a function over one write transaction: it checks who may do
//! it, applies the domain's rules, and calls `store` for the rows.

pub mod accounts;
pub mod acknowledge;
pub mod clocks;
pub mod directory;
pub mod escalations;
pub mod incidents;
pub mod listing;
pub mod passwords;
pub mod reports;
pub mod spreadsheet;
pub mod timeliness;
pub mod tokens;

use std::sync::Arc;

use crate::domain::clock::ClockRules;

/// What planning clocks and their mail needs beyond the incident: the rules, and the
/// domain part of Message-IDs. Cheap to clone into a blocking closure.
#[derive(Clone)]
pub struct Planning {
    pub rules: Arc<ClockRules>,
    pub message_domain: Arc<str>,
}
