//! The built-in demo provider and shopping search of `--demo`: no network, realistic delays,
//! plausible answers, and "demo" in every name, retailer and log row, so nobody takes them
//! for real prices.

use std::hash::{Hash, Hasher};
use std::time::Duration;

use serde_json::{Value, json};

use super::serpapi::{ShoppingQuery, ShoppingResult};
use super::{AiRequest, Answer, Exchange, ExchangeFuture, Provider, Task};

pub const MODEL: &str = "cartwise-demo";

const RETAILERS: &[&str] = &[
    "Demo Mart",
    "Example Grocers",
    "Sample Supply Co.",
    "Placeholder Market",
    "Testco Online",
];

fn hash(text: &str) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    text.to_ascii_lowercase().hash(&mut hasher);
    hasher.finish()
}

/// A delay between `low` and `high` that depends on `seed`.
pub fn delay(seed: &str, (low, high): (Duration, Duration)) -> Duration {
    let span = high.saturating_sub(low).as_millis().max(1) as u64;
    low + Duration::from_millis(hash(seed) % span)
}

fn title_case(text: &str) -> String {
    text.split_whitespace()
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub struct Demo {
    pub delay: (Duration, Duration),
}

impl Demo {
    fn answer(&self, request: &AiRequest) -> Value {
        let query = request.context["query"]
            .as_str()
            .or_else(|| request.context["product_name"].as_str())
            .unwrap_or("household item");
        let name = title_case(query);
        let seed = hash(query);
        match request.task {
            Task::Identify => {
                let subject = if request.image.is_some() && request.context["query"].is_null() {
                    "Photographed product".to_string()
                } else {
                    name.clone()
                };
                json!({"products": [
                    {"product_name": format!("{subject} (demo)"), "brand": "Demo Brand",
                     "model": format!("DM-{}", seed % 1000), "category": "Demo category",
                     "upc": format!("0{:011}", seed % 100_000_000_000), "is_generic": false,
                     "unit_of_measure": "each", "confidence": 0.91},
                    {"product_name": format!("{subject}, store brand (demo)"), "brand": "Sample Value",
                     "model": null, "category": "Demo category", "upc": null, "is_generic": true,
                     "unit_of_measure": "each", "confidence": 0.64},
                    {"product_name": format!("{subject} multipack (demo)"), "brand": "Demo Brand",
                     "model": null, "category": "Demo category", "upc": null, "is_generic": false,
                     "unit_of_measure": "pack", "confidence": 0.37}
                ]})
            }
            Task::Details => json!({
                "sku": format!("DEMO-{}", seed % 100_000),
                "upc": format!("0{:011}", seed % 100_000_000_000),
                "description": format!("{name}: a demo description written by the built-in demo provider."),
                "brand": "Demo Brand",
                "category": "Demo category",
                "image_url": null,
                "is_generic": false,
                "unit_of_measure": "each"
            }),
            Task::ChooseOffers => {
                let mut offers: Vec<Value> = request.context["results"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|r| r["price"].is_number())
                    .collect();
                offers.sort_by(|a, b| {
                    let (a, b) = (a["price"].as_f64(), b["price"].as_f64());
                    a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Equal)
                });
                offers.truncate(3);
                json!({"results": offers,
                       "search_summary": "Demo: the three lowest prices among the results."})
            }
            Task::Test => json!({"ok": true}),
        }
    }
}

impl Provider for Demo {
    fn kind(&self) -> &'static str {
        "demo"
    }

    fn model(&self) -> &str {
        MODEL
    }

    fn secrets(&self) -> Vec<String> {
        Vec::new()
    }

    fn complete<'a>(
        &'a self,
        _http: &'a reqwest::Client,
        request: &'a AiRequest,
    ) -> ExchangeFuture<'a> {
        Box::pin(async move {
            tokio::time::sleep(delay(&request.prompt, self.delay)).await;
            let json = self.answer(request);
            let text = json.to_string();
            Exchange {
                request: json!({"model": MODEL, "system": request.system, "prompt": request.prompt}),
                response: Some(json.clone()),
                http_status: None,
                result: Ok(Answer {
                    text,
                    json,
                    usage: None,
                    model: MODEL.into(),
                }),
            }
        })
    }
}

/// Demo shopping results: five retailers around a price that depends on the query.
pub fn shopping(query: &ShoppingQuery) -> Vec<ShoppingResult> {
    let seed = hash(&query.query);
    let base = 2.0 + (seed % 7800) as f64 / 100.0;
    let name = title_case(&query.query);
    RETAILERS
        .iter()
        .enumerate()
        .map(|(n, retailer)| {
            let factor = 0.85 + ((seed >> (n * 5)) % 31) as f64 / 100.0;
            let price = (base * factor * 100.0).round() / 100.0;
            let slug: String = query
                .query
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            ShoppingResult {
                title: format!("{name} (demo offer)"),
                price: Some(price),
                retailer: Some((*retailer).to_string()),
                url: Some(format!("https://demo.invalid/{}/{slug}", n + 1)),
                image_url: None,
                in_stock: Some(n != 3),
                rating: Some(3.5 + (seed % 15) as f64 / 10.0),
                reviews: Some(((seed >> n) % 900) as i64 + 12),
            }
        })
        .collect()
}
