//! `/api/ai-jobs`: queue, watch, cancel and clear background jobs.

use std::hash::{Hash, Hasher};

use axum::extract::State;
use axum::http::header::{ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json as JsonOut, Router};
use serde_json::{Map, Value, json};

use crate::app::AppState;
use crate::db::jobs::{DeleteOutcome, Filter, STATUSES};
use crate::error::ApiError;
use crate::http::extract::{Id, Json, Params};
use crate::input::{FieldError, Invalid};
use crate::jobs::{CancelError, CreateJob, Engine, EnqueueError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ai-jobs", get(list).post(create))
        .route("/ai-jobs/active", get(active))
        .route("/ai-jobs/stats", get(stats))
        .route("/ai-jobs/history", delete(delete_history))
        .route("/ai-jobs/{id}", get(show).delete(remove))
        .route("/ai-jobs/{id}/cancel", post(cancel))
}

async fn list(State(jobs): State<Engine>, params: Params) -> Result<JsonOut<Value>, ApiError> {
    let mut statuses = STATUSES.to_vec();
    statuses.extend(["active", "finished"]);
    let names = jobs.registry().names();
    let (page, per_page) = params.page()?;
    let filter = Filter {
        status: params.choice("status", &statuses)?,
        job_type: params.choice("type", &names)?,
        related_item_id: params.optional_int("related_item_id", 1..=i64::MAX)?,
        page,
        per_page,
    };
    let (rows, total) = jobs.list(filter).await?;
    Ok(JsonOut(json!({
        "jobs": rows,
        "pagination": super::pagination(page, per_page, total),
    })))
}

/// Active jobs and those that just finished, with an ETag so pollers get 304 when nothing moved.
async fn active(State(jobs): State<Engine>, headers: HeaderMap) -> Result<Response, ApiError> {
    let rows = jobs.active().await?;
    let count = rows.iter().filter(|j| j.can_cancel).count();
    let body = json!({ "jobs": rows, "count": count }).to_string();
    let mut hasher = std::hash::DefaultHasher::new();
    body.hash(&mut hasher);
    let etag = format!("\"{:016x}\"", hasher.finish());
    let matches = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response()
    };
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(ETAG, value);
    }
    Ok(response)
}

async fn stats(State(jobs): State<Engine>, params: Params) -> Result<JsonOut<Value>, ApiError> {
    let days = params.int("days", 30, 1..=3650)?;
    let stats = jobs.stats(u32::try_from(days).unwrap_or(30)).await?;
    Ok(JsonOut(json!(stats)))
}

async fn show(State(jobs): State<Engine>, Id(id): Id) -> Result<JsonOut<Value>, ApiError> {
    let detail = jobs
        .get(id)
        .await?
        .ok_or_else(|| ApiError::not_found("job", id))?;
    Ok(JsonOut(json!(detail)))
}

async fn create(
    State(jobs): State<Engine>,
    Json(body): Json<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let request = parse_create(body)?;
    let (job, created) = jobs.enqueue(request).await.map_err(|e| match e {
        EnqueueError::Db(e) => ApiError::Database(e),
        EnqueueError::UnknownType(..) => invalid("type", e.to_string()),
        EnqueueError::BadInput(message) => invalid("input_data", message),
        EnqueueError::NoItem(_) => invalid("related_item_id", e.to_string()),
        EnqueueError::NoList(_) => invalid("related_list_id", e.to_string()),
    })?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, JsonOut(json!({ "job": job, "created": created }))).into_response())
}

fn invalid(field: &str, message: String) -> ApiError {
    ApiError::Invalid(Invalid(vec![FieldError {
        field: field.into(),
        message,
    }]))
}

fn parse_create(mut body: Map<String, Value>) -> Result<CreateJob, ApiError> {
    let mut errors = Vec::new();
    let mut error = |field: &str, message: &str| {
        errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        })
    };
    let job_type = match body.remove("type") {
        Some(Value::String(t)) if !t.trim().is_empty() => t.trim().to_string(),
        _ => {
            error("type", "is required: the kind of job to run");
            String::new()
        }
    };
    let input = match body.remove("input_data") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(Value::Object(o)) => Value::Object(o),
        Some(_) => {
            error("input_data", "must be a JSON object");
            Value::Null
        }
    };
    let mut id = |field: &str| match body.remove(field) {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64().filter(|n| *n > 0) {
            Some(n) => Some(n),
            None => {
                error(field, "must be a positive whole number");
                None
            }
        },
    };
    let related_item_id = id("related_item_id");
    let related_list_id = id("related_list_id");
    for key in body.keys() {
        error(key, "is not a field that can be set here");
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(Invalid(errors)));
    }
    Ok(CreateJob {
        job_type,
        input,
        related_item_id,
        related_list_id,
    })
}

async fn cancel(State(jobs): State<Engine>, Id(id): Id) -> Result<JsonOut<Value>, ApiError> {
    match jobs.cancel(id).await {
        Ok(job) => Ok(JsonOut(json!({ "job": job }))),
        Err(CancelError::NotFound(_)) => Err(ApiError::not_found("job", id)),
        Err(e @ CancelError::NotActive(..)) => Err(ApiError::Conflict(capitalise(&e.to_string()))),
        Err(CancelError::Db(e)) => Err(ApiError::Database(e)),
    }
}

async fn remove(State(jobs): State<Engine>, Id(id): Id) -> Result<StatusCode, ApiError> {
    match jobs.delete(id).await? {
        DeleteOutcome::Deleted => Ok(StatusCode::NO_CONTENT),
        DeleteOutcome::NotFound => Err(ApiError::not_found("job", id)),
        DeleteOutcome::Active => Err(ApiError::Conflict(format!(
            "Job {id} is still active; cancel it before deleting it."
        ))),
    }
}

async fn delete_history(State(jobs): State<Engine>) -> Result<JsonOut<Value>, ApiError> {
    let deleted = jobs.delete_history().await?;
    Ok(JsonOut(json!({ "deleted": deleted })))
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}
