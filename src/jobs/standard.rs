//! What the four job types of cartwise share: registering them, reading their input, and
//! loading the item a job is about.

use serde_json::Value;

use super::{JobContext, JobError, Registry};
use crate::db::items::{self, Item};

pub fn register(registry: Registry) -> Registry {
    registry
        .with(super::identify::ProductIdentification)
        .with(super::price_search::PriceSearch)
        .with(super::smart_fill::SmartFill)
        .with(super::price_refresh::PriceRefresh)
}

/// Trimmed, non-empty text at `key`.
pub fn text<'a>(input: &'a Value, key: &str) -> Option<&'a str> {
    input
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Checks that `key`, when present, is text of at most `max` characters.
pub fn optional_text(input: &Value, key: &str, max: usize) -> Result<(), String> {
    match input.get(key) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) if s.chars().count() <= max => Ok(()),
        Some(Value::String(_)) => Err(format!("{key} must be at most {max} characters")),
        Some(_) => Err(format!("{key} must be text")),
    }
}

pub const ITEM_GONE: &str = "The item was deleted while this job ran.";

/// The job's item, when it has one; an item deleted since the job was queued fails the job.
pub async fn item(ctx: &JobContext) -> Result<Option<Item>, JobError> {
    let Some(id) = ctx.related_item_id else {
        return Ok(None);
    };
    let found = ctx.db.call(move |c| items::get(c, id)).await?;
    found
        .map(Some)
        .ok_or_else(|| JobError::permanent(ITEM_GONE))
}

/// The item's search text: its query, else its name.
pub fn query_of(item: &Item) -> String {
    item.product_query
        .clone()
        .filter(|q| !q.trim().is_empty())
        .unwrap_or_else(|| item.product_name.clone())
}

/// Rounds to cents.
pub fn cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}
