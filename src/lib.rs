//! cartwise: a self-hosted shopping list and price tracker whose AI work runs as background
//! jobs. The binary in `main.rs` only parses the command line; everything else lives here so
//! that tests can start the real server on a port of their choosing.

pub mod app;
pub mod backup;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod healthcheck;
pub mod http;
pub mod input;

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
    let addr = listener.local_addr()?;
    tracing::info!(
        "cartwise {} ready at http://{addr}/ (data dir {}, database {})",
        env!("CARGO_PKG_VERSION"),
        state.config.data_dir.display(),
        state.db.path().display(),
    );
    let stop = CancellationToken::new();
    let trigger = stop.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down");
        trigger.cancel();
    });
    http::serve(listener, http::router(state), stop).await?;
    tracing::info!("stopped");
    Ok(())
}
