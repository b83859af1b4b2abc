//! `/api/items/{id}`: one item with its offers and price history.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json as JsonOut, Router};
use serde_json::{Map, Value, json};

use crate::app::AppState;
use crate::db::{Db, items};
use crate::error::ApiError;
use crate::http::extract::{Id, Json};
use crate::input::{self, Mode};

pub fn router() -> Router<AppState> {
    Router::new().route("/items/{id}", get(show).patch(update).delete(delete))
}

async fn show(State(db): State<Db>, Id(id): Id) -> Result<JsonOut<Value>, ApiError> {
    let found = db
        .call(move |conn| {
            let Some(item) = items::get(conn, id)? else {
                return Ok::<_, crate::db::Error>(None);
            };
            Ok(Some((
                item,
                items::offers(conn, id)?,
                items::history(conn, id)?,
            )))
        })
        .await?;
    let (item, offers, history) = found.ok_or_else(|| ApiError::not_found("item", id))?;
    Ok(JsonOut(
        json!({ "item": item, "offers": offers, "price_history": history }),
    ))
}

async fn update(
    State(db): State<Db>,
    Id(id): Id,
    Json(body): Json<Map<String, Value>>,
) -> Result<JsonOut<Value>, ApiError> {
    let changes = input::parse(body, items::FIELDS, Mode::Update)?;
    let item = db
        .write(move |tx| items::update(tx, id, changes))
        .await?
        .ok_or_else(|| ApiError::not_found("item", id))?;
    Ok(JsonOut(json!({ "item": item })))
}

async fn delete(State(db): State<Db>, Id(id): Id) -> Result<StatusCode, ApiError> {
    if db.write(move |tx| items::delete(tx, id)).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("item", id))
    }
}
