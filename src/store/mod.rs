//! Storage: diesel over PostgreSQL or SQLite. Queries live in one file per table group;
//! the few statements that differ between the backends match on `DbConn` where they are.

pub mod columns;
mod connection;
mod listen;
mod migrate;
pub mod schema;

pub mod accounts;
pub mod board;
pub mod briefings;
pub mod clocks;
pub mod contacts;
pub mod escalations;
pub mod events;
pub mod forms;
pub mod gauges;
pub mod incidents;
pub mod phases;
pub mod reports;
pub mod revision;
pub mod robots;
pub mod secrets;
pub mod sessions;
pub mod slots;
pub mod throttle;
pub mod timeliness;
pub mod tokens;
pub mod units;

use std::sync::Arc;
use std::time::Duration;

use diesel::Connection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::pg::PgConnection;
use diesel::query_dsl::methods::ExecuteDsl;
use diesel::r2d2::Pool;
use diesel::sqlite::SqliteConnection;

pub use connection::{Backend, Connector, DbConn};
pub use migrate::run_up_to;

use crate::config::{DatabaseSettings, DbTarget};
use crate::error::AppError;

/// The pool plus what callers need to know about the backend behind it.
#[derive(Clone)]
pub struct Store {
    pool: Pool<Connector>,
    backend: Backend,
    counter: Arc<revision::Cached>,
    /// SQLite has one writer: this process's writers queue here, in arrival order,
    /// instead of polling the file lock (busy_timeout then only covers other processes).
    sqlite_writers: Arc<tokio::sync::Mutex<()>>,
    /// Wakes whoever follows the timeline (the event feed) after a write of this process
    /// or, on PostgreSQL, a commit of another replica.
    changes: Arc<tokio::sync::Notify>,
    /// Ids of tokens revoked here or (PostgreSQL) on another replica.
    revoked: tokio::sync::broadcast::Sender<String>,
}

impl Store {
    /// Opens the pool (creating the SQLite file's folder) and applies pending
    /// migrations, off the async workers.
    pub async fn open(settings: &DatabaseSettings) -> Result<Self, AppError> {
        let settings = settings.clone();
        tokio::task::spawn_blocking(move || Self::open_blocking(&settings))
            .await
            .map_err(AppError::internal)?
    }

    fn open_blocking(settings: &DatabaseSettings) -> Result<Self, AppError> {
        let target = settings.url.clone();
        if let DbTarget::Sqlite(path) = &target
            && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(AppError::internal)?;
        }
        let backend = Backend::from(&target);
        let connector = Connector::new(
            target,
            Duration::from_millis(settings.sqlite_busy_timeout_ms),
        );
        migrate::run_pending(&mut connector.connect().map_err(AppError::internal)?)?;
        let changes = Arc::new(tokio::sync::Notify::new());
        let (revoked, _) = tokio::sync::broadcast::channel(64);
        if backend == Backend::Postgres {
            listen::spawn(connector.clone(), changes.clone(), revoked.clone());
        }
        let pool = Pool::builder()
            .max_size(settings.pool_size)
            .connection_timeout(Duration::from_millis(settings.pool_timeout_ms))
            .build(connector)
            .map_err(AppError::database_unavailable)?;
        Ok(Self {
            pool,
            backend,
            counter: Arc::default(),
            sqlite_writers: Arc::default(),
            changes,
            revoked,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs blocking diesel work on tokio's blocking pool, inside the caller's span,
    /// so actix's async workers never wait on the database.
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await
        .map_err(AppError::internal)?
    }

    /// Like `run`, inside one write transaction.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let _turn = match self.backend {
            Backend::Sqlite => Some(self.sqlite_writers.lock().await),
            Backend::Postgres => None,
        };
        let written = self.run(|conn| write_tx(conn, f)).await;
        if written.is_ok() {
            // This process's own change shows in the next poll, never 250 ms later.
            self.counter.forget();
            self.changes.notify_one();
        }
        written
    }

    /// The change counter, as read at most `revision::FRESH_FOR` ago and not before this
    /// process's last write: a 304 costs no query at all under load.
    pub async fn change_counter(&self) -> Result<i64, AppError> {
        if let Some(value) = self.counter.fresh() {
            return Ok(value);
        }
        let ticket = self.counter.ticket();
        let value = self.run(revision::current).await?;
        self.counter.remember(ticket, value);
        Ok(value)
    }

    /// Woken after a committed write (this process's, or another replica's on
    /// PostgreSQL); several writes may wake it once.
    pub fn changes(&self) -> Arc<tokio::sync::Notify> {
        self.changes.clone()
    }

    /// Announces a revoked token to this process's followers (other replicas hear of it
    /// from the database).
    pub fn token_revoked(&self, token_id: &str) {
        let _ = self.revoked.send(token_id.to_owned());
    }

    /// Revoked token ids from now on.
    pub fn revocations(&self) -> tokio::sync::broadcast::Receiver<String> {
        self.revoked.subscribe()
    }

    /// True when the database answers and no migration is pending.
    pub async fn ready(&self) -> Result<(), AppError> {
        self.run(migrate::check_applied).await
    }
}

/// A write transaction. On SQLite it starts with `BEGIN IMMEDIATE`, taking the write
/// lock up front: a deferred transaction that reads and then writes can fail with
/// SQLITE_BUSY when another writer got in between, and busy_timeout does not help there.
pub fn write_tx<T, F>(conn: &mut DbConn, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, AppError>,
{
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Pg(_) => <DbConn as Connection>::TransactionManager::begin_transaction(conn)?,
    }
    match f(conn) {
        Ok(value) => {
            <DbConn as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            <DbConn as Connection>::TransactionManager::rollback_transaction(conn)?;
            Err(e)
        }
    }
}

/// Runs a statement that `DbConn` cannot run for both backends at once (an insert with
/// `ON CONFLICT DO NOTHING`, raw SQL) on the backend's own connection.
pub fn execute_native<Q>(conn: &mut DbConn, query: Q) -> Result<usize, AppError>
where
    Q: ExecuteDsl<PgConnection> + ExecuteDsl<SqliteConnection>,
{
    Ok(match conn {
        DbConn::Pg(c) => ExecuteDsl::execute(query, c)?,
        DbConn::Sqlite(c) => ExecuteDsl::execute(query, c)?,
    })
}

/// Times are stored as UTC without zone, truncated to microseconds so both backends
/// return exactly what was written.
pub fn to_db_time(t: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Timelike};
    let t = t.naive_utc();
    t.with_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap_or_else(|| t.trunc_subsecs(6))
}

pub fn from_db_time(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    t.and_utc()
}
