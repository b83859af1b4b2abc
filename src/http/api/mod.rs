//! The JSON API under `/api`, one module per resource.

mod items;
mod jobs;
mod lists;
mod logs;
mod providers;
mod settings;
mod uploads;

use axum::Router;
use axum::extract::OriginalUri;
use axum::http::Method;

use crate::app::AppState;
use crate::error::ApiError;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(lists::router())
        .merge(items::router())
        .merge(jobs::router())
        .merge(logs::router())
        .merge(providers::router())
        .merge(settings::router())
        .merge(uploads::router())
        .route("/openapi.json", axum::routing::get(super::openapi::spec))
        .fallback(unknown)
        .method_not_allowed_fallback(wrong_method)
}

async fn unknown(OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::NotFound(format!("There is no API endpoint at {}.", uri.path()))
}

async fn wrong_method(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::MethodNotAllowed(format!("{} does not accept {method}.", uri.path()))
}

/// The `pagination` object of a paged answer.
pub(crate) fn pagination(page: i64, per_page: i64, total: i64) -> serde_json::Value {
    serde_json::json!({
        "current_page": page,
        "last_page": ((total + per_page - 1) / per_page).max(1),
        "per_page": per_page,
        "total": total,
    })
}
