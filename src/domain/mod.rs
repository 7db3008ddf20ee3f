//! Domain types and rules. Nothing here knows about HTTP or SQL.

pub mod access;
pub mod account;
pub mod board;
pub mod briefing;
pub mod clock;
pub mod contact;
pub mod escalation;
pub mod ids;
pub mod incident;
pub mod names;
pub mod nullable;
pub mod quiet;
pub mod report;
pub mod robot;
pub mod text;
mod text_enum;
pub mod throttle;
pub mod time;
pub mod timeline;
pub mod timeliness;
pub mod unit;
