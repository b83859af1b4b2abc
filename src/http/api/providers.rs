//! `/api/ai-providers`: add, change, test and remove AI providers. API keys go in, sealed;
//! only a masked tail ever comes out.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json as JsonOut, Router};
use rusqlite::types::Value as Sql;
use serde_json::{Map, Value, json};

use crate::ai::{Ai, ProviderInfo, default_base_url};
use crate::app::AppState;
use crate::db::{self, Db, providers};
use crate::error::ApiError;
use crate::http::extract::{Id, Json};
use crate::input::{self, FieldError, Invalid, Mode};
use crate::secrets;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ai-providers", get(list).post(create))
        .route(
            "/ai-providers/{id}",
            axum::routing::patch(update).delete(remove),
        )
        .route("/ai-providers/{id}/test", post(test))
}

async fn list(State(ai): State<Ai>) -> Result<JsonOut<Value>, ApiError> {
    Ok(JsonOut(json!({ "providers": ai.providers().await? })))
}

async fn info(ai: &Ai, id: i64) -> Result<ProviderInfo, ApiError> {
    ai.providers()
        .await?
        .into_iter()
        .find(|p| p.id == json!(id))
        .ok_or_else(|| ApiError::not_found("AI provider", id))
}

/// Takes `api_key` out of a body: `Some(None)` clears it, `None` leaves it as it is.
fn take_key(body: &mut Map<String, Value>) -> Result<Option<Option<String>>, ApiError> {
    match body.remove("api_key") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(key)) if key.trim().is_empty() => Ok(Some(None)),
        Some(Value::String(key)) if key.trim().len() <= 500 => Ok(Some(Some(key.trim().into()))),
        Some(_) => Err(ApiError::Invalid(Invalid(vec![FieldError {
            field: "api_key".into(),
            message: "must be text of at most 500 characters".into(),
        }]))),
    }
}

/// Seals and stores a key change inside `tx`.
fn store_key(
    ai: &Ai,
    tx: &rusqlite::Connection,
    id: i64,
    key: Option<Option<String>>,
) -> Result<(), db::Error> {
    match key {
        None => Ok(()),
        Some(None) => providers::set_key(tx, id, None, None),
        Some(Some(key)) => {
            let sealed = ai.vault().seal(&key);
            providers::set_key(tx, id, Some(&sealed), Some(&secrets::mask(&key)))
        }
    }
}

async fn create(
    State(state): State<AppState>,
    Json(mut body): Json<Map<String, Value>>,
) -> Result<impl IntoResponse, ApiError> {
    let key = take_key(&mut body)?;
    let mut changes = input::parse(body, providers::FIELDS, Mode::Create)?;
    let kind = match changes.get("kind") {
        Some(Sql::Text(kind)) => kind.clone(),
        _ => String::new(),
    };
    if changes.get("name").is_none() {
        changes.set("name", Sql::Text(label(&kind).into()));
    }
    if changes.get("base_url").is_none() {
        let url = default_base_url(&kind).unwrap_or_default();
        changes.set("base_url", Sql::Text(url.into()));
    }
    let primary = changes.take("is_primary") == Some(Sql::Integer(1));
    let ai = state.ai.clone();
    let id = state
        .db
        .write(move |tx| {
            let first = providers::all(tx)?.is_empty();
            let id = db::insert(tx, "ai_providers", &[], &changes)?;
            store_key(&ai, tx, id, key)?;
            if primary || first {
                providers::make_primary(tx, id)?;
            }
            Ok::<_, db::Error>(id)
        })
        .await?;
    let provider = info(&state.ai, id).await?;
    Ok((
        StatusCode::CREATED,
        JsonOut(json!({ "provider": provider })),
    ))
}

async fn update(
    State(state): State<AppState>,
    Id(id): Id,
    Json(mut body): Json<Map<String, Value>>,
) -> Result<JsonOut<Value>, ApiError> {
    let key = take_key(&mut body)?;
    let mut changes = input::parse(body, providers::FIELDS, Mode::Update)?;
    let primary = changes.take("is_primary");
    let ai = state.ai.clone();
    let found = state
        .db
        .write(move |tx| {
            let Some(before) = providers::get(tx, id)? else {
                return Ok::<_, db::Error>(false);
            };
            // A new kind without a new address goes to the new kind's own address.
            if let Some(Sql::Text(kind)) = changes.get("kind")
                && *kind != before.kind
                && changes.get("base_url").is_none()
            {
                let url = default_base_url(kind).unwrap_or_default();
                changes.set("base_url", Sql::Text(url.into()));
            }
            db::update(tx, "ai_providers", id, &changes)?;
            store_key(&ai, tx, id, key)?;
            match primary {
                Some(Sql::Integer(1)) => providers::make_primary(tx, id)?,
                Some(_) => {
                    tx.execute("UPDATE ai_providers SET is_primary = 0 WHERE id = ?1", [id])?;
                }
                None => {}
            }
            Ok(true)
        })
        .await?;
    if !found {
        return Err(ApiError::not_found("AI provider", id));
    }
    Ok(JsonOut(json!({ "provider": info(&state.ai, id).await? })))
}

async fn remove(State(db): State<Db>, Id(id): Id) -> Result<StatusCode, ApiError> {
    if db.write(move |tx| providers::delete(tx, id)).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("AI provider", id))
    }
}

/// Sends a small real request; the answer says whether it worked, in plain words.
async fn test(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<JsonOut<Value>, ApiError> {
    let ai = &state.ai;
    let (provider, stored) = match id.as_str() {
        "env" => (
            ai.env_provider().ok_or_else(|| {
                ApiError::NotFound("No AI provider is set in the environment.".into())
            })?,
            None,
        ),
        "demo" => (
            Ok(ai.demo().ok_or_else(|| {
                ApiError::NotFound("The demo provider is on only with --demo.".into())
            })?),
            None,
        ),
        raw => {
            let id =
                raw.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    ApiError::BadRequest(format!("'{raw}' is not a provider id."))
                })?;
            let row = state
                .db
                .call(move |c| providers::get(c, id))
                .await?
                .ok_or_else(|| ApiError::not_found("AI provider", id))?;
            (ai.from_row(&row), Some(id))
        }
    };
    let started = std::time::Instant::now();
    let result = match provider {
        Ok(provider) => ai.test(provider.as_ref()).await,
        Err(e) => Err(e),
    };
    let duration_ms = started.elapsed().as_millis() as u64;
    let (ok, message, model) = match &result {
        Ok(answer) if answer.json["ok"] == true => (
            true,
            format!("Connected: {} answered in {duration_ms} ms.", answer.model),
            Some(answer.model.clone()),
        ),
        Ok(answer) => (
            false,
            format!(
                "{} answered, but not as asked: {}",
                answer.model,
                crate::ai::payload::cut_str(&answer.text, 200)
            ),
            Some(answer.model.clone()),
        ),
        Err(e) => (false, e.to_string(), None),
    };
    if let Some(id) = stored {
        let recorded = message.clone();
        state
            .db
            .write(move |tx| providers::record_test(tx, id, ok, &recorded))
            .await?;
    }
    Ok(JsonOut(
        json!({ "ok": ok, "message": message, "model": model, "duration_ms": duration_ms }),
    ))
}

fn label(kind: &str) -> &'static str {
    match kind {
        "openai" => "OpenAI",
        "anthropic" => "Anthropic",
        "gemini" => "Google Gemini",
        "ollama" => "Ollama",
        _ => "AI provider",
    }
}
