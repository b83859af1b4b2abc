//! The four job types of cartwise and the input each needs. Until an AI provider is
//! configured, each fails at once with the message the UI shows for that case.

use std::sync::Arc;

use serde_json::Value;

use super::{JobContext, JobError, JobFuture, JobRequest, JobType, Registry};

pub fn register(registry: Registry) -> Registry {
    registry
        .with(Standard::ProductIdentification)
        .with(Standard::PriceSearch)
        .with(Standard::SmartFill)
        .with(Standard::PriceRefresh)
}

#[derive(Debug, Clone, Copy)]
enum Standard {
    ProductIdentification,
    PriceSearch,
    SmartFill,
    PriceRefresh,
}

const NO_PROVIDER: &str = "No AI provider configured: add one in Settings";

fn text<'a>(input: &'a Value, key: &str) -> Option<&'a str> {
    input
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Checks that `key`, when present, is text of at most `max` characters.
fn optional_text(input: &Value, key: &str, max: usize) -> Result<(), String> {
    match input.get(key) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) if s.chars().count() <= max => Ok(()),
        Some(Value::String(_)) => Err(format!("{key} must be at most {max} characters")),
        Some(_) => Err(format!("{key} must be text")),
    }
}

impl JobType for Standard {
    fn name(&self) -> &'static str {
        match self {
            Self::ProductIdentification => "product_identification",
            Self::PriceSearch => "price_search",
            Self::SmartFill => "smart_fill",
            Self::PriceRefresh => "price_refresh",
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Self::ProductIdentification => "Product identification",
            Self::PriceSearch => "Price search",
            Self::SmartFill => "Smart fill",
            Self::PriceRefresh => "Price refresh",
        }
    }

    fn check(&self, request: &JobRequest<'_>) -> Result<(), String> {
        let input = request.input;
        match self {
            Self::ProductIdentification => {
                optional_text(input, "query", 300)?;
                optional_text(input, "image_id", 128)?;
                if text(input, "query").is_none() && text(input, "image_id").is_none() {
                    return Err("give a photo (image_id) or a text query, or both".into());
                }
            }
            Self::PriceSearch => {
                optional_text(input, "query", 300)?;
                optional_text(input, "zip_code", 16)?;
                if input
                    .get("shop_local")
                    .is_some_and(|v| !v.is_boolean() && !v.is_null())
                {
                    return Err("shop_local must be true or false".into());
                }
                if text(input, "query").is_none() && request.related_item_id.is_none() {
                    return Err("give a query, or the item to search prices for".into());
                }
            }
            Self::SmartFill => {
                optional_text(input, "product_name", 200)?;
                if text(input, "product_name").is_none() && request.related_item_id.is_none() {
                    return Err("give a product_name, or the item to fill in".into());
                }
            }
            Self::PriceRefresh => {
                if request.related_item_id.is_none() {
                    return Err("a price refresh needs the item (related_item_id)".into());
                }
            }
        }
        Ok(())
    }

    fn dedupe_per_item(&self) -> bool {
        !matches!(self, Self::ProductIdentification)
    }

    fn summary(&self, input: &Value) -> String {
        let key = match self {
            Self::SmartFill => "product_name",
            _ => "query",
        };
        match (text(input, key), self) {
            (Some(t), _) => t.chars().take(120).collect(),
            (None, Self::ProductIdentification) => "Photo".into(),
            (None, _) => String::new(),
        }
    }

    fn run(self: Arc<Self>, _ctx: JobContext) -> JobFuture {
        Box::pin(async { Err(JobError::permanent(NO_PROVIDER)) })
    }
}
