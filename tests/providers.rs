//! AI providers and price search against fake servers that speak each vendor's wire format:
//! request shapes, usage, errors, the request log, and secrets kept out of everything stored.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use cartwise::ai::serpapi::ShoppingQuery;
use cartwise::ai::{AiRequest, AiSettings, Error, Image, JSON_ONLY, Task};
use cartwise::clock::SystemClock;
use cartwise::jobs::{JobContext, JobFuture, JobType, Outcome, Registry};
use common::fake::{Fake, Reply, refused_url};
use common::slow_server::SlowServer;
use common::{Server, eventually, test_settings};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

const KEY: &str = "sk-test-SECRETKEY-0123456789abcdef";

/// Asks the primary provider with its own token, as the real job types will.
struct Ask;

impl JobType for Ask {
    fn name(&self) -> &'static str {
        "ask"
    }
    fn label(&self) -> &'static str {
        "Ask"
    }
    fn run(self: Arc<Self>, ctx: JobContext) -> JobFuture {
        Box::pin(async move {
            let answer = ctx
                .ai
                .complete(Some(ctx.id), &text(), Some(&ctx.token))
                .await?;
            Ok(Outcome::output(answer.json))
        })
    }
}

fn settings(timeout: Duration) -> AiSettings {
    AiSettings {
        request_timeout: timeout,
        demo_delay: (Duration::from_millis(10), Duration::from_millis(30)),
    }
}

async fn start(timeout: Duration) -> Server {
    start_with(timeout, |_| {}).await
}

async fn start_with(timeout: Duration, configure: impl FnOnce(&mut cartwise::Config)) -> Server {
    let parts = cartwise::app::Parts {
        registry: Registry::standard().with(Ask),
        clock: Arc::new(SystemClock),
        engine: test_settings(),
        ai: settings(timeout),
    };
    Server::with_parts(configure, parts).await
}

fn text() -> AiRequest {
    AiRequest {
        task: Task::Details,
        system: "You describe shop products.".into(),
        prompt: format!("Describe: oat milk. {JSON_ONLY}"),
        image: None,
        schema: Some(json!({"type": "object", "properties": {"brand": {"type": "string"}}})),
        context: json!({"product_name": "oat milk"}),
    }
}

fn photo() -> AiRequest {
    AiRequest {
        task: Task::Identify,
        image: Some(Image::new("image/png", PNG.to_vec())),
        ..text()
    }
}

fn b64() -> String {
    Image::new("image/png", PNG.to_vec()).base64()
}

