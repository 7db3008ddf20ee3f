//! One connection type over both backends, and the pool that hands it out.
//! `database.url` (a `DbTarget`) picks the backend.

use std::time::Duration;

use diesel::Connection;
use diesel::connection::{SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;

use crate::config::DbTarget;

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl From<&DbTarget> for Backend {
    fn from(target: &DbTarget) -> Self {
        match target {
            DbTarget::Postgres(_) => Backend::Postgres,
            DbTarget::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// Opens connections for the pool and applies the per-connection SQLite settings.
#[derive(Debug, Clone)]
pub struct Connector {
    target: DbTarget,
    busy_timeout: Duration,
}

impl Connector {
    pub fn new(target: DbTarget, busy_timeout: Duration) -> Self {
        Self {
            target,
            busy_timeout,
        }
    }

    pub fn connect(&self) -> Result<DbConn, diesel::ConnectionError> {
        match &self.target {
            DbTarget::Postgres(url) => PgConnection::establish(url).map(DbConn::Pg),
            DbTarget::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                // busy_timeout first: it makes a second writer wait instead of failing
                // with "database is locked", and the journal_mode switch of a connection
                // opened beside others needs it too. WAL lets readers run beside the
                // one writer.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                    self.busy_timeout.as_millis()
                ))
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

impl ManageConnection for Connector {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        Connector::connect(self).map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        // A connection returned mid-transaction (a panic, a failed rollback) is dropped.
        std::thread::panicking()
            || <DbConn as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}
