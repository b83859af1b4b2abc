//! Price search through SerpApi's Google Shopping engine (`GET {base}/search.json`), with
//! results normalised to one shape whatever fields a result carries.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::wire::{self, Reply};
use super::{Error, payload};
use crate::config::Secret;

const PROVIDER: &str = "serpapi";

/// What to search for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShoppingQuery {
    pub query: String,
    /// A place ("Austin, Texas") or postcode for shop-local searches.
    pub location: Option<String>,
}

/// One shopping result, normalised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShoppingResult {
    pub title: String,
    pub price: Option<f64>,
    pub retailer: Option<String>,
    pub url: Option<String>,
    pub image_url: Option<String>,
    pub in_stock: Option<bool>,
    pub rating: Option<f64>,
    pub reviews: Option<i64>,
}

/// One search as the log sees it.
#[derive(Debug)]
pub struct Search {
    pub request: Value,
    pub response: Option<Value>,
    pub http_status: Option<u16>,
    pub result: Result<Vec<ShoppingResult>, Error>,
}

#[derive(Debug, Clone)]
pub struct SerpApi {
    pub base_url: String,
    pub api_key: Secret,
    pub timeout: Duration,
}

impl SerpApi {
    pub async fn search(&self, http: &reqwest::Client, query: &ShoppingQuery) -> Search {
        let mut params = vec![
            ("engine", "google_shopping".to_string()),
            ("q", query.query.clone()),
            ("gl", "us".to_string()),
            ("hl", "en".to_string()),
        ];
        if let Some(location) = &query.location {
            params.push(("location", location.clone()));
        }
        let request: Value = params
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        let secrets = vec![self.api_key.expose().to_string()];
        let call = http
            .get(format!("{}/search.json", self.base_url))
            .query(&params)
            .query(&[("api_key", self.api_key.expose())]);
        let reply = match wire::send(call, PROVIDER, self.timeout, &secrets).await {
            Ok(reply) => reply,
            Err(e) => {
                return Search {
                    request,
                    response: None,
                    http_status: None,
                    result: Err(e),
                };
            }
        };
        let result = read(&reply, &secrets);
        Search {
            request,
            http_status: Some(reply.status),
            response: Some(reply.body),
            result,
        }
    }
}

fn read(reply: &Reply, secrets: &[String]) -> Result<Vec<ShoppingResult>, Error> {
    let message = reply.body["error"].as_str().unwrap_or_default();
    // SerpApi answers an empty search with an error text, not an empty list.
    if message.contains("hasn't returned any results") || message.contains("no results") {
        return Ok(Vec::new());
    }
    if !reply.ok() || !message.is_empty() {
        let keys: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let detail = payload::redact(message, &keys);
        if message.to_ascii_lowercase().contains("invalid api key") {
            return Err(Error::Auth {
                provider: PROVIDER.into(),
                detail,
            });
        }
        if reply.ok() {
            return Err(Error::Rejected {
                provider: PROVIDER.into(),
                status: reply.status,
                detail,
            });
        }
        return Err(wire::classify(PROVIDER, reply, false, secrets));
    }
    Ok(normalise(&reply.body))
}

/// Shopping results from a SerpApi answer, with a price wherever one can be read.
pub fn normalise(body: &Value) -> Vec<ShoppingResult> {
    ["shopping_results", "inline_shopping_results"]
        .iter()
        .filter_map(|key| body[*key].as_array())
        .flatten()
        .filter_map(|r| {
            let title = r["title"].as_str()?.trim().to_string();
            let text = |key: &str| r[key].as_str().map(str::trim).filter(|s| !s.is_empty());
            Some(ShoppingResult {
                price: r["extracted_price"]
                    .as_f64()
                    .or_else(|| text("price").and_then(parse_price)),
                retailer: text("source").map(str::to_string),
                url: text("product_link")
                    .or_else(|| text("link"))
                    .map(str::to_string),
                image_url: text("thumbnail").map(str::to_string),
                in_stock: stock(r),
                rating: r["rating"].as_f64(),
                reviews: r["reviews"].as_i64(),
                title,
            })
        })
        .collect()
}

/// "$1,299.99" → 1299.99.
fn parse_price(text: &str) -> Option<f64> {
    let digits: String = text
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    digits.parse().ok()
}

fn stock(result: &Value) -> Option<bool> {
    let mut words = String::new();
    for key in ["delivery", "tag", "stock_information"] {
        if let Some(s) = result[key].as_str() {
            words.push_str(s);
            words.push(' ');
        }
    }
    for ext in result["extensions"].as_array().into_iter().flatten() {
        if let Some(s) = ext.as_str() {
            words.push_str(s);
            words.push(' ');
        }
    }
    let words = words.to_ascii_lowercase();
    if words.contains("out of stock") || words.contains("sold out") {
        Some(false)
    } else if words.contains("in stock") {
        Some(true)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_the_fields_serpapi_sends() {
        let body = json!({"shopping_results": [
            {"position": 1, "title": "Oatly Oat Drink 1L", "price": "$3.49", "extracted_price": 3.49,
             "source": "Walmart", "product_link": "https://www.google.com/shopping/product/1",
             "link": "https://walmart.example/oat", "thumbnail": "https://img.example/1.jpg",
             "rating": 4.7, "reviews": 1203, "delivery": "In stock online"},
            {"title": "Oat milk 6-pack", "price": "$1,299.99", "source": "Target",
             "extensions": ["Out of stock"]},
            {"price": "$1.00"}
        ], "inline_shopping_results": [{"title": "Inline", "extracted_price": 2.0}]});
        let results = normalise(&body);
        assert_eq!(results.len(), 3);
        assert_eq!(results[0].price, Some(3.49));
        assert_eq!(results[0].retailer.as_deref(), Some("Walmart"));
        assert_eq!(
            results[0].url.as_deref(),
            Some("https://www.google.com/shopping/product/1")
        );
        assert_eq!(results[0].in_stock, Some(true));
        assert_eq!(results[0].reviews, Some(1203));
        assert_eq!(results[1].price, Some(1299.99));
        assert_eq!(results[1].in_stock, Some(false));
        assert_eq!(results[2].title, "Inline");
    }
}