async fn add_provider(
    server: &Server,
    kind: &str,
    base_url: &str,
    model: &str,
    key: Option<&str>,
) -> i64 {
    let mut body = json!({"kind": kind, "base_url": base_url, "model": model});
    if let Some(key) = key {
        body["api_key"] = json!(key);
    }
    let (status, answer) = server
        .send(Method::POST, "/api/ai-providers", Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    answer["provider"]["id"].as_i64().unwrap()
}

async fn logs(server: &Server, query: &str) -> Vec<Value> {
    let (status, body) = server
        .get(&format!("/api/ai-logs?per_page=100&{query}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["logs"].as_array().unwrap().clone()
}

async fn log_detail(server: &Server, id: &Value) -> Value {
    let (status, body) = server.get(&format!("/api/ai-logs/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["log"].clone()
}

fn answer_json() -> String {
    json!({"brand": "Oatly"}).to_string()
}

/// Checks the newest log row: success, the provider's own token counts, status and timing,
/// and an image kept only as its descriptor.
async fn check_success_log(
    server: &Server,
    kind: &str,
    request_type: &str,
    tokens: (i64, i64),
) -> Value {
    let rows = logs(server, &format!("provider={kind}")).await;
    let row = &rows[0];
    assert_eq!(row["status"], "success", "{row}");
    assert_eq!(row["request_type"], request_type);
    assert_eq!(row["http_status"], 200);
    assert_eq!(
        (row["tokens_input"].as_i64(), row["tokens_output"].as_i64()),
        (Some(tokens.0), Some(tokens.1))
    );
    assert_eq!(row["tokens_estimated"], false);
    assert!(row["duration_ms"].as_i64().unwrap() >= 0);
    let detail = log_detail(server, &row["id"]).await;
    let stored = detail.to_string();
    assert!(!stored.contains(&b64()), "image bytes were stored");
    if request_type == "image_analysis" {
        assert!(
            stored.contains(r#""image":{"bytes":67,"mime":"image/png""#),
            "{stored}"
        );
    }
    assert!(detail["response_data"].is_object());
    detail
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_text_and_image_requests() {
    let server = start(Duration::from_secs(10)).await;
    let fake = Fake::start().await;
    add_provider(
        &server,
        "openai",
        &format!("{}/v1", fake.url),
        "gpt-4o-mini",
        Some(KEY),
    )
    .await;
    let reply = |content: &str| {
        Reply::json(
            200,
            json!({
                "id": "chatcmpl-1", "object": "chat.completion", "created": 1,
                "model": "gpt-4o-mini-2024-07-18",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 123, "completion_tokens": 45, "total_tokens": 168}
            }),
        )
    };
    fake.reply(reply(&answer_json()));
    let answer = server.ai.complete(None, &text(), None).await.unwrap();
    assert_eq!(answer.json, json!({"brand": "Oatly"}));
    let seen = fake.last();
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("POST", "/v1/chat/completions")
    );
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(seen.body["model"], "gpt-4o-mini");
    assert_eq!(
        seen.body["messages"][0],
        json!({"role": "system", "content": "You describe shop products."})
    );
    assert_eq!(seen.body["messages"][1]["content"], text().prompt);
    assert_eq!(seen.body["response_format"]["type"], "json_schema");
    assert_eq!(
        seen.body["response_format"]["json_schema"]["schema"],
        text().schema.unwrap()
    );
    let row = check_success_log(&server, "openai", "completion", (123, 45)).await;
    // 123 × $0.15 + 45 × $0.60 per million tokens.
    assert_eq!(row["cost_usd"], 0.000045);
    assert_eq!(row["model"], "gpt-4o-mini-2024-07-18");

    fake.reply(reply(&format!("```json\n{}\n```", answer_json())));
    server.ai.complete(None, &photo(), None).await.unwrap();
    let content = &fake.last().body["messages"][1]["content"];
    assert_eq!(content[0], json!({"type": "text", "text": text().prompt}));
    assert_eq!(content[1]["type"], "image_url");
    assert_eq!(
        content[1]["image_url"]["url"],
        format!("data:image/png;base64,{}", b64())
    );
    check_success_log(&server, "openai", "image_analysis", (123, 45)).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_text_and_image_requests() {
    let server = start(Duration::from_secs(10)).await;
    let fake = Fake::start().await;
    add_provider(
        &server,
        "anthropic",
        &fake.url,
        "claude-3-5-haiku-latest",
        Some(KEY),
    )
    .await;
    let reply = || {
        // The answer continues the prefilled "{".
        Reply::json(
            200,
            json!({
                "id": "msg_1", "type": "message", "role": "assistant",
                "model": "claude-3-5-haiku-20241022",
                "content": [{"type": "text", "text": "\"brand\": \"Oatly\"}"}],
                "stop_reason": "end_turn", "stop_sequence": null,
                "usage": {"input_tokens": 210, "output_tokens": 33}
            }),
        )
    };
    fake.reply(reply());
    let answer = server.ai.complete(None, &text(), None).await.unwrap();
    assert_eq!(answer.json, json!({"brand": "Oatly"}));
    let seen = fake.last();
    assert_eq!(seen.path, "/v1/messages");
    assert_eq!(seen.header("x-api-key"), Some(KEY));
    assert_eq!(seen.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(seen.header("authorization"), None);
    assert_eq!(seen.body["model"], "claude-3-5-haiku-latest");
    assert!(seen.body["max_tokens"].as_u64().unwrap() > 0);
    assert_eq!(seen.body["system"], "You describe shop products.");
    assert_eq!(
        seen.body["messages"][0]["content"],
        json!([{"type": "text", "text": text().prompt}])
    );
    assert_eq!(
        seen.body["messages"][1],
        json!({"role": "assistant", "content": "{"})
    );
    let row = check_success_log(&server, "anthropic", "completion", (210, 33)).await;
    assert_eq!(row["cost_usd"], 0.000300);

    fake.reply(reply());
    server.ai.complete(None, &photo(), None).await.unwrap();
    let content = &fake.last().body["messages"][0]["content"];
    assert_eq!(
        content[0],
        json!({"type": "image", "source": {
        "type": "base64", "media_type": "image/png", "data": b64()}})
    );
    assert_eq!(content[1]["type"], "text");
    check_success_log(&server, "anthropic", "image_analysis", (210, 33)).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gemini_text_and_image_requests() {
    let server = start(Duration::from_secs(10)).await;
    let fake = Fake::start().await;
    add_provider(&server, "gemini", &fake.url, "gemini-2.0-flash", Some(KEY)).await;
    let reply = || {
        Reply::json(
            200,
            json!({
                "candidates": [{"content": {"parts": [{"text": answer_json()}], "role": "model"},
                                "finishReason": "STOP", "index": 0}],
                "usageMetadata": {"promptTokenCount": 99, "candidatesTokenCount": 12, "totalTokenCount": 111},
                "modelVersion": "gemini-2.0-flash"
            }),
        )
    };
    fake.reply(reply());
    server.ai.complete(None, &text(), None).await.unwrap();
    let seen = fake.last();
    assert_eq!(seen.path, "/v1beta/models/gemini-2.0-flash:generateContent");
    assert_eq!(seen.header("x-goog-api-key"), Some(KEY));
    assert!(
        !seen.query.contains("key="),
        "the key must not go in the URL"
    );
    assert_eq!(
        seen.body["systemInstruction"],
        json!({"parts": [{"text": "You describe shop products."}]})
    );
    assert_eq!(seen.body["contents"][0]["role"], "user");
    assert_eq!(
        seen.body["contents"][0]["parts"],
        json!([{"text": text().prompt}])
    );
    assert_eq!(
        seen.body["generationConfig"]["responseMimeType"],
        "application/json"
    );
    let row = check_success_log(&server, "gemini", "completion", (99, 12)).await;
    assert_eq!(row["cost_usd"], 0.000015);

    fake.reply(reply());
    server.ai.complete(None, &photo(), None).await.unwrap();
    let parts = &fake.last().body["contents"][0]["parts"];
    assert_eq!(
        parts[1],
        json!({"inline_data": {"mime_type": "image/png", "data": b64()}})
    );
    check_success_log(&server, "gemini", "image_analysis", (99, 12)).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ollama_text_and_image_requests() {
    let server = start(Duration::from_secs(10)).await;
    let fake = Fake::start().await;
    add_provider(&server, "ollama", &fake.url, "llava:7b", None).await;
    let reply = || {
        Reply::json(
            200,
            json!({
                "model": "llava:7b", "created_at": "2026-12-01T10:00:00Z",
                "message": {"role": "assistant", "content": answer_json()},
                "done": true, "done_reason": "stop", "total_duration": 1_234_000,
                "prompt_eval_count": 77, "eval_count": 9
            }),
        )
    };
    fake.reply(reply());
    server.ai.complete(None, &text(), None).await.unwrap();
    let seen = fake.last();
    assert_eq!(seen.path, "/api/chat");
    assert_eq!(
        seen.header("authorization"),
        None,
        "no key for a local server"
    );
    assert_eq!(seen.body["stream"], false);
    assert_eq!(seen.body["format"], text().schema.unwrap());
    assert_eq!(
        seen.body["messages"][1],
        json!({"role": "user", "content": text().prompt})
    );
    let row = check_success_log(&server, "ollama", "completion", (77, 9)).await;
    assert_eq!(
        row["cost_usd"],
        Value::Null,
        "a local model's price is unknown until set"
    );

    fake.reply(reply());
    server.ai.complete(None, &photo(), None).await.unwrap();
    assert_eq!(fake.last().body["messages"][1]["images"], json!([b64()]));
    check_success_log(&server, "ollama", "image_analysis", (77, 9)).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_classified_in_plain_words() {
    let server = start(Duration::from_millis(400)).await;
    let fake = Fake::start().await;
    add_provider(
        &server,
        "openai",
        &format!("{}/v1", fake.url),
        "gpt-4o-mini",
        Some(KEY),
    )
    .await;
    let openai_error = |status: u16, message: &str, kind: &str| {
        Reply::json(
            status,
            json!({"error": {"message": message, "type": kind, "param": null, "code": null}}),
        )
    };

    fake.reply(openai_error(
        401,
        &format!("Incorrect API key provided: {KEY}."),
        "invalid_request_error",
    ));
    let e = server.ai.complete(None, &text(), None).await.unwrap_err();
    assert!(matches!(e, Error::Auth { .. }), "{e:?}");
    assert!(!e.transient());
    assert!(e.to_string().contains("Check the key in Settings"), "{e}");
    assert!(!e.to_string().contains(KEY), "{e}");
    let row = &logs(&server, "").await[0];
    assert_eq!(
        (row["status"].as_str(), row["http_status"].as_i64()),
        (Some("failed"), Some(401))
    );

    fake.reply(
        openai_error(429, "Rate limit reached for gpt-4o-mini", "requests")
            .header("retry-after", "7"),
    );
    let e = server.ai.complete(None, &text(), None).await.unwrap_err();
    assert!(matches!(e, Error::RateLimited { .. }), "{e:?}");
    assert!(e.transient());
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(logs(&server, "").await[0]["http_status"], 429);

    fake.reply(openai_error(429, "slow down", "requests").header("retry-after-ms", "1500"));
    let e = server.ai.complete(None, &text(), None).await.unwrap_err();
    assert_eq!(e.retry_after(), Some(Duration::from_millis(1500)));

    // A huge wait is cut to an hour; one that is not a number is ignored.
    for (wait, expected) in [("1e20", Some(Duration::from_secs(3600))), ("inf", None)] {
        fake.reply(openai_error(429, "slow down", "requests").header("retry-after", wait));
        let e = server.ai.complete(None, &text(), None).await.unwrap_err();
        assert_eq!(e.retry_after(), expected, "{wait}");
    }

    fake.reply(openai_error(
        500,
        "The server had an error while processing your request.",
        "server_error",
    ));
    let e = server.ai.complete(None, &text(), None).await.unwrap_err();
    assert!(matches!(e, Error::Server { status: 500, .. }), "{e:?}");
    assert!(e.transient());

    fake.reply(Reply::text(200, "this is not json {"));
    let e = server.ai.complete(None, &text(), None).await.unwrap_err();
    assert!(matches!(e, Error::BadResponse { .. }), "{e:?}");
    assert!(!e.transient());
    assert_eq!(logs(&server, "").await[0]["status"], "failed");

    fake.reply(Reply::json(200, json!({"choices": [{"message": {"role": "assistant",
        "content": "I think the answer is clear."}}], "usage": {"prompt_tokens": 5, "completion_tokens": 6}})));
    let e = server.ai.complete(None, &text(), None).await.unwrap_err();
    assert!(e.to_string().contains("not JSON"), "{e}");

    fake.reply(Reply::json(
        200,
        json!({"choices": [{"message": {"role": "assistant",
        "content": "Here you go:\n```json\n{\"brand\": \"Oatly\"}\n```"}}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 6}}),
    ));
    let answer = server.ai.complete(None, &text(), None).await.unwrap();
    assert_eq!(answer.json, json!({"brand": "Oatly"}));

    fake.reply(Reply::json(200, json!({"choices": []})).after(Duration::from_secs(3)));
    let e = server.ai.complete(None, &text(), None).await.unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    assert!(e.transient());
    assert!(e.to_string().contains("did not answer"), "{e}");
    assert_eq!(logs(&server, "").await[0]["status"], "timeout");

    // Anthropic's 529 "overloaded" and Gemini's own error shapes.
    let claude = Fake::start().await;
    let claude_id = add_provider(
        &server,
        "anthropic",
        &claude.url,
        "claude-3-5-haiku-latest",
        Some(KEY),
    )
    .await;
    server
        .send(
            Method::PATCH,
            &format!("/api/ai-providers/{claude_id}"),
            Some(json!({"is_primary": true})),
        )
        .await;
    claude.reply(Reply::json(
        529,
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
    ));
    let e = server.ai.complete(None, &text(), None).await.unwrap_err();
    assert!(matches!(e, Error::Server { status: 529, .. }), "{e:?}");
    assert!(e.transient());
    assert_eq!(
        logs(&server, "provider=anthropic").await[0]["http_status"],
        529
    );

    let gemini = Fake::start().await;
    let gemini_id = add_provider(
        &server,
        "gemini",
        &gemini.url,
        "gemini-2.0-flash",
        Some(KEY),
    )
    .await;
    server
        .send(
            Method::PATCH,
            &format!("/api/ai-providers/{gemini_id}"),
            Some(json!({"is_primary": true})),
        )
        .await;
    gemini.reply(Reply::json(400, json!({"error": {"code": 400,
        "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                     "domain": "googleapis.com"}]}})));
    let e = server.ai.complete(None, &text(), None).await.unwrap_err();
    assert!(matches!(e, Error::Auth { .. }), "{e:?}");
    gemini.reply(Reply::json(429, json!({"error": {"code": 429, "message": "Resource has been exhausted",
        "status": "RESOURCE_EXHAUSTED", "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
        "retryDelay": "37s"}]}})));
    let e = server.ai.complete(None, &text(), None).await.unwrap_err();
    assert_eq!(e.retry_after(), Some(Duration::from_secs(37)));

    // Nothing listening.
    let refused = add_provider(&server, "ollama", &refused_url().await, "llama3.2", None).await;
    server
        .send(
            Method::PATCH,
            &format!("/api/ai-providers/{refused}"),
            Some(json!({"is_primary": true})),
        )
        .await;
    let e = server.ai.complete(None, &text(), None).await.unwrap_err();
    assert!(matches!(e, Error::Connection { .. }), "{e:?}");
    assert!(e.transient());
    assert!(e.to_string().contains("Could not reach ollama"), "{e}");
    let row = &logs(&server, "provider=ollama").await[0];
    assert_eq!(
        (row["status"].as_str(), row["http_status"].as_i64()),
        (Some("failed"), None)
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compatible_servers_step_down_json_modes_and_say_when_images_are_unsupported() {
    let server = start(Duration::from_secs(10)).await;
    let fake = Fake::start().await;
    add_provider(
        &server,
        "openai",
        &format!("{}/v1", fake.url),
        "local-model",
        None,
    )
    .await;
    fake.reply(Reply::json(400, json!({"error": {"message": "response_format type json_schema is not supported", "type": "invalid_request_error"}})));
    fake.reply(Reply::json(400, json!({"error": {"message": "'response_format' json_object is unsupported by this server"}})));
    fake.reply(Reply::json(
        200,
        json!({"choices": [{"message": {"role": "assistant", "content": answer_json()}}]}),
    ));
    let answer = server.ai.complete(None, &text(), None).await.unwrap();
    assert_eq!(answer.json, json!({"brand": "Oatly"}));
    let modes: Vec<Value> = fake
        .seen()
        .iter()
        .map(|s| s.body["response_format"]["type"].clone())
        .collect();
    assert_eq!(
        modes,
        [json!("json_schema"), json!("json_object"), Value::Null]
    );
    assert!(
        fake.seen()[2].body["messages"][1]["content"]
            .as_str()
            .unwrap()
            .contains(JSON_ONLY)
    );
    // No usage in the answer: the row says its numbers are estimates.
    let row = &logs(&server, "").await[0];
    assert_eq!(row["tokens_estimated"], true);
    assert_eq!(row["cost_usd"], Value::Null);
    assert_eq!(
        fake.seen()
            .iter()
            .filter(|s| s.header("authorization").is_some())
            .count(),
        0
    );

    fake.reply(Reply::json(400, json!({"error": {"message": "Invalid content type. image_url is only supported by certain models.", "type": "invalid_request_error"}})));
    let e = server.ai.complete(None, &photo(), None).await.unwrap_err();
    assert!(matches!(e, Error::NoVision { .. }), "{e:?}");
    assert!(
        e.to_string().starts_with("This model cannot read images"),
        "{e}"
    );
    assert!(!e.transient());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_answers_are_stored_cut_to_50_kb_of_valid_json() {
    let server = start(Duration::from_secs(10)).await;
    let fake = Fake::start().await;
    add_provider(
        &server,
        "openai",
        &format!("{}/v1", fake.url),
        "gpt-4o-mini",
        Some(KEY),
    )
    .await;
    let long = "é€😀 oat ".repeat(100_000);
    let content = json!({"brand": "Oatly", "description": long}).to_string();
    assert!(content.len() > 1_000_000);
    fake.reply(Reply::json(200, json!({"model": "gpt-4o-mini", "choices": [{"message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 250000}})));
    server.ai.complete(None, &photo(), None).await.unwrap();
    let id: i64 = logs(&server, "").await[0]["id"].as_i64().unwrap();
    let conn = rusqlite::Connection::open(server.database()).unwrap();
    let (request, response): (String, String) = conn
        .query_row(
            "SELECT request_data, response_data FROM ai_request_logs WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    for stored in [&request, &response] {
        assert!(stored.len() <= 50_000, "{} bytes", stored.len());
        let parsed: Value = serde_json::from_str(stored).unwrap();
        assert!(parsed.is_object());
    }
    assert!(response.contains("[truncated: "), "no truncation marker");
    assert!(!request.contains(&b64()));
    assert!(request.contains(r#""sha256":""#));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_job_mid_call_logs_cancelled_and_closes_the_connection() {
    let server = start(Duration::from_secs(30)).await;
    let slow = SlowServer::start().await;
    let base = slow.url.trim_end_matches("/slow").to_string();
    add_provider(&server, "openai", &base, "gpt-4o-mini", Some(KEY)).await;
    let (_, created) = server
        .send(Method::POST, "/api/ai-jobs", Some(json!({"type": "ask"})))
        .await;
    let job = created["job"]["id"].as_i64().unwrap();
    assert!(slow.wait_requests(1, Duration::from_secs(10)).await);
    let (status, _) = server
        .send(Method::POST, &format!("/api/ai-jobs/{job}/cancel"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        slow.wait_closed(1, Duration::from_secs(5)).await,
        "the provider connection stayed open"
    );
    eventually(Duration::from_secs(5), "a cancelled log row", || async {
        logs(&server, &format!("ai_job_id={job}"))
            .await
            .first()
            .is_some_and(|r| r["status"] == "cancelled")
    })
    .await;
    let row = &logs(&server, &format!("ai_job_id={job}")).await[0];
    assert_eq!(row["provider"], "openai");
    assert_eq!(row["request_type"], "completion");
    let (_, detail) = server.get(&format!("/api/ai-jobs/{job}")).await;
    assert_eq!(detail["job"]["logs_count"], 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn price_search_through_serpapi() {
    let server = start(Duration::from_secs(10)).await;
    let fake = Fake::start().await;
    let serp_key = "serp-SECRET-9876543210fedcba";
    let (status, body) = server
        .send(
            Method::PUT,
            "/api/settings",
            Some(json!({"serpapi_api_key": serp_key, "serpapi_base_url": fake.url})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["serpapi"]["has_api_key"], true);
    assert_eq!(body["serpapi"]["api_key_masked"], "••••dcba");
    assert!(!body.to_string().contains(serp_key));

    fake.reply(Reply::json(200, json!({
        "search_metadata": {"id": "1", "status": "Success"},
        "search_parameters": {"engine": "google_shopping", "q": "oat milk"},
        "shopping_results": [
            {"position": 1, "title": "Oatly Oat Drink 1L", "price": "$3.49", "extracted_price": 3.49,
             "source": "Walmart", "link": "https://walmart.example/oat", "thumbnail": "https://img.example/1.jpg",
             "rating": 4.7, "reviews": 1203},
            {"position": 2, "title": "Oat milk 64oz", "price": "$5.99", "extracted_price": 5.99, "source": "Target"}
        ]})));
    let query = ShoppingQuery {
        query: "oat milk".into(),
        location: Some("Austin, Texas".into()),
    };
    let results = server.ai.search(None, &query, None).await.unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(
        (results[0].price, results[0].retailer.as_deref()),
        (Some(3.49), Some("Walmart"))
    );
    let seen = fake.last();
    assert_eq!(seen.path, "/search.json");
    for part in [
        "engine=google_shopping",
        "q=oat+milk",
        &format!("api_key={serp_key}"),
        "location=Austin%2C+Texas",
    ] {
        assert!(
            seen.query.contains(part),
            "{part} missing from {}",
            seen.query
        );
    }
    let row = &logs(&server, "request_type=serp_search").await[0];
    assert_eq!(
        (row["provider"].as_str(), row["status"].as_str()),
        (Some("serpapi"), Some("success"))
    );
    let detail = log_detail(&server, &row["id"]).await;
    assert_eq!(detail["serp_data"][0]["title"], "Oatly Oat Drink 1L");
    assert_eq!(detail["request_data"]["q"], "oat milk");
    assert!(!detail.to_string().contains(serp_key));

    fake.reply(Reply::json(
        200,
        json!({"search_metadata": {"status": "Success"},
        "error": "Google hasn't returned any results for this query."}),
    ));
    assert_eq!(server.ai.search(None, &query, None).await.unwrap(), vec![]);

    fake.reply(Reply::json(401, json!({"error": "Invalid API key. Your API key should be here: https://serpapi.com/manage-api-key"})));
    let e = server.ai.search(None, &query, None).await.unwrap_err();
    assert!(matches!(e, Error::Auth { .. }), "{e:?}");
    assert_eq!(
        logs(&server, "request_type=serp_search&status=failed")
            .await
            .len(),
        1
    );

    // With no key there is no search.
    server
        .send(
            Method::PUT,
            "/api/settings",
            Some(json!({"serpapi_api_key": null})),
        )
        .await;
    let e = server.ai.search(None, &query, None).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "Price search is not set up: add a SerpApi key in Settings"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_key_is_nowhere_in_storage_logs_or_answers() {
    let captured = common::capture_tracing();
    let server = start(Duration::from_secs(10)).await;
    let fake = Fake::start().await;
    let id = add_provider(
        &server,
        "openai",
        &format!("{}/v1", fake.url),
        "gpt-4o-mini",
        Some(KEY),
    )
    .await;
    let serp_key = "serp-SECRET-0000111122223333";
    server
        .send(
            Method::PUT,
            "/api/settings",
            Some(json!({"serpapi_api_key": serp_key, "serpapi_base_url": fake.url})),
        )
        .await;

    // A successful test, then errors that echo the keys back.
    fake.reply(Reply::json(200, json!({"model": "gpt-4o-mini", "choices": [{"message": {"role": "assistant", "content": "{\"ok\": true}"}}],
        "usage": {"prompt_tokens": 20, "completion_tokens": 4}})));
    let (status, tested) = server
        .send(Method::POST, &format!("/api/ai-providers/{id}/test"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tested["ok"], true, "{tested}");
    fake.reply(Reply::json(401, json!({"error": {"message": format!("Incorrect API key provided: {KEY}. Authorization: Bearer {KEY}")}})));
    let (_, tested) = server
        .send(Method::POST, &format!("/api/ai-providers/{id}/test"), None)
        .await;
    assert_eq!(tested["ok"], false);
    fake.reply(Reply::json(
        500,
        json!({"error": format!("failed GET /search.json?q=x&api_key={serp_key}")}),
    ));
    let _ = server
        .ai
        .search(
            None,
            &ShoppingQuery {
                query: "x".into(),
                location: None,
            },
            None,
        )
        .await;
    let (_, rows) = server.get("/api/ai-logs").await;
    assert_eq!(rows["pagination"]["total"], 3);
    assert_eq!(rows["logs"][2]["request_type"], "test_connection");

    let mut answers = Vec::new();
    for path in [
        "/api/ai-providers",
        "/api/settings",
        "/api/ai-logs",
        "/api/ai-logs/stats",
    ] {
        answers.push(server.get(path).await.1.to_string());
    }
    for row in rows["logs"].as_array().unwrap() {
        answers.push(log_detail(&server, &row["id"]).await.to_string());
    }
    let (_, providers) = server.get("/api/ai-providers").await;
    assert_eq!(providers["providers"][0]["api_key_masked"], "••••cdef");
    let dir = server.data_dir.clone();
    let kept = server.stop().await;
    let mut files = Vec::new();
    for name in ["cartwise.db", "cartwise.db-wal", "cartwise.db-shm"] {
        if let Ok(bytes) = std::fs::read(dir.join(name)) {
            files.push((name, bytes));
        }
    }
    assert!(!files.is_empty());
    for secret in [KEY, serp_key] {
        for (name, bytes) in &files {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} in {name}"
            );
        }
        for answer in &answers {
            assert!(
                !answer.contains(secret),
                "{secret} in an API answer: {answer}"
            );
        }
        let logged = captured.lock().unwrap().clone();
        assert!(!logged.contains(secret), "{secret} in the tracing output");
    }
    assert!(
        captured.lock().unwrap().contains("ready at"),
        "the tracing capture saw nothing"
    );
    drop(kept);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_settings_api() {
    let server = start_with(Duration::from_secs(10), |config| {
        config.demo = true;
        config.ai_provider = Some(cartwise::config::EnvProvider {
            kind: "anthropic".into(),
            base_url: None,
            model: "claude-3-5-haiku-latest".into(),
            api_key: Some(cartwise::config::Secret::new("sk-ant-env-0123456789abcdef")),
        });
    })
    .await;
    let (_, list) = server.get("/api/ai-providers").await;
    let sources: Vec<&str> = list["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["environment", "demo"]);
    assert_eq!(list["providers"][0]["in_use"], true);
    assert_eq!(
        list["providers"][0]["base_url"],
        "https://api.anthropic.com"
    );
    assert_eq!(list["providers"][0]["api_key_masked"], "••••cdef");

    // Bad input.
    for (body, field) in [
        (json!({"kind": "skynet", "model": "x"}), "kind"),
        (json!({"kind": "openai"}), "model"),
        (
            json!({"kind": "openai", "model": "m", "base_url": "ftp://x"}),
            "base_url",
        ),
        (
            json!({"kind": "openai", "model": "m", "api_key": 5}),
            "api_key",
        ),
    ] {
        let (status, answer) = server
            .send(Method::POST, "/api/ai-providers", Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(answer["error"]["fields"][0]["field"], field);
    }

    let (status, created) = server
        .send(
            Method::POST,
            "/api/ai-providers",
            Some(json!({"kind": "openai", "model": "gpt-4o-mini", "api_key": KEY})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let first = &created["provider"];
    assert_eq!(first["name"], "OpenAI");
    assert_eq!(first["base_url"], "https://api.openai.com/v1");
    assert_eq!(
        first["is_primary"], true,
        "the first saved provider becomes primary"
    );
    assert_eq!(first["in_use"], true);
    assert_eq!(first["api_key_masked"], "••••cdef");
    assert!(!created.to_string().contains(KEY));
    let first_id = first["id"].as_i64().unwrap();
    let second = add_provider(
        &server,
        "ollama",
        "http://127.0.0.1:11434",
        "llama3.2",
        None,
    )
    .await;
    let (_, list) = server.get("/api/ai-providers").await;
    assert_eq!(list["providers"][0]["id"], first_id);
    assert_eq!(
        list["providers"][2]["in_use"], false,
        "the environment's provider is not used now"
    );

    let (status, changed) = server
        .send(
            Method::PATCH,
            &format!("/api/ai-providers/{second}"),
            Some(json!({"is_primary": true, "name": "Home server"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["provider"]["is_primary"], true);
    assert_eq!(changed["provider"]["name"], "Home server");
    let (_, list) = server.get("/api/ai-providers").await;
    let primaries = list["providers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["is_primary"] == true)
        .count();
    assert_eq!(primaries, 1);
    // A new kind without a new address gets the new kind's own address.
    let (_, moved) = server
        .send(
            Method::PATCH,
            &format!("/api/ai-providers/{first_id}"),
            Some(json!({"kind": "gemini"})),
        )
        .await;
    assert_eq!(
        moved["provider"]["base_url"],
        "https://generativelanguage.googleapis.com"
    );
    let (status, _) = server
        .send(
            Method::PATCH,
            &format!("/api/ai-providers/{first_id}"),
            Some(json!({"name": ""})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a name cannot be cleared"
    );
    let (_, cleared) = server
        .send(
            Method::PATCH,
            &format!("/api/ai-providers/{first_id}"),
            Some(json!({"api_key": null})),
        )
        .await;
    assert_eq!(cleared["provider"]["has_api_key"], false);
    assert_eq!(cleared["provider"]["api_key_masked"], Value::Null);

    // The demo answers its test, and the test is logged.
    let (_, tested) = server
        .send(Method::POST, "/api/ai-providers/demo/test", None)
        .await;
    assert_eq!(tested["ok"], true, "{tested}");
    let row = &logs(&server, "provider=demo").await[0];
    assert_eq!(row["request_type"], "test_connection");
    assert_eq!(row["model"], "cartwise-demo");
    assert_eq!(row["cost_usd"], 0.0);

    for (method, path) in [
        (Method::PATCH, "/api/ai-providers/999"),
        (Method::DELETE, "/api/ai-providers/999"),
        (Method::POST, "/api/ai-providers/999/test"),
    ] {
        let body = (method == Method::PATCH).then(|| json!({"name": "x"}));
        let (status, _) = server.send(method.clone(), path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
    }
    let (status, _) = server
        .send(Method::DELETE, &format!("/api/ai-providers/{second}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = server.get("/api/ai-providers").await;
    assert_eq!(list["providers"].as_array().unwrap().len(), 3);
    assert_eq!(
        list["providers"][0]["in_use"], true,
        "the remaining saved provider is used"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_api_filters_pages_and_stats() {
    let server = start(Duration::from_secs(10)).await;
    // Twenty rows with known figures: durations 10..200 ms, every fourth one failed.
    for n in 1..=20i64 {
        let row = cartwise::db::logs::NewLog {
            ai_job_id: None,
            provider: if n % 2 == 0 {
                "openai".into()
            } else {
                "gemini".into()
            },
            model: Some(if n % 2 == 0 {
                "gpt-4o-mini".into()
            } else {
                "gemini-2.0-flash".into()
            }),
            request_type: if n <= 15 { "completion" } else { "serp_search" },
            status: if n % 4 == 0 { "failed" } else { "success" },
            tokens_input: Some(100),
            tokens_output: Some(10),
            cost_usd: Some(0.001),
            duration_ms: n * 10,
            ..Default::default()
        };
        server
            .db
            .write(move |tx| cartwise::db::logs::insert(tx, &row))
            .await
            .unwrap();
    }
    server
        .db
        .write(|tx| {
            let sql =
                "UPDATE ai_request_logs SET created_at = '2026-01-15T12:00:00.000Z' WHERE id <= 5";
            Ok::<_, cartwise::db::Error>(tx.execute(sql, [])?)
        })
        .await
        .unwrap();

    let count = |query: &'static str| {
        let server = &server;
        async move {
            server.get(&format!("/api/ai-logs?{query}")).await.1["pagination"]["total"].clone()
        }
    };
    assert_eq!(count("").await, 20);
    assert_eq!(count("provider=openai").await, 10);
    assert_eq!(count("status=failed").await, 5);
    assert_eq!(count("request_type=serp_search").await, 5);
    assert_eq!(count("to=2026-01-15").await, 5);
    assert_eq!(count("from=2026-01-16").await, 15);
    assert_eq!(
        count("from=2026-01-15T12:00:00.000Z&to=2026-01-15T12:00:00.000Z").await,
        5
    );
    assert_eq!(
        count("from=2026-01-15T11:00:00Z&to=2026-01-15T14:00:00%2B02:00").await,
        5
    );
    assert_eq!(count("provider=gemini&status=failed").await, 0);

    let (_, page) = server.get("/api/ai-logs?per_page=7&page=3").await;
    assert_eq!(
        page["pagination"],
        json!({"current_page": 3, "last_page": 3, "per_page": 7, "total": 20})
    );
    assert_eq!(page["logs"].as_array().unwrap().len(), 6);
    let (_, beyond) = server.get("/api/ai-logs?page=99").await;
    assert_eq!(beyond["logs"], json!([]));
    for bad in [
        "per_page=0",
        "per_page=101",
        "page=0",
        "status=weird",
        "request_type=x",
        "ai_job_id=-1",
        "from=yesterday",
    ] {
        let (status, body) = server.get(&format!("/api/ai-logs?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }

    let (_, stats) = server.get("/api/ai-logs/stats?days=3650").await;
    assert_eq!(stats["total"], 20);
    assert_eq!(stats["successful"], 15);
    assert_eq!(stats["failed"], 5);
    assert_eq!(stats["success_rate"], 75.0);
    assert_eq!(stats["tokens_input"], 2000);
    assert_eq!(stats["tokens_output"], 200);
    assert_eq!(stats["cost_usd"], 0.02);
    assert_eq!(stats["avg_duration_ms"], 105);
    // Nearest rank: the 19th of 20 sorted durations.
    assert_eq!(stats["p95_duration_ms"], 190);
    let openai = stats["by_provider"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == "openai")
        .unwrap();
    assert_eq!(
        (openai["total"].as_i64(), openai["successful"].as_i64()),
        (Some(10), Some(5))
    );
    assert_eq!(stats["by_type"].as_array().unwrap().len(), 2);
    let (_, recent) = server.get("/api/ai-logs/stats?days=30").await;
    assert!(recent["total"].as_i64().unwrap() <= 15);

    // "all" is never taken for an id.
    let (_, first) = server.get("/api/ai-logs?per_page=1").await;
    let id = first["logs"][0]["id"].as_i64().unwrap();
    let (status, _) = server
        .send(Method::DELETE, &format!("/api/ai-logs/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server
        .send(Method::DELETE, &format!("/api/ai-logs/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, deleted) = server.send(Method::DELETE, "/api/ai-logs/all", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["deleted"], 19);
    assert_eq!(count("").await, 0);
    server.stop().await;
}
