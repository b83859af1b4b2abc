//! Anthropic Messages API (`POST {base}/v1/messages`, `x-api-key`, `anthropic-version`).
//! Claude has no JSON switch; the answer is started with `{` (a prefilled assistant turn),
//! which is Anthropic's documented way to get JSON.

use serde_json::{Value, json};

use super::wire::{self, OneCall, Reply};
use super::{AiRequest, Answer, ProviderConfig};

pub const VERSION: &str = "2023-06-01";
const MAX_TOKENS: u32 = 2048;

pub struct Anthropic {
    config: ProviderConfig,
}

impl Anthropic {
    pub fn new(config: ProviderConfig) -> Self {
        Self { config }
    }
}

impl OneCall for Anthropic {
    const KIND: &'static str = "anthropic";

    fn config(&self) -> &ProviderConfig {
        &self.config
    }

    fn call(&self, http: &reqwest::Client, body: &Value) -> reqwest::RequestBuilder {
        let call = http
            .post(format!("{}/v1/messages", self.config.base_url))
            .header("anthropic-version", VERSION)
            .json(body);
        match &self.config.api_key {
            Some(key) => call.header("x-api-key", key.expose()),
            None => call,
        }
    }

    fn body(&self, request: &AiRequest) -> Value {
        let mut content = Vec::new();
        if let Some(image) = &request.image {
            content.push(json!({"type": "image", "source": {
                "type": "base64", "media_type": image.mime, "data": image.base64()
            }}));
        }
        content.push(json!({"type": "text", "text": request.prompt}));
        json!({
            "model": self.config.model,
            "max_tokens": MAX_TOKENS,
            "system": request.system,
            "messages": [
                {"role": "user", "content": content},
                {"role": "assistant", "content": "{"}
            ]
        })
    }

    fn read(&self, reply: &Reply) -> Result<Answer, super::Error> {
        let kind = Self::KIND;
        let Some(blocks) = reply.body["content"].as_array() else {
            return Err(wire::bad(kind, reply.status, "no content in the answer"));
        };
        let text: String = blocks
            .iter()
            .filter(|b| b["type"] == "text")
            .filter_map(|b| b["text"].as_str())
            .collect();
        // The answer continues the prefilled "{".
        let text = if text.trim_start().starts_with('{') {
            text
        } else {
            format!("{{{text}")
        };
        let usage = &reply.body["usage"];
        let usage = wire::usage(&usage["input_tokens"], &usage["output_tokens"]);
        wire::answer(
            kind,
            reply,
            text,
            usage,
            &reply.body["model"],
            &self.config.model,
        )
    }
}
