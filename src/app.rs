//! The application state shared by handlers (and, later, the job runners), and start-up:
//! preparing the data dir and opening the database.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::FromRef;

use crate::config::{Config, ConfigError};
use crate::db::{self, Db};

/// Cheap to clone: every field is a handle.
#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
}

impl FromRef<AppState> for Db {
    fn from_ref(state: &AppState) -> Db {
        state.db.clone()
    }
}

impl FromRef<AppState> for Arc<Config> {
    fn from_ref(state: &AppState) -> Arc<Config> {
        state.config.clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot use data dir {}: {source}", path.display())]
    DataDir { path: PathBuf, source: io::Error },
    #[error("cannot open database {}: {source}", path.display())]
    Database { path: PathBuf, source: db::Error },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("server error: {0}")]
    Serve(#[from] io::Error),
}

impl AppState {
    /// Prepares the data dir and opens the database. Blocking: call it off the async threads.
    pub fn open(config: Config) -> Result<Self, StartError> {
        prepare_data_dir(&config.data_dir).map_err(|source| StartError::DataDir {
            path: config.data_dir.clone(),
            source,
        })?;
        let path = config.database_path();
        let connections = u32::try_from(config.jobs.workers).unwrap_or(64) + 4;
        let db =
            Db::open(&path, connections).map_err(|source| StartError::Database { path, source })?;
        Ok(Self {
            db,
            config: Arc::new(config),
        })
    }
}

/// Creates the data dir (mode 0700) if it is missing and proves it can be written.
pub fn prepare_data_dir(dir: &Path) -> io::Result<()> {
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
    } else if !dir.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "it exists but is not a directory",
        ));
    }
    let probe = dir.join(".cartwise-write-test");
    std::fs::write(&probe, b"ok")?;
    std::fs::remove_file(&probe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_private_data_dir() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        prepare_data_dir(&dir).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
    }

    #[test]
    fn a_file_is_not_a_data_dir() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("f");
        std::fs::write(&file, "x").unwrap();
        assert!(prepare_data_dir(&file).is_err());
        assert!(prepare_data_dir(&file.join("below")).is_err());
    }
}
