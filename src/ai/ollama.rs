//! Ollama's native chat API (`POST {base}/api/chat`, no key), with `format` as its JSON mode:
//! the answer's JSON schema when there is one, else `"json"`.

use serde_json::{Value, json};

use super::wire::{self, OneCall, Reply};
use super::{AiRequest, Answer, ProviderConfig};

pub struct Ollama {
    config: ProviderConfig,
}

impl Ollama {
    pub fn new(config: ProviderConfig) -> Self {
        Self { config }
    }
}

impl OneCall for Ollama {
    const KIND: &'static str = "ollama";

    fn config(&self) -> &ProviderConfig {
        &self.config
    }

    fn call(&self, http: &reqwest::Client, body: &Value) -> reqwest::RequestBuilder {
        let call = http
            .post(format!("{}/api/chat", self.config.base_url))
            .json(body);
        // Ollama needs no key, but one behind a proxy may.
        match &self.config.api_key {
            Some(key) => call.bearer_auth(key.expose()),
            None => call,
        }
    }

    fn body(&self, request: &AiRequest) -> Value {
        let mut user = json!({"role": "user", "content": request.prompt});
        if let Some(image) = &request.image {
            user["images"] = json!([image.base64()]);
        }
        json!({
            "model": self.config.model,
            "messages": [{"role": "system", "content": request.system}, user],
            "stream": false,
            "format": request.schema.clone().unwrap_or_else(|| json!("json")),
        })
    }

    fn read(&self, reply: &Reply) -> Result<Answer, super::Error> {
        let kind = Self::KIND;
        let Some(text) = reply.body["message"]["content"].as_str() else {
            return Err(wire::bad(kind, reply.status, "no message in the answer"));
        };
        let usage = wire::usage(&reply.body["prompt_eval_count"], &reply.body["eval_count"]);
        let text = text.to_string();
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
