//! `price_search`: search the shops for a query (or an item), let the AI choose the best
//! offers among the real results, and with an item, store its offers and its new price.

use std::sync::Arc;

use serde_json::{Value, json};

use super::offers::{self, Found};
use super::standard::{self, optional_text, text};
use super::{JobContext, JobError, JobFuture, JobRequest, JobType, Level, Outcome};
use crate::db::items::{Item, PriceSource};
use crate::db::lists;

pub struct PriceSearch;

impl JobType for PriceSearch {
    fn name(&self) -> &'static str {
        "price_search"
    }

    fn label(&self) -> &'static str {
        "Price search"
    }

    fn check(&self, request: &JobRequest<'_>) -> Result<(), String> {
        let input = request.input;
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
        Ok(())
    }

    fn dedupe_per_item(&self) -> bool {
        true
    }

    fn summary(&self, input: &Value) -> String {
        text(input, "query")
            .unwrap_or_default()
            .chars()
            .take(120)
            .collect()
    }

    fn run(self: Arc<Self>, ctx: JobContext) -> JobFuture {
        Box::pin(async move {
            let item = standard::item(&ctx).await?;
            let query = text(&ctx.input, "query")
                .map(str::to_string)
                .or_else(|| item.as_ref().map(standard::query_of))
                .ok_or_else(|| JobError::permanent("There is nothing to search for."))?;
            let location = location(&ctx, item.as_ref()).await?;
            let found = offers::find(&ctx, &query, location).await?;
            let output = summary(&query, &found);
            match item {
                Some(item) if !found.offers.is_empty() => {
                    ctx.step(90, "Saving the offers and the new price").await;
                    Ok(Outcome::with_apply(output, move |tx, output| {
                        offers::save(tx, item.id, &found, PriceSource::PriceSearch)?;
                        Ok(output)
                    }))
                }
                _ => Ok(Outcome::output(output)),
            }
        })
    }
}

/// Where to search when the search should be local: the postcode given; a shop-local list
/// without one searches everywhere, and says so.
async fn location(ctx: &JobContext, item: Option<&Item>) -> Result<Option<String>, JobError> {
    if let Some(zip) = text(&ctx.input, "zip_code") {
        return Ok(Some(zip.to_string()));
    }
    let mut local = ctx.input["shop_local"] == true;
    if let Some(list_id) = item.map(|i| i.list_id) {
        let list = ctx.db.call(move |c| lists::get(c, list_id)).await?;
        local |= list.is_some_and(|l| l.shop_local);
    }
    if local {
        ctx.event(
            Level::Warn,
            "A shop-local search needs a postcode (zip_code); searching everywhere",
        )
        .await;
    }
    Ok(None)
}

fn summary(query: &str, found: &Found) -> Value {
    json!({
        "query": query,
        "results": offers::output(found),
        "lowest_price": found.lowest().and_then(|l| l.price),
        "highest_price": found.highest(),
        "results_count": found.offers.len(),
        "search_summary": found.summary,
    })
}
