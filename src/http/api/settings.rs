//! `/api/settings`: price search (SerpApi), the model price table and the daily price refresh.

use axum::extract::State;
use axum::{Json as JsonOut, Router};
use serde_json::{Map, Value, json};

use crate::ai::pricing::DEFAULTS;
use crate::ai::service::{MODEL_PRICES, SERPAPI_BASE_URL, SERPAPI_KEY};
use crate::app::AppState;
use crate::db::{self, settings};
use crate::error::ApiError;
use crate::http::extract::Json;
use crate::input::{FieldError, Invalid};
use crate::jobs::schedule::{self, DailyRefresh};
use crate::secrets;

const SERPAPI_KEY_TAIL: &str = "serpapi_api_key_tail";

pub fn router() -> Router<AppState> {
    Router::new().route("/settings", axum::routing::get(show).put(update))
}

async fn show(State(state): State<AppState>) -> Result<JsonOut<Value>, ApiError> {
    let (tail, url, prices, daily) = state
        .db
        .call(|c| {
            Ok::<_, db::Error>((
                settings::get(c, SERPAPI_KEY_TAIL)?,
                settings::get(c, SERPAPI_BASE_URL)?,
                settings::get(c, MODEL_PRICES)?,
                settings::get(c, schedule::SETTING)?,
            ))
        })
        .await?;
    let daily = DailyRefresh::from_setting(daily.as_ref());
    let next_run_at = schedule::parse_time(&daily.time)
        .filter(|_| daily.enabled)
        .map(|at| {
            let next = schedule::next_run(state.jobs.clock().now(), state.config.utc_offset, at);
            crate::clock::format(next)
        });
    let env = &state.config.serpapi;
    let (source, masked) = match (&tail, &env.api_key) {
        (Some(tail), _) => (json!("settings"), tail.clone()),
        (None, Some(key)) => (json!("environment"), json!(secrets::mask(key.expose()))),
        (None, None) => (Value::Null, Value::Null),
    };
    let defaults: Map<String, Value> = DEFAULTS
        .iter()
        .map(|(model, input, output)| {
            (model.to_string(), json!({"input": input, "output": output}))
        })
        .collect();
    Ok(JsonOut(json!({
        "serpapi": {
            "has_api_key": !source.is_null(),
            "api_key_masked": masked,
            "source": source,
            "base_url": url.unwrap_or_else(|| json!(env.base_url)),
        },
        "model_prices": prices.unwrap_or_else(|| json!({})),
        "daily_refresh": {
            "enabled": daily.enabled,
            "time": daily.time,
            "next_run_at": next_run_at,
        },
        "default_model_prices": defaults,
        "demo": state.config.demo,
    })))
}

fn invalid(field: &str, message: &str) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// Changes the settings the body names; `null` returns a setting to its default.
async fn update(
    State(state): State<AppState>,
    Json(body): Json<Map<String, Value>>,
) -> Result<JsonOut<Value>, ApiError> {
    let mut writes: Vec<(&'static str, Value)> = Vec::new();
    let mut errors = Vec::new();
    for (key, value) in &body {
        match key.as_str() {
            "serpapi_api_key" => match value {
                Value::Null => {
                    writes.push((SERPAPI_KEY, Value::Null));
                    writes.push((SERPAPI_KEY_TAIL, Value::Null));
                }
                Value::String(k) if k.trim().is_empty() => {
                    writes.push((SERPAPI_KEY, Value::Null));
                    writes.push((SERPAPI_KEY_TAIL, Value::Null));
                }
                Value::String(k) if k.trim().len() <= 500 => {
                    writes.push((SERPAPI_KEY, json!(state.ai.seal_setting(k.trim()))));
                    writes.push((SERPAPI_KEY_TAIL, json!(secrets::mask(k.trim()))));
                }
                _ => errors.push(invalid(key, "must be text of at most 500 characters")),
            },
            "serpapi_base_url" => match value {
                Value::Null => writes.push((SERPAPI_BASE_URL, Value::Null)),
                Value::String(u) if u.starts_with("http://") || u.starts_with("https://") => {
                    writes.push((SERPAPI_BASE_URL, json!(u.trim().trim_end_matches('/'))));
                }
                _ => errors.push(invalid(
                    key,
                    "must be a web address starting with http:// or https://",
                )),
            },
            "model_prices" => match value {
                Value::Null => writes.push((MODEL_PRICES, Value::Null)),
                Value::Object(map) => {
                    let bad = map.iter().find(|(_, p)| {
                        !(p["input"].as_f64().is_some_and(|v| v >= 0.0)
                            && p["output"].as_f64().is_some_and(|v| v >= 0.0))
                    });
                    match bad {
                        Some((model, _)) => errors.push(FieldError {
                            field: key.clone(),
                            message: format!(
                                "the price of {model} must be {{\"input\": dollars, \"output\": dollars}} per million tokens, not negative"
                            ),
                        }),
                        None => writes.push((MODEL_PRICES, value.clone())),
                    }
                }
                _ => errors.push(invalid(key, "must be an object of model prices")),
            },
            "daily_refresh" => {
                let parsed: Option<DailyRefresh> = serde_json::from_value(value.clone()).ok();
                match parsed {
                    Some(daily) if schedule::parse_time(&daily.time).is_some() => {
                        writes.push((schedule::SETTING, json!(daily)));
                    }
                    _ if value.is_null() => writes.push((schedule::SETTING, Value::Null)),
                    _ => errors.push(invalid(
                        key,
                        "must be {\"enabled\": true or false, \"time\": \"HH:MM\"} in local time",
                    )),
                }
            }
            _ => errors.push(invalid(key, "is not a setting that can be changed here")),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(Invalid(errors)));
    }
    state
        .db
        .write(move |tx| {
            for (key, value) in &writes {
                settings::set(tx, key, value)?;
            }
            Ok::<_, db::Error>(())
        })
        .await?;
    state.schedule.changed();
    show(State(state)).await
}
