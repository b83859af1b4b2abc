//! Finding prices, shared by price search and price refresh: search the shops, let the AI
//! choose and order the best offers from those real results, keep only prices that are in the
//! results, and fall back to the results as found when the AI fails or keeps nothing.

use serde_json::{Value, json};

use super::standard::cents;
use super::{JobContext, JobError, Level};
use crate::ai::serpapi::{ShoppingQuery, ShoppingResult};
use crate::ai::{AiRequest, JSON_ONLY, Task};
use crate::db::items::{self, NewOffer, Observation, PriceSource};

/// How far a chosen price may be from a search result's price and still count as that price.
const TOLERANCE: f64 = 0.01;
/// Results shown to the AI, and offers kept.
const MAX_RESULTS: usize = 20;
const MAX_OFFERS: usize = 10;

/// The offers a search ended with.
#[derive(Debug, Clone)]
pub struct Found {
    pub offers: Vec<ShoppingResult>,
    pub summary: Option<String>,
}

impl Found {
    /// The cheapest offer a shop can sell now: out-of-stock offers count only when all are.
    pub fn lowest(&self) -> Option<&ShoppingResult> {
        let by_price = |a: &&ShoppingResult, b: &&ShoppingResult| price(a).total_cmp(&price(b));
        self.offers
            .iter()
            .filter(|o| o.in_stock != Some(false))
            .min_by(by_price)
            .or_else(|| self.offers.iter().min_by(by_price))
    }

    pub fn highest(&self) -> Option<f64> {
        self.offers.iter().map(price).reduce(f64::max)
    }
}

fn price(result: &ShoppingResult) -> f64 {
    result.price.unwrap_or(f64::MAX)
}

/// Searches `query` and returns the offers to keep, cheapest first unless the AI ordered them.
pub async fn find(
    ctx: &JobContext,
    query: &str,
    location: Option<String>,
) -> Result<Found, JobError> {
    ctx.step(10, format!("Searching shops for “{query}”")).await;
    let search = ShoppingQuery {
        query: query.to_string(),
        location,
    };
    let results = ctx
        .ai
        .search(Some(ctx.id), &search, Some(&ctx.token))
        .await?;
    let mut priced: Vec<ShoppingResult> = results
        .into_iter()
        .filter(|r| r.price.is_some_and(|p| p.is_finite() && p >= 0.0))
        .collect();
    priced.sort_by(|a, b| price(a).total_cmp(&price(b)));
    priced.truncate(MAX_RESULTS);
    if priced.is_empty() {
        ctx.step(90, "The search found no prices").await;
        return Ok(Found {
            offers: Vec::new(),
            summary: None,
        });
    }
    ctx.step(
        40,
        format!(
            "Found {} prices; asking the AI to choose the best offers",
            priced.len()
        ),
    )
    .await;
    let answer = ctx
        .ai
        .complete(
            Some(ctx.id),
            &choose_request(query, &priced),
            Some(&ctx.token),
        )
        .await;
    let chosen = match answer {
        Ok(answer) => Some(keep_real(ctx, &answer.json, &priced).await),
        Err(e) => {
            ctx.event(
                Level::Warn,
                format!("The AI could not choose ({e}); using the search results as found"),
            )
            .await;
            None
        }
    };
    let found = match chosen {
        Some(found) if !found.offers.is_empty() => found,
        Some(_) => {
            ctx.event(
                Level::Warn,
                "The AI kept no offer; using the search results as found",
            )
            .await;
            fallback(priced)
        }
        None => fallback(priced),
    };
    ctx.step(80, format!("Kept {} offers", found.offers.len()))
        .await;
    Ok(found)
}

fn fallback(mut priced: Vec<ShoppingResult>) -> Found {
    priced.truncate(MAX_OFFERS);
    Found {
        offers: priced,
        summary: None,
    }
}

fn choose_request(query: &str, results: &[ShoppingResult]) -> AiRequest {
    let listed: Vec<Value> = results
        .iter()
        .map(|r| {
            json!({"title": r.title, "price": r.price, "retailer": r.retailer, "url": r.url,
                   "image_url": r.image_url, "in_stock": r.in_stock})
        })
        .collect();
    AiRequest {
        task: Task::ChooseOffers,
        system: "You help a shopper compare prices. You choose only among the search results \
                 you are given and never invent or change a price."
            .into(),
        prompt: format!(
            "The shopper is looking for: {query}\nShopping search results (JSON):\n{}\n\n\
             Choose up to {MAX_OFFERS} offers that are this product from trustworthy shops, best \
             first. Copy each chosen result's title, price, retailer, url, image_url and in_stock \
             exactly. Answer as {{\"results\": [{{\"title\", \"price\", \"retailer\", \"url\", \
             \"image_url\", \"in_stock\"}}], \"search_summary\": \"one sentence\"}}. {JSON_ONLY}",
            Value::Array(listed)
        ),
        image: None,
        schema: Some(json!({
            "type": "object",
            "properties": {
                "results": {"type": "array", "items": {"type": "object", "properties": {
                    "title": {"type": "string"}, "price": {"type": ["number", "null"]},
                    "retailer": {"type": ["string", "null"]}, "url": {"type": ["string", "null"]},
                    "image_url": {"type": ["string", "null"]}, "in_stock": {"type": ["boolean", "null"]}
                }}},
                "search_summary": {"type": "string"}
            },
            "required": ["results"]
        })),
        context: json!({"query": query, "results": results}),
    }
}

