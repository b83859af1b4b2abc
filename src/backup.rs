//! `cartwise backup FILE`: a consistent copy of the database made with `VACUUM INTO`, which
//! reads one snapshot and so is safe while a server writes to the same database.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("there is no database at {}: is the data dir right?", .0.display())]
    NoDatabase(PathBuf),
    #[error("{} already exists: choose a new file name", .0.display())]
    TargetExists(PathBuf),
    #[error("the backup path {} is not valid UTF-8", .0.display())]
    PathNotUtf8(PathBuf),
    #[error("the copy failed its integrity check: {0}")]
    Corrupt(String),
    #[error("backup failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("backup failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Copies the database in `data_dir` to `target`, which must not exist; returns its size.
pub fn run(data_dir: &Path, target: &Path) -> Result<u64, BackupError> {
    let source = crate::config::database_path(data_dir);
    if !source.is_file() {
        return Err(BackupError::NoDatabase(source));
    }
    if target.exists() {
        return Err(BackupError::TargetExists(target.to_path_buf()));
    }
    let mut partial = target.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let partial_text = partial
        .to_str()
        .ok_or_else(|| BackupError::PathNotUtf8(target.to_path_buf()))?
        .to_string();
    if partial.exists() {
        std::fs::remove_file(&partial)?;
    }

    let conn = Connection::open_with_flags(
        &source,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(30))?;
    conn.execute("VACUUM INTO ?1", [&partial_text])?;
    drop(conn);

    let check = Connection::open_with_flags(&partial, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let verdict: String = check.query_row("PRAGMA quick_check", [], |row| row.get(0))?;
    drop(check);
    if verdict != "ok" {
        std::fs::remove_file(&partial)?;
        return Err(BackupError::Corrupt(verdict));
    }
    std::fs::rename(&partial, target)?;
    Ok(std::fs::metadata(target)?.len())
}
