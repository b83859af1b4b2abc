//! `/api/lists` and a list's items.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json as JsonOut, Router};
use serde_json::{Map, Value, json};

use crate::app::AppState;
use crate::db::{Db, items, lists};
use crate::error::ApiError;
use crate::http::extract::{Id, Json};
use crate::input::{self, Mode};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/lists", get(list).post(create))
        .route("/lists/{id}", get(show).patch(update).delete(delete))
        .route("/lists/{id}/items", get(items).post(add_item))
}

async fn list(State(db): State<Db>) -> Result<JsonOut<Value>, ApiError> {
    let lists = db.call(|conn| lists::all(conn)).await?;
    Ok(JsonOut(json!({ "lists": lists })))
}

async fn show(State(db): State<Db>, Id(id): Id) -> Result<JsonOut<Value>, ApiError> {
    let list = db
        .call(move |conn| lists::get(conn, id))
        .await?
        .ok_or_else(|| ApiError::not_found("list", id))?;
    Ok(JsonOut(json!({ "list": list })))
}

async fn create(
    State(db): State<Db>,
    Json(body): Json<Map<String, Value>>,
) -> Result<impl IntoResponse, ApiError> {
    let changes = input::parse(body, lists::FIELDS, Mode::Create)?;
    let list = db.write(move |tx| lists::create(tx, &changes)).await?;
    Ok((StatusCode::CREATED, JsonOut(json!({ "list": list }))))
}

async fn update(
    State(db): State<Db>,
    Id(id): Id,
    Json(body): Json<Map<String, Value>>,
) -> Result<JsonOut<Value>, ApiError> {
    let changes = input::parse(body, lists::FIELDS, Mode::Update)?;
    let list = db
        .write(move |tx| lists::update(tx, id, &changes))
        .await?
        .ok_or_else(|| ApiError::not_found("list", id))?;
    Ok(JsonOut(json!({ "list": list })))
}

async fn delete(State(db): State<Db>, Id(id): Id) -> Result<StatusCode, ApiError> {
    if db.write(move |tx| lists::delete(tx, id)).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("list", id))
    }
}

async fn items(State(db): State<Db>, Id(id): Id) -> Result<JsonOut<Value>, ApiError> {
    let items = db
        .call(move |conn| items::for_list(conn, id))
        .await?
        .ok_or_else(|| ApiError::not_found("list", id))?;
    Ok(JsonOut(json!({ "items": items })))
}

async fn add_item(
    State(db): State<Db>,
    Id(list_id): Id,
    Json(body): Json<Map<String, Value>>,
) -> Result<impl IntoResponse, ApiError> {
    let changes = input::parse(body, items::FIELDS, Mode::Create)?;
    let item = db
        .write(move |tx| items::create(tx, list_id, changes))
        .await?
        .ok_or_else(|| ApiError::not_found("list", list_id))?;
    Ok((StatusCode::CREATED, JsonOut(json!({ "item": item }))))
}
