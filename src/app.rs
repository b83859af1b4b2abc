//! The application state shared by handlers (and, later, the job runners), and start-up:
//! preparing the data dir and opening the database.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::FromRef;

use crate::ai::{Ai, AiSettings};
use crate::clock::{SharedClock, SystemClock};
use crate::config::{Config, ConfigError};
use crate::db::{self, Db};
use crate::jobs::schedule::Schedule;
use crate::jobs::{Engine, EngineSettings, Registry};
use crate::secrets::Vault;
use crate::uploads::Uploads;

/// Lock file that keeps a second server off the same data dir.
const LOCK_FILE: &str = "cartwise.lock";

/// Cheap to clone: every field is a handle.
#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub jobs: Engine,
    pub ai: Ai,
    pub uploads: Uploads,
    pub schedule: Schedule,
    /// Held (locked) for as long as any clone of the state lives.
    _lock: Arc<std::fs::File>,
}

impl FromRef<AppState> for Ai {
    fn from_ref(state: &AppState) -> Ai {
        state.ai.clone()
    }
}

impl FromRef<AppState> for Engine {
    fn from_ref(state: &AppState) -> Engine {
        state.jobs.clone()
    }
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
    #[error(
        "another cartwise is already running with data dir {}; stop it first", .0.display()
    )]
    AlreadyRunning(PathBuf),
    #[error("{0}")]
    Secrets(crate::secrets::Error),
    #[error("cannot make the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("server error: {0}")]
    Serve(#[from] io::Error),
}

/// The parts of the app that tests and benchmarks replace.
#[derive(Debug, Clone)]
pub struct Parts {
    pub registry: Registry,
    pub clock: SharedClock,
    pub engine: EngineSettings,
    pub ai: AiSettings,
}

impl Parts {
    /// What the server runs with: the standard job types, the real clock, the configured limits.
    pub fn standard(config: &Config) -> Self {
        Self {
            registry: Registry::standard(),
            clock: Arc::new(SystemClock),
            engine: EngineSettings::from_config(config),
            ai: AiSettings::default(),
        }
    }
}

impl AppState {
    /// Prepares the data dir and opens the database with the standard parts. Blocking: call it
    /// off the async threads.
    pub fn open(config: Config) -> Result<Self, StartError> {
        let parts = Parts::standard(&config);
        Self::open_with(config, parts)
    }

    /// As `open`, with the parts given (for tests and benchmarks).
    pub fn open_with(config: Config, parts: Parts) -> Result<Self, StartError> {
        let data_dir_error = |source| StartError::DataDir {
            path: config.data_dir.clone(),
            source,
        };
        prepare_data_dir(&config.data_dir).map_err(data_dir_error)?;
        let lock = lock_data_dir(&config.data_dir)?;
        let vault = Vault::open(&config.data_dir).map_err(StartError::Secrets)?;
        let path = config.database_path();
        let connections = u32::try_from(parts.engine.workers).unwrap_or(64) + 4;
        let db =
            Db::open(&path, connections).map_err(|source| StartError::Database { path, source })?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("cartwise/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(std::time::Duration::from_secs(10))
            .build()?;
        let config = Arc::new(config);
        let ai = Ai::new(db.clone(), http, vault, config.clone(), parts.ai);
        let uploads = Uploads::new(&config.data_dir);
        let jobs = Engine::new(
            db.clone(),
            parts.clock,
            parts.registry,
            parts.engine,
            ai.clone(),
            uploads.clone(),
        );
        Ok(Self {
            db,
            config,
            jobs,
            ai,
            uploads,
            schedule: Schedule::default(),
            _lock: Arc::new(lock),
        })
    }
}

/// Takes the data dir's lock, so two servers never run jobs from one database: crash recovery
/// in one would otherwise take back jobs the other is running.
fn lock_data_dir(dir: &Path) -> Result<std::fs::File, StartError> {
    let failed = |source| StartError::DataDir {
        path: dir.to_path_buf(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK_FILE))
        .map_err(failed)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            Err(StartError::AlreadyRunning(dir.to_path_buf()))
        }
        Err(std::fs::TryLockError::Error(source)) => Err(failed(source)),
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
