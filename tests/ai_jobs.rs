//! The four AI jobs through the HTTP API, against fake AI and SerpApi servers: what each does
//! to the user's data, field by field, and what it leaves alone.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use cartwise::ai::AiSettings;
use cartwise::clock::{Clock, SystemClock};
use cartwise::jobs::Registry;
use common::fake::{Fake, Reply};
use common::{Server, eventually, test_settings};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const JPEG: &[u8] = include_bytes!("fixtures/photo.jpg");
const PNG: &[u8] = include_bytes!("fixtures/photo.png");
const WEBP: &[u8] = include_bytes!("fixtures/photo.webp");

struct World {
    server: Server,
    ai: Fake,
    serp: Fake,
    list: i64,
}

async fn world_with(configure: impl FnOnce(&mut cartwise::Config), ai: AiSettings) -> Server {
    let parts = cartwise::app::Parts {
        registry: Registry::standard(),
        clock: Arc::new(SystemClock),
        engine: test_settings(),
        ai,
    };
    Server::with_parts(configure, parts).await
}

/// A server whose AI is a fake OpenAI and whose price search is a fake SerpApi.
async fn world() -> World {
    let server = world_with(|_| {}, AiSettings::default()).await;
    let ai = Fake::start().await;
    let serp = Fake::start().await;
    let (status, _) = server
        .send(
            Method::POST,
            "/api/ai-providers",
            Some(json!({"kind": "openai", "base_url": format!("{}/v1", ai.url), "model": "gpt-4o-mini", "api_key": "sk-test-0123456789abcdef"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    server
        .send(
            Method::PUT,
            "/api/settings",
            Some(json!({"serpapi_api_key": "serp-test-key-0123", "serpapi_base_url": serp.url})),
        )
        .await;
    let (_, list) = server
        .send(
            Method::POST,
            "/api/lists",
            Some(json!({"name": "Groceries"})),
        )
        .await;
    let list = list["list"]["id"].as_i64().unwrap();
    World {
        server,
        ai,
        serp,
        list,
    }
}

impl World {
    async fn item(&self, body: Value) -> i64 {
        let (status, item) = self
            .server
            .send(
                Method::POST,
                &format!("/api/lists/{}/items", self.list),
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{item}");
        item["item"]["id"].as_i64().unwrap()
    }

    async fn snapshot(&self, item: i64) -> Value {
        let (status, body) = self.server.get(&format!("/api/items/{item}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    async fn job(&self, body: Value) -> i64 {
        let (status, job) = self
            .server
            .send(Method::POST, "/api/ai-jobs", Some(body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{job}");
        job["job"]["id"].as_i64().unwrap()
    }

    async fn finished(&self, job: i64) -> Value {
        let server = &self.server;
        eventually(
            Duration::from_secs(20),
            &format!("job {job} finished"),
            || async {
                let (_, body) = server.get(&format!("/api/ai-jobs/{job}")).await;
                ["completed", "failed", "cancelled"]
                    .contains(&body["job"]["status"].as_str().unwrap_or_default())
            },
        )
        .await;
        self.server.get(&format!("/api/ai-jobs/{job}")).await.1
    }
}

fn messages(detail: &Value) -> String {
    detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A SerpApi answer with the given (source, price) results.
fn serp(results: &[(&str, Option<f64>)]) -> Reply {
    let shopping: Vec<Value> = results
        .iter()
        .enumerate()
        .map(|(n, (source, price))| {
            json!({"position": n + 1, "title": format!("Oat Drink 1L at {source}"),
                   "price": price.map(|p| format!("${p:.2}")), "extracted_price": price,
                   "source": source, "link": format!("https://{}.example/oat", source.to_lowercase()),
                   "thumbnail": format!("https://img.example/{n}.jpg"), "rating": 4.5, "reviews": 100 + n,
                   "delivery": "In stock"})
        })
        .collect();
    Reply::json(
        200,
        json!({"search_metadata": {"status": "Success"}, "shopping_results": shopping}),
    )
}

/// An OpenAI chat completion whose answer is `answer`.
fn chat(answer: Value) -> Reply {
    Reply::json(
        200,
        json!({
            "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.to_string()}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 300, "completion_tokens": 60, "total_tokens": 360}
        }),
    )
}

fn choice(retailer: &str, price: Value) -> Value {
    json!({"title": format!("Oat Drink 1L at {retailer}"), "price": price, "retailer": retailer,
           "url": format!("https://{}.example/oat", retailer.to_lowercase()), "image_url": null, "in_stock": true})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn price_search_keeps_only_real_prices_and_updates_the_item() {
    let w = world().await;
    let item = w.item(json!({"product_name": "Oat milk", "product_query": "oatly oat drink 1l", "current_price": 5.0})).await;
    w.serp.reply(serp(&[
        ("Walmart", Some(3.49)),
        ("Target", Some(3.99)),
        ("Amazon", Some(4.29)),
        ("Kroger", None),
    ]));
    w.ai.reply(chat(json!({"results": [
        choice("Target", json!(3.99)),
        choice("Walmart", json!(3.48)),
        choice("Dream Shop", json!(2.10)),
        choice("Amazon", Value::Null)
    ], "search_summary": "Two good offers."})));
    let job = w
        .job(json!({"type": "price_search", "related_item_id": item}))
        .await;
    let detail = w.finished(job).await;
    assert_eq!(detail["job"]["status"], "completed", "{detail}");

    let query = &w.serp.last().query;
    assert!(query.contains("q=oatly+oat+drink+1l"), "{query}");
    let prompt = w.ai.last().body["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        prompt.contains("3.49") && prompt.contains("Walmart"),
        "the AI was not shown the results"
    );

    let output = &detail["output_data"];
    assert_eq!(output["query"], "oatly oat drink 1l");
    assert_eq!(output["results_count"], 2);
    assert_eq!(output["lowest_price"], 3.49);
    assert_eq!(output["highest_price"], 3.99);
    assert_eq!(
        output["results"][0]["retailer"], "Target",
        "the AI's order is kept"
    );
    assert_eq!(
        output["results"][1]["price"], 3.49,
        "a price within 1% counts as the search's price"
    );
    assert_eq!(output["search_summary"], "Two good offers.");
    let timeline = messages(&detail);
    assert!(
        timeline.contains(
            "Dropped “Oat Drink 1L at Dream Shop”: its price 2.1 is not in the search results"
        ),
        "{timeline}"
    );
    assert!(
        timeline.contains("Dropped “Oat Drink 1L at Amazon”: it has no price"),
        "{timeline}"
    );

    let after = w.snapshot(item).await;
    let i = &after["item"];
    assert_eq!(i["current_price"], 3.49);
    assert_eq!(i["previous_price"], 5.0);
    assert_eq!(i["lowest_price"], 3.49);
    assert_eq!(i["highest_price"], 5.0);
    assert_eq!(i["current_retailer"], "Walmart");
    assert_eq!(i["product_url"], "https://walmart.example/oat");
    assert_eq!(i["in_stock"], true);
    assert!(i["last_checked_at"].is_string());
    assert_eq!(
        i["product_name"], "Oat milk",
        "fields the search does not own are untouched"
    );
    let offers: Vec<(String, f64)> = after["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["retailer"].as_str().unwrap().to_string(),
                o["price"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        offers,
        [("Walmart".to_string(), 3.49), ("Target".to_string(), 3.99)]
    );
    assert_eq!(after["offers"][0]["url"], "https://walmart.example/oat");
    let history: Vec<(f64, &str)> = after["price_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["price"].as_f64().unwrap(), p["source"].as_str().unwrap()))
        .collect();
    assert_eq!(history, [(5.0, "manual"), (3.49, "price_search")]);
    assert_eq!(after["price_history"][1]["retailer"], "Walmart");
    // The invented price reached nothing.
    assert!(!after.to_string().contains("2.1,") && !after.to_string().contains("Dream Shop"));

    // A second search updates each retailer's offer instead of adding another.
    w.serp
        .reply(serp(&[("walmart", Some(3.29)), ("Target", Some(3.99))]));
    w.ai.reply(chat(
        json!({"results": [choice("walmart", json!(3.29)), choice("Target", json!(3.99))]}),
    ));
    let job = w.job(json!({"type": "price_search", "related_item_id": item, "input_data": {"query": "oat milk"}})).await;
    assert_eq!(w.finished(job).await["job"]["status"], "completed");
    let after = w.snapshot(item).await;
    assert_eq!(after["offers"].as_array().unwrap().len(), 2);
    assert_eq!(after["offers"][0]["price"], 3.29);
    assert_eq!(after["item"]["previous_price"], 3.49);
    assert_eq!(after["item"]["lowest_price"], 3.29);
    assert_eq!(after["price_history"].as_array().unwrap().len(), 3);
    w.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_ai_fails_or_keeps_nothing_the_search_results_are_used() {
    let w = world().await;
    let item = w.item(json!({"product_name": "Coffee beans"})).await;
    w.serp
        .reply(serp(&[("Aldi", Some(7.99)), ("Lidl", Some(6.49))]));
    w.ai.reply(Reply::json(400, json!({"error": {"message": "This model is not available", "type": "invalid_request_error"}})));
    let job = w
        .job(json!({"type": "price_search", "related_item_id": item}))
        .await;
    let detail = w.finished(job).await;
    assert_eq!(detail["job"]["status"], "completed", "{detail}");
    assert!(
        messages(&detail).contains("The AI could not choose"),
        "{}",
        messages(&detail)
    );
    assert_eq!(detail["output_data"]["results_count"], 2);
    assert_eq!(
        detail["output_data"]["results"][0]["retailer"], "Lidl",
        "cheapest first"
    );
    let after = w.snapshot(item).await;
    assert_eq!(after["item"]["current_price"], 6.49);
    assert_eq!(after["item"]["current_retailer"], "Lidl");

    // Every choice invented: the search results are used.
    w.serp.reply(serp(&[("Aldi", Some(7.99))]));
    w.ai.reply(chat(json!({"results": [choice("Nowhere", json!(1.0))]})));
    let job = w
        .job(json!({"type": "price_search", "input_data": {"query": "coffee"}}))
        .await;
    let detail = w.finished(job).await;
    assert!(
        messages(&detail).contains("The AI kept no offer"),
        "{}",
        messages(&detail)
    );
    assert_eq!(detail["output_data"]["results"][0]["price"], 7.99);
    w.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_search_leaves_the_item_untouched() {
    let w = world().await;
    let item = w
        .item(json!({"product_name": "Unobtainium", "current_price": 9.99, "target_price": 5.0}))
        .await;
    let before = w.snapshot(item).await;
    w.serp.reply(Reply::json(
        200,
        json!({"search_metadata": {"status": "Success"},
        "error": "Google hasn't returned any results for this query."}),
    ));
    let job = w
        .job(json!({"type": "price_search", "related_item_id": item}))
        .await;
    let detail = w.finished(job).await;
    assert_eq!(detail["job"]["status"], "completed");
    assert_eq!(detail["output_data"]["results_count"], 0);
    assert_eq!(detail["output_data"]["lowest_price"], Value::Null);
    assert!(w.ai.seen().is_empty(), "no AI call without results");

    w.serp.reply(serp(&[("Aldi", None)]));
    let job = w
        .job(json!({"type": "price_refresh", "related_item_id": item}))
        .await;
    let detail = w.finished(job).await;
    assert_eq!(detail["job"]["status"], "completed");
    assert_eq!(detail["output_data"]["found"], false);
    assert_eq!(detail["output_data"]["results_count"], 0);
    assert_eq!(
        detail["output_data"]["message"],
        "No prices found for “Unobtainium”; the item was left as it was."
    );
    assert_eq!(w.snapshot(item).await, before);
    w.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn price_refresh_moves_prices_and_reports_the_change() {
    let w = world().await;
    let item = w.item(json!({"product_name": "Olive oil 1l", "current_price": 10.0, "current_retailer": "Corner shop"})).await;
    w.serp
        .reply(serp(&[("Costco", Some(8.5)), ("Target", Some(11.0))]));
    w.ai.reply(chat(
        json!({"results": [choice("Costco", json!(8.5)), choice("Target", json!(11.0))]}),
    ));
    let job = w
        .job(json!({"type": "price_refresh", "related_item_id": item}))
        .await;
    let detail = w.finished(job).await;
    assert_eq!(detail["job"]["status"], "completed", "{detail}");
    assert_eq!(
        detail["job"]["input_summary"], "Olive oil 1l",
        "named after its item"
    );
    assert_eq!(
        detail["output_data"],
        json!({
            "item_id": item, "found": true, "lowest_price": 8.5, "lowest_vendor": "Costco",
            "previous_price": 10.0, "price_change": -1.5, "price_change_percent": -15.0,
            "results_count": 2, "message": "Cheaper: 8.50 (down 1.50)"
        })
    );
    let after = w.snapshot(item).await;
    let i = &after["item"];
    assert_eq!(
        (i["current_price"].as_f64(), i["previous_price"].as_f64()),
        (Some(8.5), Some(10.0))
    );
    assert_eq!(
        (i["lowest_price"].as_f64(), i["highest_price"].as_f64()),
        (Some(8.5), Some(10.0))
    );
    assert_eq!(i["current_retailer"], "Costco");
    let sources: Vec<&str> = after["price_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["manual", "price_refresh"]);
    assert_eq!(after["offers"].as_array().unwrap().len(), 2);
    w.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smart_fill_fills_only_empty_fields_and_suggests_a_target() {
    let w = world().await;
    let item = w
        .item(json!({"product_name": "Oatly Barista 1L", "brand": "Keep me"}))
        .await;
    w.ai.reply(chat(json!({"sku": "OAT-BAR-1", "upc": "7394376616501", "description": "Oat drink for coffee.",
        "brand": "Oatly", "category": "Dairy alternatives", "image_url": "https://img.example/oat.jpg",
        "is_generic": false, "unit_of_measure": "l"})));
    w.serp.reply(serp(&[
        ("A", Some(2.0)),
        ("B", Some(4.0)),
        ("C", Some(6.0)),
        ("D", Some(10.0)),
    ]));
    let job = w
        .job(json!({"type": "smart_fill", "related_item_id": item}))
        .await;
    let detail = w.finished(job).await;
    assert_eq!(detail["job"]["status"], "completed", "{detail}");
    let output = &detail["output_data"];
    assert_eq!(
        output["fields_changed"],
        json!([
            "sku",
            "upc",
            "description",
            "category",
            "unit_of_measure",
            "target_price"
        ])
    );
    // The median of 2, 4, 6 and 10 is 5; 90% of it is 4.50.
    assert_eq!(output["suggested_target_price"], 4.5);
    assert_eq!(output["suggestions"]["brand"], "Oatly");
    let i = w.snapshot(item).await["item"].clone();
    assert_eq!(i["brand"], "Keep me", "a filled field is never overwritten");
    assert_eq!(i["sku"], "OAT-BAR-1");
    assert_eq!(i["upc"], "7394376616501");
    assert_eq!(i["description"], "Oat drink for coffee.");
    assert_eq!(i["category"], "Dairy alternatives");
    assert_eq!(i["unit_of_measure"], "l");
    assert_eq!(i["target_price"], 4.5);
    assert_eq!(
        i["current_price"],
        Value::Null,
        "smart fill sets no current price"
    );

    // Run again: everything is filled, so nothing changes.
    w.ai.reply(chat(
        json!({"sku": "OTHER", "description": "Other", "unit_of_measure": "kg"}),
    ));
    w.serp.reply(serp(&[("A", Some(100.0))]));
    let job = w
        .job(json!({"type": "smart_fill", "related_item_id": item}))
        .await;
    let detail = w.finished(job).await;
    assert_eq!(detail["output_data"]["fields_changed"], json!([]));
    assert_eq!(w.snapshot(item).await["item"]["sku"], "OAT-BAR-1");
    w.server.stop().await;
}

async fn upload(server: &Server, bytes: &[u8]) -> String {
    let (status, body) = server
        .raw(
            Method::POST,
            "/api/uploads",
            Some("application/octet-stream"),
            bytes.to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["image_id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_reach_each_provider_kind_in_its_own_format() {
    let w = world().await;
    let jpeg = upload(&w.server, JPEG).await;
    let png = upload(&w.server, PNG).await;
    assert!(jpeg.ends_with(".jpg") && png.ends_with(".png"));
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let products = json!({"products": [
        {"product_name": "Oat drink", "brand": "Oatly", "confidence": 0.4},
        {"product_name": "Oatly Barista Edition 1L", "brand": "Oatly", "model": "Barista",
         "category": "Dairy alternatives", "upc": "7394376616501", "is_generic": false,
         "unit_of_measure": "l", "confidence": 0.95},
        {"brand": "nameless"}
    ]});
    for kind in ["openai", "anthropic", "gemini", "ollama"] {
        let fake = Fake::start().await;
        let base = if kind == "openai" {
            format!("{}/v1", fake.url)
        } else {
            fake.url.clone()
        };
        let (_, created) = w
            .server
            .send(
                Method::POST,
                "/api/ai-providers",
                Some(json!({
            "kind": kind, "base_url": base, "model": "vision-model", "is_primary": true})),
            )
            .await;
        assert_eq!(created["provider"]["is_primary"], true);
        for (id, bytes, mime) in [(&jpeg, JPEG, "image/jpeg"), (&png, PNG, "image/png")] {
            let text = products.to_string();
            fake.reply(match kind {
                "openai" => chat(products.clone()),
                "anthropic" => Reply::json(200, json!({"type": "message", "model": "vision-model",
                    "content": [{"type": "text", "text": text.trim_start_matches('{')}],
                    "usage": {"input_tokens": 1, "output_tokens": 1}})),
                "gemini" => Reply::json(200, json!({"candidates": [{"content": {"parts": [{"text": text}]}}],
                    "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1}})),
                _ => Reply::json(200, json!({"model": "vision-model", "message": {"role": "assistant", "content": text},
                    "done": true, "prompt_eval_count": 1, "eval_count": 1})),
            });
            let job = w
                .job(json!({"type": "product_identification", "input_data": {"image_id": id}}))
                .await;
            let detail = w.finished(job).await;
            assert_eq!(detail["job"]["status"], "completed", "{kind}: {detail}");
            let body = fake.last().body;
            let data = b64(bytes);
            match kind {
                "openai" => assert_eq!(
                    body["messages"][1]["content"][1]["image_url"]["url"],
                    format!("data:{mime};base64,{data}")
                ),
                "anthropic" => assert_eq!(
                    body["messages"][0]["content"][0]["source"],
                    json!({"type": "base64", "media_type": mime, "data": data})
                ),
                "gemini" => assert_eq!(
                    body["contents"][0]["parts"][1]["inline_data"],
                    json!({"mime_type": mime, "data": data})
                ),
                _ => assert_eq!(body["messages"][1]["images"], json!([data])),
            }
            let output = &detail["output_data"];
            assert_eq!(output["has_image"], true);
            let results = output["results"].as_array().unwrap();
            assert_eq!(results.len(), 2, "the candidate without a name is dropped");
            assert_eq!(
                results[0]["product_name"], "Oatly Barista Edition 1L",
                "most confident first"
            );
            assert_eq!(results[1]["unit_of_measure"], "each", "defaults are filled");
            assert_eq!(results[1]["is_generic"], false);
            let row = &w
                .server
                .get(&format!("/api/ai-logs?ai_job_id={job}"))
                .await
                .1["logs"][0];
            assert_eq!(
                (row["provider"].as_str(), row["request_type"].as_str()),
                (Some(kind), Some("image_analysis"))
            );
        }
    }
    w.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_cancelled_between_steps_leaves_the_item_as_it_was() {
    let w = world().await;
    let item = w
        .item(json!({"product_name": "Tea", "current_price": 4.0}))
        .await;
    let before = w.snapshot(item).await;
    w.serp.reply(serp(&[("Aldi", Some(2.0))]));
    w.ai.reply(
        chat(json!({"results": [choice("Aldi", json!(2.0))]})).after(Duration::from_secs(20)),
    );
    let job = w
        .job(json!({"type": "price_search", "related_item_id": item}))
        .await;
    let server = &w.server;
    eventually(
        Duration::from_secs(10),
        "the job waits for the AI",
        || async { w.ai.seen().len() == 1 && !w.serp.seen().is_empty() },
    )
    .await;
    let (status, _) = server
        .send(Method::POST, &format!("/api/ai-jobs/{job}/cancel"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let detail = w.finished(job).await;
    assert_eq!(detail["job"]["status"], "cancelled");
    assert_eq!(w.snapshot(item).await, before, "the item changed");
    w.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_item_while_its_job_runs_fails_the_job_clearly() {
    let w = world().await;
    let item = w.item(json!({"product_name": "Bread"})).await;
    w.serp.reply(serp(&[("Aldi", Some(2.0))]));
    w.ai.reply(
        chat(json!({"results": [choice("Aldi", json!(2.0))]})).after(Duration::from_millis(800)),
    );
    let job = w
        .job(json!({"type": "price_search", "related_item_id": item}))
        .await;
    eventually(
        Duration::from_secs(10),
        "the job waits for the AI",
        || async { w.ai.seen().len() == 1 },
    )
    .await;
    let (status, _) = w
        .server
        .send(Method::DELETE, &format!("/api/items/{item}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let detail = w.finished(job).await;
    assert_eq!(detail["job"]["status"], "failed");
    assert_eq!(
        detail["job"]["error_message"],
        "The item was deleted while this job ran."
    );
    assert_eq!(detail["job"]["attempts"], 1, "not retried");
    w.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_demo_all_four_jobs_complete_within_ten_seconds() {
    let server = world_with(|c| c.demo = true, AiSettings::default()).await;
    let (_, list) = server
        .send(Method::POST, "/api/lists", Some(json!({"name": "Demo"})))
        .await;
    let list = list["list"]["id"].as_i64().unwrap();
    let (_, item) = server
        .send(
            Method::POST,
            &format!("/api/lists/{list}/items"),
            Some(json!({"product_name": "Peanut butter"})),
        )
        .await;
    let item = item["item"]["id"].as_i64().unwrap();
    let mut jobs = Vec::new();
    for body in [
        json!({"type": "product_identification", "input_data": {"query": "peanut butter jar"}}),
        json!({"type": "price_search", "related_item_id": item}),
        json!({"type": "smart_fill", "related_item_id": item}),
        json!({"type": "price_refresh", "related_item_id": item}),
    ] {
        let (status, job) = server.send(Method::POST, "/api/ai-jobs", Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{job}");
        jobs.push(job["job"]["id"].as_i64().unwrap());
    }
    for job in jobs {
        eventually(Duration::from_secs(40), "demo job done", || async {
            let (_, d) = server.get(&format!("/api/ai-jobs/{job}")).await;
            d["job"]["status"] == "completed" || d["job"]["status"] == "failed"
        })
        .await;
        let (_, detail) = server.get(&format!("/api/ai-jobs/{job}")).await;
        assert_eq!(detail["job"]["status"], "completed", "{detail}");
        let took = detail["job"]["duration_ms"].as_i64().unwrap();
        assert!(took < 10_000, "{} took {took} ms", detail["job"]["type"]);
        assert!(detail["job"]["logs_count"].as_i64().unwrap() >= 1);
    }
    let (_, after) = server.get(&format!("/api/items/{item}")).await;
    assert!(after["item"]["current_price"].is_number());
    assert!(
        after["item"]["description"]
            .as_str()
            .unwrap()
            .contains("demo")
    );
    let retailers: Vec<&str> = after["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["retailer"].as_str().unwrap())
        .collect();
    assert!(!retailers.is_empty());
    let (_, logs) = server.get("/api/ai-logs?provider=demo").await;
    let logged = logs["pagination"]["total"].as_i64().unwrap();
    assert!(logged >= 6);
    // The same figures in Prometheus form.
    let metrics = reqwest::get(format!("{}/metrics", server.url))
        .await
        .unwrap();
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let metrics = metrics.text().await.unwrap();
    for line in [
        "cartwise_jobs{status=\"completed\"} 4".to_string(),
        format!("cartwise_ai_requests{{provider=\"demo\",status=\"success\"}} {logged}"),
        "cartwise_items 1".to_string(),
        "cartwise_job_runners 2".to_string(),
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} missing from:\n{metrics}"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_recognised_by_their_bytes() {
    let server = world_with(|_| {}, AiSettings::default()).await;
    let heic = [&[0, 0, 0, 0x18][..], b"ftypheic", &[0u8; 32][..]].concat();
    for (bytes, ext) in [
        (JPEG.to_vec(), "jpg"),
        (PNG.to_vec(), "png"),
        (WEBP.to_vec(), "webp"),
        (heic, "heic"),
    ] {
        let id = upload(&server, &bytes).await;
        assert!(id.ends_with(&format!(".{ext}")), "{id}");
        assert_eq!(upload(&server, &bytes).await, id, "stored by content hash");
        let response = reqwest::get(format!("{}/api/uploads/{id}", server.url))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.bytes().await.unwrap().as_ref(), bytes.as_slice());
    }
    // A name does not make a photo.
    let form = reqwest::multipart::Form::new().part(
        "image",
        reqwest::multipart::Part::bytes(b"just text".to_vec()).file_name("holiday.jpg"),
    );
    let response = reqwest::Client::new()
        .post(format!("{}/api/uploads", server.url))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("JPEG, PNG, WebP or HEIC")
    );
    let form = reqwest::multipart::Form::new().part(
        "image",
        reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("x.bin"),
    );
    let response = reqwest::Client::new()
        .post(format!("{}/api/uploads", server.url))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);

    let mut big = JPEG.to_vec();
    big.resize(10 * 1024 * 1024 + 1, 0);
    let (status, body) = server
        .raw(Method::POST, "/api/uploads", Some("image/jpeg"), big)
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("10 MB"));
    let (status, _) = server
        .raw(Method::POST, "/api/uploads", None, Vec::new())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = server.get("/api/uploads/nope.jpg").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = server
        .send(Method::POST, "/api/ai-jobs", Some(json!({"type": "product_identification", "input_data": {"image_id": "../secret.key"}})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_refresh_queues_spread_out_refreshes_for_open_items() {
    let clock = Arc::new(cartwise::clock::ManualClock::new());
    let mut engine = test_settings();
    engine.workers = 0;
    let parts = cartwise::app::Parts {
        registry: Registry::standard(),
        clock: clock.clone(),
        engine,
        ai: AiSettings::default(),
    };
    let server = Server::with_parts(
        |c| c.utc_offset = time::UtcOffset::from_hms(2, 0, 0).unwrap(),
        parts,
    )
    .await;
    let (_, settings) = server.get("/api/settings").await;
    assert_eq!(
        settings["daily_refresh"],
        json!({"enabled": false, "time": "06:00", "next_run_at": null})
    );
    for bad in [
        json!({"enabled": true, "time": "25:00"}),
        json!({"enabled": "yes", "time": "06:00"}),
        json!("daily"),
    ] {
        let (status, body) = server
            .send(
                Method::PUT,
                "/api/settings",
                Some(json!({"daily_refresh": bad})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    let (status, settings) = server
        .send(
            Method::PUT,
            "/api/settings",
            Some(json!({"daily_refresh": {"enabled": true, "time": "06:30"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let next = settings["daily_refresh"]["next_run_at"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        next.ends_with("T04:30:00.000Z"),
        "06:30 at UTC+2 is 04:30 UTC: {next}"
    );

    let list = |name: &str, active: bool| {
        let server = &server;
        let name = name.to_string();
        async move {
            let (_, l) = server
                .send(
                    Method::POST,
                    "/api/lists",
                    Some(json!({"name": name, "is_active": active})),
                )
                .await;
            l["list"]["id"].as_i64().unwrap()
        }
    };
    let open = list("Open", true).await;
    let archived = list("Archived", false).await;
    let add = |list: i64, body: Value| {
        let server = &server;
        async move {
            let (_, i) = server
                .send(
                    Method::POST,
                    &format!("/api/lists/{list}/items"),
                    Some(body),
                )
                .await;
            i["item"]["id"].as_i64().unwrap()
        }
    };
    let first = add(open, json!({"product_name": "Milk"})).await;
    add(
        open,
        json!({"product_name": "Bought", "is_purchased": true}),
    )
    .await;
    add(archived, json!({"product_name": "Old"})).await;
    let busy = add(open, json!({"product_name": "Busy"})).await;
    let last = add(open, json!({"product_name": "Eggs"})).await;
    server
        .send(
            Method::POST,
            "/api/ai-jobs",
            Some(json!({"type": "smart_fill", "related_item_id": busy})),
        )
        .await;

    let queued = cartwise::jobs::schedule::queue_refreshes(&server.engine, &server.db)
        .await
        .unwrap();
    assert_eq!(queued, 2);
    let (_, jobs) = server.get("/api/ai-jobs?type=price_refresh").await;
    let mut rows: Vec<(i64, String)> = jobs["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            (
                j["related_item_id"].as_i64().unwrap(),
                j["run_at"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    rows.sort();
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [first, last]);
    let at = |s: &str| cartwise::clock::parse(s).unwrap();
    assert_eq!(
        at(&rows[1].1) - at(&rows[0].1),
        time::Duration::seconds(30),
        "spread out"
    );
    assert_eq!(rows[0].1, cartwise::clock::format(clock.now()));
    server.stop().await;
}
