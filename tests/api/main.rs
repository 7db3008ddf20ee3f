//! API tests: the real App on a random port, over HTTP, on SQLite and on PostgreSQL.

mod helpers;
mod smtp;
mod tls;

mod access;
mod binary;
mod concurrency;
mod dashboards;
mod directory;
mod errors;
mod escalation;
mod incidents;
mod mail_security;
mod process;
