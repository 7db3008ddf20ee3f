//! yuqing-tracker: logs tax-related public-opinion incidents (涉税舆情) and keeps the
//! offices answering them on time.

pub mod app;
pub mod cli;
pub mod config;
pub mod console;
pub mod domain;
pub mod engine;
pub mod error;
pub mod http;
pub mod mail;
pub mod metrics;
pub mod notify;
pub mod rule;
pub mod scheduler;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod web;
