//! cartwise: a self-hosted shopping list and price tracker whose AI work runs as background
//! jobs. The binary in `main.rs` only parses the command line; everything else lives here so
//! that tests can start the real server on a port of their choosing.

pub mod ai;
pub mod app;
pub mod backup;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod healthcheck;
pub mod http;
pub mod input;
pub mod jobs;
pub mod secrets;
pub mod uploads;

use std::future::Future;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use app::{AppState, StartError};
pub use config::Config;

/// Opens the data dir and database, then serves on `listener` until `shutdown` completes.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    config.check_access()?;
    let state = tokio::task::spawn_blocking(move || AppState::open(config))
        .await
        .map_err(|e| StartError::Serve(std::io::Error::other(e)))??;
    serve(state, listener, shutdown).await
}

/// Starts the job runners and serves `state` until `shutdown` completes; then stops HTTP,
/// then the runners (running jobs get a grace period, then go back to the queue).
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let addr = listener.local_addr()?;
    let jobs = state.jobs.clone();
    jobs.start().await.map_err(|source| StartError::Database {
        path: state.db.path().to_path_buf(),
        source,
    })?;
    tracing::info!(
        "cartwise {} ready at http://{addr}/ (data dir {}, database {}, {} job runners)",
        env!("CARGO_PKG_VERSION"),
        state.config.data_dir.display(),
        state.db.path().display(),
        state.config.jobs.workers,
    );
    let stop = CancellationToken::new();
    let daily = jobs::schedule::load(&state.db).await;
    tokio::spawn(state.schedule.clone().run(
        jobs.clone(),
        state.db.clone(),
        state.config.utc_offset,
        stop.clone(),
        daily,
    ));
    let trigger = stop.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down");
        trigger.cancel();
    });
    let served = http::serve(listener, http::router(state), stop).await;
    jobs.shutdown().await;
    served?;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed when this is called,
/// not when the future is first polled, so a signal that comes right after start-up is never
/// lost to the default action (which would end the process without a graceful shutdown).
/// Call it from within the tokio runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                _ => {
                    tracing::warn!("signal handlers could not be installed; stop with SIGKILL");
                    std::future::pending::<()>().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}
