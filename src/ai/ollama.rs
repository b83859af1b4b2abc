//! Ollama's native chat API (`POST {base}/api/chat`, no key), with `format` as its JSON mode:
//! the answer's JSON schema when there is one, else `"json"`.

use serde_json::{Value, json};

use super::wire::{self, Reply};
use super::{AiRequest, Answer, ExchangeFuture, Provider, ProviderConfig};

pub struct Ollama {
    config: ProviderConfig,
}

impl Ollama {
    pub fn new(config: ProviderConfig) -> Self {
        Self { config }
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
        let kind = self.kind();
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

impl Provider for Ollama {
    fn kind(&self) -> &'static str {
        "ollama"
    }

    fn model(&self) -> &str {
        &self.config.model
    }

    fn secrets(&self) -> Vec<String> {
        self.config.secrets()
    }

    fn complete<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: &'a AiRequest,
    ) -> ExchangeFuture<'a> {
        Box::pin(async move {
            let body = self.body(request);
            let secrets = self.secrets();
            let mut call = http
                .post(format!("{}/api/chat", self.config.base_url))
                .json(&body);
            // Ollama needs no key, but one behind a proxy may.
            if let Some(key) = &self.config.api_key {
                call = call.bearer_auth(key.expose());
            }
            let had_image = request.image.is_some();
            let timeout = self.config.timeout;
            wire::exchange(
                self.kind(),
                call,
                body,
                timeout,
                &secrets,
                had_image,
                |reply| self.read(reply),
            )
            .await
        })
    }
}
