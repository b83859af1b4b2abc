//! The HTTP side: one router over the app state, and serving with a graceful shutdown.

pub mod api;
mod assets;
mod auth;
pub mod extract;
mod health;
mod metrics;
pub mod openapi;

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::app::AppState;

/// Largest JSON body the API accepts.
const BODY_LIMIT: usize = 1024 * 1024;

/// How long open connections may take to finish after shutdown begins.
const DRAIN: Duration = Duration::from_millis(1500);

pub fn router(state: AppState) -> Router {
    let password = auth::required(&state.config);
    let router = Router::new()
        .route("/healthz", get(health::check))
        .route("/metrics", get(metrics::metrics))
        .nest("/api", api::router())
        .fallback(assets::serve)
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state);
    match password {
        Some(password) => router.layer(axum::middleware::from_fn_with_state(
            std::sync::Arc::new(password),
            auth::check,
        )),
        None => router,
    }
}

/// Serves until `stop` is cancelled, then lets requests in flight finish for a short while.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    stop: CancellationToken,
) -> std::io::Result<()> {
    let server =
        axum::serve(listener, router).with_graceful_shutdown(stop.clone().cancelled_owned());
    tokio::select! {
        result = server => result,
        () = async { stop.cancelled().await; tokio::time::sleep(DRAIN).await } => {
            tracing::warn!("connections still open at shutdown were closed");
            Ok(())
        }
    }
}
