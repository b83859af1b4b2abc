//! `smart_fill`: asks the AI for a product's details and fills only the item's empty fields;
//! when price search is set up, suggests a target price of 90% of the median price found.

use std::sync::Arc;

use rusqlite::types::Value as Sql;
use serde_json::{Map, Value, json};

use super::standard::{self, cents, optional_text, text};
use super::{JobContext, JobError, JobFuture, JobRequest, JobType, Level, Outcome};
use crate::ai::serpapi::ShoppingQuery;
use crate::ai::{AiRequest, JSON_ONLY, Task};
use crate::db::items;
use crate::input::Changes;

pub struct SmartFill;

/// The text details asked for, with their length limits (as the item fields have).
const TEXT_FIELDS: &[(&str, usize)] = &[
    ("sku", 64),
    ("upc", 32),
    ("description", 2000),
    ("brand", 120),
    ("category", 120),
    ("unit_of_measure", 32),
];

impl JobType for SmartFill {
    fn name(&self) -> &'static str {
        "smart_fill"
    }

    fn label(&self) -> &'static str {
        "Smart fill"
    }

    fn check(&self, request: &JobRequest<'_>) -> Result<(), String> {
        optional_text(request.input, "product_name", 200)?;
        if text(request.input, "product_name").is_none() && request.related_item_id.is_none() {
            return Err("give a product_name, or the item to fill in".into());
        }
        Ok(())
    }

    fn dedupe_per_item(&self) -> bool {
        true
    }

    fn summary(&self, input: &Value) -> String {
        text(input, "product_name")
            .unwrap_or_default()
            .chars()
            .take(120)
            .collect()
    }

    fn run(self: Arc<Self>, ctx: JobContext) -> JobFuture {
        Box::pin(async move {
            let item = standard::item(&ctx).await?;
            let name = item
                .as_ref()
                .map(|i| i.product_name.clone())
                .or_else(|| text(&ctx.input, "product_name").map(str::to_string))
                .ok_or_else(|| JobError::permanent("There is no product to fill in."))?;
            ctx.step(10, format!("Asking the AI about “{name}”")).await;
            let answer = ctx
                .ai
                .complete(Some(ctx.id), &request(&name), Some(&ctx.token))
                .await?;
            let suggestions = clean(&answer.json);
            let target = target_price(&ctx, &name).await?;
            let output = json!({
                "product_name": name,
                "suggestions": suggestions,
                "suggested_target_price": target,
                "fields_changed": [],
            });
            let Some(item) = item else {
                return Ok(Outcome::output(output));
            };
            ctx.step(90, "Filling in the empty fields").await;
            Ok(Outcome::with_apply(output, move |tx, mut output| {
                let current = items::get(tx, item.id)?
                    .ok_or_else(|| JobError::permanent(standard::ITEM_GONE))?;
                let empty = |field: &str| match field {
                    "sku" => current.sku.is_none(),
                    "upc" => current.upc.is_none(),
                    "description" => current.description.is_none(),
                    "brand" => current.brand.is_none(),
                    "category" => current.category.is_none(),
                    "unit_of_measure" => current.unit_of_measure.is_none(),
                    _ => false,
                };
                let mut changes = Changes::default();
                for (field, _) in TEXT_FIELDS {
                    if let Some(value) = suggestions[*field].as_str()
                        && empty(field)
                    {
                        changes.set(field, Sql::Text(value.to_string()));
                    }
                }
                if let (Some(target), None) = (target, current.target_price) {
                    changes.set("target_price", Sql::Real(target));
                }
                let changed: Vec<&str> = changes.iter().map(|(name, _)| *name).collect();
                output["fields_changed"] = json!(changed);
                if !changes.is_empty() {
                    crate::db::update(tx, "items", item.id, &changes)?;
                }
                Ok(output)
            }))
        })
    }
}

fn request(name: &str) -> AiRequest {
    AiRequest {
        task: Task::Details,
        system: "You know shop products well. When you are not sure of a detail, you give null \
                 rather than a guess."
            .into(),
        prompt: format!(
            "Product: {name}\nGive its details as {{\"sku\", \"upc\", \"description\" (one or two \
             sentences), \"brand\", \"category\", \"image_url\", \"is_generic\" (true for a \
             store-brand or unbranded product), \"unit_of_measure\" (such as each, kg, l, pack)}}. \
             {JSON_ONLY}"
        ),
        image: None,
        schema: Some(json!({"type": "object", "properties": {
            "sku": {"type": ["string", "null"]}, "upc": {"type": ["string", "null"]},
            "description": {"type": ["string", "null"]}, "brand": {"type": ["string", "null"]},
            "category": {"type": ["string", "null"]}, "image_url": {"type": ["string", "null"]},
            "is_generic": {"type": ["boolean", "null"]},
            "unit_of_measure": {"type": ["string", "null"]}
        }})),
        context: json!({"product_name": name}),
    }
}

/// The AI's details that have the right type and size; others are left out.
fn clean(answer: &Value) -> Value {
    let mut kept = Map::new();
    for (field, max) in TEXT_FIELDS {
        let value = answer[*field]
            .as_str()
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.chars().count() <= *max);
        kept.insert(field.to_string(), json!(value));
    }
    let url = answer["image_url"]
        .as_str()
        .filter(|u| (u.starts_with("https://") || u.starts_with("http://")) && u.len() <= 2000);
    kept.insert("image_url".into(), json!(url));
    kept.insert("is_generic".into(), json!(answer["is_generic"].as_bool()));
    Value::Object(kept)
}

/// 90% of the median price found, when price search is set up; a failed search only skips it.
async fn target_price(ctx: &JobContext, name: &str) -> Result<Option<f64>, JobError> {
    if !ctx.ai.can_search().await {
        return Ok(None);
    }
    ctx.step(50, "Searching prices for a target price").await;
    let query = ShoppingQuery {
        query: name.to_string(),
        location: None,
    };
    let results = match ctx.ai.search(Some(ctx.id), &query, Some(&ctx.token)).await {
        Ok(results) => results,
        Err(e) => {
            ctx.event(Level::Warn, format!("No target price: {e}"))
                .await;
            return Ok(None);
        }
    };
    let mut prices: Vec<f64> = results.iter().filter_map(|r| r.price).collect();
    if prices.is_empty() {
        ctx.event(Level::Info, "No prices found for a target price")
            .await;
        return Ok(None);
    }
    prices.sort_by(f64::total_cmp);
    let mid = prices.len() / 2;
    let median = if prices.len().is_multiple_of(2) {
        (prices[mid - 1] + prices[mid]) / 2.0
    } else {
        prices[mid]
    };
    Ok(Some(cents(median * 0.9)))
}
