//! `/healthz`: 200 when the database can be read, 503 otherwise.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::db::{self, Db};

pub async fn check(State(db): State<Db>) -> (StatusCode, Json<Value>) {
    let version = env!("CARGO_PKG_VERSION");
    let probe = db
        .call(|conn| {
            let mut stmt = conn.prepare_cached("SELECT count(*) FROM lists")?;
            Ok::<i64, db::Error>(stmt.query_row([], |row| row.get(0))?)
        })
        .await;
    match probe {
        Ok(_) => (
            StatusCode::OK,
            Json(json!({"status": "ok", "version": version})),
        ),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "error", "version": version,
                            "message": "The database cannot be read."})),
            )
        }
    }
}
