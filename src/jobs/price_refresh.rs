//! `price_refresh`: a price search for one existing item, by its stored query. With no
//! results the item is left as it was and the output says so.

use std::sync::Arc;

use serde_json::{Value, json};

use super::offers;
use super::standard::{self, cents};
use super::{JobContext, JobError, JobFuture, JobRequest, JobType, Outcome};
use crate::db::items::PriceSource;

pub struct PriceRefresh;

impl JobType for PriceRefresh {
    fn name(&self) -> &'static str {
        "price_refresh"
    }

    fn label(&self) -> &'static str {
        "Price refresh"
    }

    fn check(&self, request: &JobRequest<'_>) -> Result<(), String> {
        if request.related_item_id.is_none() {
            return Err("a price refresh needs the item (related_item_id)".into());
        }
        Ok(())
    }

    fn dedupe_per_item(&self) -> bool {
        true
    }

    fn summary(&self, _input: &Value) -> String {
        String::new()
    }

    fn run(self: Arc<Self>, ctx: JobContext) -> JobFuture {
        Box::pin(async move {
            let item = standard::item(&ctx)
                .await?
                .ok_or_else(|| JobError::permanent("A price refresh needs an item."))?;
            let query = standard::query_of(&item);
            let found = offers::find(&ctx, &query, None).await?;
            let Some(lowest) = found.lowest().cloned() else {
                let message =
                    format!("No prices found for “{query}”; the item was left as it was.");
                ctx.step(100, message.clone()).await;
                return Ok(Outcome::output(json!({
                    "item_id": item.id, "found": false, "lowest_price": null, "lowest_vendor": null,
                    "previous_price": item.current_price, "price_change": null,
                    "price_change_percent": null, "results_count": 0, "message": message,
                })));
            };
            let price = cents(lowest.price.unwrap_or_default());
            let previous = item.current_price;
            let change = previous.map(|p| cents(price - p));
            let percent = previous
                .filter(|p| *p > 0.0)
                .map(|p| ((price - p) / p * 1000.0).round() / 10.0);
            let vendor = lowest.retailer.clone();
            let message = match change {
                Some(c) if c < 0.0 => format!("Cheaper: {price:.2} (down {:.2})", -c),
                Some(c) if c > 0.0 => format!("Dearer: {price:.2} (up {c:.2})"),
                Some(_) => format!("Unchanged at {price:.2}"),
                None => format!("Found {price:.2}"),
            };
            ctx.step(90, format!("{message}; saving")).await;
            let output = json!({
                "item_id": item.id, "found": true, "lowest_price": price, "lowest_vendor": vendor,
                "previous_price": previous, "price_change": change,
                "price_change_percent": percent, "results_count": found.offers.len(),
                "message": message,
            });
            Ok(Outcome::with_apply(output, move |tx, output| {
                offers::save(tx, item.id, &found, PriceSource::PriceRefresh)?;
                Ok(output)
            }))
        })
    }
}
