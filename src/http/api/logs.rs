//! `/api/ai-logs`: the request log, its filters, pages and statistics.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json as JsonOut, Router};
use serde_json::{Value, json};

use crate::app::AppState;
use crate::db::Db;
use crate::db::logs::{self, Filter, REQUEST_TYPES, STATUSES};
use crate::error::ApiError;
use crate::http::extract::{Id, Params};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ai-logs", get(list))
        .route("/ai-logs/stats", get(stats))
        .route("/ai-logs/all", delete(delete_all))
        .route("/ai-logs/{id}", get(show).delete(remove))
}

/// A date (`2026-12-01`) or timestamp for `from`/`to`; a bare date covers its whole day.
fn bound(params: &Params, name: &str, end_of_day: bool) -> Result<Option<String>, ApiError> {
    let Some(raw) = params.text(name) else {
        return Ok(None);
    };
    let is_date = raw.len() == 10 && crate::clock::parse(&format!("{raw}T00:00:00.000Z")).is_some();
    if is_date {
        let time = if end_of_day {
            "T23:59:59.999Z"
        } else {
            "T00:00:00.000Z"
        };
        return Ok(Some(format!("{raw}{time}")));
    }
    if let Some(at) = crate::clock::parse_rfc3339(raw) {
        return Ok(Some(crate::clock::format(at)));
    }
    Err(ApiError::BadRequest(format!(
        "{name} must be a date such as 2026-12-01 or a time such as 2026-12-01T08:00:00.000Z, not '{raw}'."
    )))
}

async fn list(State(db): State<Db>, params: Params) -> Result<JsonOut<Value>, ApiError> {
    let (page, per_page) = params.page()?;
    let filter = Filter {
        provider: params.text("provider").map(str::to_string),
        status: params.choice("status", STATUSES)?,
        request_type: params.choice("request_type", REQUEST_TYPES)?,
        ai_job_id: params.optional_int("ai_job_id", 1..=i64::MAX)?,
        from: bound(&params, "from", false)?,
        to: bound(&params, "to", true)?,
        page,
        per_page,
    };
    let (rows, total) = db.call(move |c| logs::list(c, &filter)).await?;
    Ok(JsonOut(json!({
        "logs": rows,
        "pagination": super::pagination(page, per_page, total),
    })))
}

async fn stats(State(state): State<AppState>, params: Params) -> Result<JsonOut<Value>, ApiError> {
    let days = params.int("days", 30, 1..=3650)?;
    let since = crate::clock::format(
        state.jobs.clock().now() - std::time::Duration::from_secs(86_400 * days as u64),
    );
    let mut stats = state.db.call(move |c| logs::stats(c, &since)).await?;
    stats["days"] = json!(days);
    Ok(JsonOut(stats))
}

async fn show(State(db): State<Db>, Id(id): Id) -> Result<JsonOut<Value>, ApiError> {
    let log = db
        .call(move |c| logs::get(c, id))
        .await?
        .ok_or_else(|| ApiError::not_found("log entry", id))?;
    Ok(JsonOut(json!({ "log": log })))
}

async fn remove(State(db): State<Db>, Id(id): Id) -> Result<StatusCode, ApiError> {
    if db.write(move |tx| logs::delete(tx, id)).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("log entry", id))
    }
}

async fn delete_all(State(db): State<Db>) -> Result<JsonOut<Value>, ApiError> {
    let deleted = db.write(|tx| logs::delete_all(tx)).await?;
    Ok(JsonOut(json!({ "deleted": deleted })))
}
