//! The database: a pool of SQLite connections with the pragmas every connection needs, the
//! embedded schema and its migrations, and `Db::call`, which runs database work on a blocking
//! thread so that no connection is ever held across an `.await`.

pub mod items;
pub mod jobs;
pub mod lists;
pub mod logs;
mod migrate;
pub mod providers;
pub mod settings;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};

pub use migrate::SCHEMA_VERSION;

/// SQL expression for "now" in the format every timestamp column uses.
pub const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not get a database connection: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "the database was written by a newer cartwise (schema version {found}, this one knows {known})"
    )]
    TooNew { found: i64, known: i64 },
    #[error("database task stopped unexpectedly")]
    Task,
}

pub type Pool = r2d2::Pool<SqliteConnectionManager>;

/// A cheap, clonable handle to the database.
#[derive(Clone, Debug)]
pub struct Db {
    pool: Pool,
    path: PathBuf,
    calls: Arc<AtomicU64>,
    writer: Arc<Mutex<()>>,
}

impl Db {
    /// Opens (creating if needed) the database at `path`, applies pending migrations and
    /// returns a pool whose every connection has WAL, foreign keys and a busy timeout.
    pub fn open(path: &Path, max_connections: u32) -> Result<Self, Error> {
        let manager = SqliteConnectionManager::file(path)
            .with_flags(
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .with_init(configure);
        let pool = r2d2::Pool::builder()
            .max_size(max_connections.max(2))
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .build(manager)?;
        migrate::apply(&mut *pool.get()?)?;
        Ok(Self {
            pool,
            path: path.to_path_buf(),
            calls: Arc::new(AtomicU64::new(0)),
            writer: Arc::new(Mutex::new(())),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` in a write transaction (`BEGIN IMMEDIATE`) on a blocking thread and commits
    /// it when `work` succeeds. Writers of this process take turns on a mutex first, so they
    /// queue in memory instead of in SQLite's busy handler, which sleeps for milliseconds.
    pub async fn write<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        let turn = self.writer.clone();
        self.call(move |conn| {
            let _turn = turn.lock().unwrap_or_else(PoisonError::into_inner);
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(Error::from)?;
            let value = work(&tx)?;
            tx.commit().map_err(Error::from)?;
            Ok(value)
        })
        .await
    }

    /// How many times `call` has run, for metrics and for checking that idle means idle.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Runs `work` with a pooled connection on a blocking thread.
    pub async fn call<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        let pool = self.pool.clone();
        self.calls.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(Error::from)?;
            work(&mut conn)
        })
        .await
        .map_err(|_| Error::Task)?
    }
}

/// Pragmas for every new connection, each read back: a database that silently stayed in
/// rollback-journal mode would lose the concurrency the job runners rely on.
fn configure(conn: &mut Connection) -> rusqlite::Result<()> {
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(setup_error(format!(
            "journal_mode is '{mode}' after asking for WAL; is the data dir on a network filesystem?"
        )));
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(64);
    let synchronous: i64 = conn.pragma_query_value(None, "synchronous", |row| row.get(0))?;
    let foreign_keys: i64 = conn.pragma_query_value(None, "foreign_keys", |row| row.get(0))?;
    if synchronous != 1 || foreign_keys != 1 {
        return Err(setup_error(format!(
            "pragmas did not take (synchronous={synchronous}, foreign_keys={foreign_keys})"
        )));
    }
    Ok(())
}

fn setup_error(message: String) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
        Some(message),
    )
}

/// Inserts one row from server-set `fixed` values and checked `changes`; returns its id.
/// Column names come from static field lists, never from user input.
pub fn insert(
    conn: &Connection,
    table: &str,
    fixed: &[(&'static str, rusqlite::types::Value)],
    changes: &crate::input::Changes,
) -> Result<i64, Error> {
    let pairs: Vec<&(&'static str, rusqlite::types::Value)> =
        fixed.iter().chain(changes.iter()).collect();
    let columns: Vec<&str> = pairs.iter().map(|(name, _)| *name).collect();
    let marks = vec!["?"; pairs.len()].join(", ");
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES ({marks})",
        columns.join(", ")
    );
    conn.execute(
        &sql,
        rusqlite::params_from_iter(pairs.iter().map(|(_, v)| v)),
    )?;
    Ok(conn.last_insert_rowid())
}

/// Applies checked `changes` to the row `id` and stamps `updated_at`; false when no such row.
pub fn update(
    conn: &Connection,
    table: &str,
    id: i64,
    changes: &crate::input::Changes,
) -> Result<bool, Error> {
    let mut sets: Vec<String> = changes
        .iter()
        .map(|(name, _)| format!("{name} = ?"))
        .collect();
    sets.push(format!("updated_at = {NOW}"));
    let sql = format!("UPDATE {table} SET {} WHERE id = ?", sets.join(", "));
    let values = changes
        .iter()
        .map(|(_, v)| v.clone())
        .chain(std::iter::once(rusqlite::types::Value::Integer(id)));
    Ok(conn.execute(&sql, rusqlite::params_from_iter(values))? == 1)
}

/// One page of rows from `select` (which ends with its FROM clause) and the number of all rows
/// that match `condition`; `values` fill the condition's placeholders.
#[allow(clippy::too_many_arguments)]
pub fn page<T>(
    conn: &Connection,
    select: &str,
    from: &str,
    condition: &str,
    mut values: Vec<rusqlite::types::Value>,
    order: &str,
    (page, per_page): (i64, i64),
    map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<(Vec<T>, i64), Error> {
    let total: i64 = conn.query_row(
        &format!("SELECT count(*) FROM {from}{condition}"),
        rusqlite::params_from_iter(values.iter()),
        |r| r.get(0),
    )?;
    values.push(rusqlite::types::Value::Integer(per_page));
    values.push(rusqlite::types::Value::Integer((page - 1) * per_page));
    let mut stmt = conn.prepare(&format!(
        "{select}{condition} ORDER BY {order} LIMIT ? OFFSET ?"
    ))?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(values.iter()), map)?
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_connection_is_configured() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db"), 4).unwrap();
        // Hold several connections at once so that more than one is created.
        let conns: Vec<_> = (0..3).map(|_| db.pool.get().unwrap()).collect();
        for conn in &conns {
            let mode: String = conn
                .pragma_query_value(None, "journal_mode", |r| r.get(0))
                .unwrap();
            let fk: i64 = conn
                .pragma_query_value(None, "foreign_keys", |r| r.get(0))
                .unwrap();
            let busy: i64 = conn
                .pragma_query_value(None, "busy_timeout", |r| r.get(0))
                .unwrap();
            assert_eq!((mode.as_str(), fk, busy), ("wal", 1, 5000));
        }
    }

    #[tokio::test]
    async fn call_passes_errors_through() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db"), 2).unwrap();
        let n: i64 = db
            .call(|conn| Ok::<_, Error>(conn.query_row("SELECT 41 + 1", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(n, 42);
        let err = db
            .call(|conn| Ok::<i64, Error>(conn.query_row("SELECT nope", [], |r| r.get(0))?))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Sqlite(_)));
    }
}