/// The AI's choices that match a search result's price (within 1%), as those results; every
/// choice dropped is noted in the timeline.
async fn keep_real(ctx: &JobContext, answer: &Value, results: &[ShoppingResult]) -> Found {
    let mut kept: Vec<ShoppingResult> = Vec::new();
    for choice in answer["results"].as_array().into_iter().flatten() {
        let title = choice["title"].as_str().unwrap_or("an offer");
        let Some(chosen) = choice["price"].as_f64() else {
            ctx.event(Level::Warn, format!("Dropped “{title}”: it has no price"))
                .await;
            continue;
        };
        let retailer = choice["retailer"].as_str().map(str::to_lowercase);
        let matches = |r: &&ShoppingResult| {
            r.price
                .is_some_and(|p| (p - chosen).abs() <= TOLERANCE * p.max(0.01))
        };
        let same_shop = results
            .iter()
            .filter(matches)
            .find(|r| r.retailer.as_deref().map(str::to_lowercase) == retailer);
        match same_shop.or_else(|| results.iter().find(matches)) {
            Some(result) if !kept.contains(result) => kept.push(result.clone()),
            Some(_) => {}
            None => {
                ctx.event(
                    Level::Warn,
                    format!("Dropped “{title}”: its price {chosen} is not in the search results"),
                )
                .await;
            }
        }
        if kept.len() == MAX_OFFERS {
            break;
        }
    }
    Found {
        offers: kept,
        summary: answer["search_summary"].as_str().map(str::to_string),
    }
}

/// The offers as JSON for a job's output.
pub fn output(found: &Found) -> Value {
    json!(found.offers)
}

/// Writes the offers (one per retailer, the cheapest) and makes the lowest the item's current
/// price. Runs inside the job's completing transaction.
pub fn save(
    tx: &rusqlite::Connection,
    item_id: i64,
    found: &Found,
    source: PriceSource,
) -> Result<(), JobError> {
    if items::get(tx, item_id)?.is_none() {
        return Err(JobError::permanent(super::standard::ITEM_GONE));
    }
    let mut offers: Vec<NewOffer> = Vec::new();
    let mut by_price = found.offers.clone();
    by_price.sort_by(|a, b| price(a).total_cmp(&price(b)));
    for result in by_price {
        let (Some(retailer), Some(price)) = (result.retailer.clone(), result.price) else {
            continue;
        };
        let key = items::retailer_key(&retailer);
        if offers
            .iter()
            .any(|o| items::retailer_key(&o.retailer) == key)
        {
            continue;
        }
        offers.push(NewOffer {
            retailer,
            title: Some(result.title.clone()),
            price: cents(price),
            url: result.url.clone(),
            image_url: result.image_url.clone(),
            in_stock: result.in_stock,
            rating: result.rating,
            reviews: result.reviews,
        });
    }
    items::upsert_offers(tx, item_id, &offers)?;
    if let Some(lowest) = found.lowest().and_then(|l| l.price.map(|p| (l, p))) {
        let (result, price) = lowest;
        let seen = Observation {
            price: cents(price),
            retailer: result.retailer.clone(),
            url: result.url.clone(),
            in_stock: result.in_stock,
        };
        items::record_price(tx, item_id, &seen, source)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(price: f64, in_stock: Option<bool>) -> ShoppingResult {
        ShoppingResult {
            title: format!("at {price}"),
            price: Some(price),
            retailer: Some(format!("shop {price}")),
            url: None,
            image_url: None,
            in_stock,
            rating: None,
            reviews: None,
        }
    }

    #[test]
    fn the_lowest_offer_is_one_that_can_be_bought() {
        let found = Found {
            offers: vec![
                offer(5.0, Some(true)),
                offer(3.0, Some(false)),
                offer(4.0, None),
            ],
            summary: None,
        };
        assert_eq!(found.lowest().and_then(|o| o.price), Some(4.0));
        assert_eq!(found.highest(), Some(5.0));
        let all_out = Found {
            offers: vec![offer(5.0, Some(false)), offer(3.0, Some(false))],
            summary: None,
        };
        assert_eq!(all_out.lowest().and_then(|o| o.price), Some(3.0));
    }
}
