//! API tests: the real App on a random port, over HTTP, on SQLite and on PostgreSQL.

// Tests and benchmarks stop at the first surprise: a panic names it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
mod robots;
mod sms;
mod smtp;
mod stand_in;
mod tls;
mod wecom;

mod abuse;
mod access;
mod binary;
mod concurrency;
mod console;
mod dashboards;
mod directory;
mod errors;
mod escalation;
mod incidents;
mod mail_security;
mod migrations;
mod process;
mod process_channels;
mod send_slots;
