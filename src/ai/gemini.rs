//! Google Gemini (`POST {base}/v1beta/models/{model}:generateContent`, `x-goog-api-key`), with
//! `responseMimeType: application/json` as its JSON mode.

use serde_json::{Value, json};

use super::wire::{self, Reply};
use super::{AiRequest, Answer, ExchangeFuture, Provider, ProviderConfig};

pub struct Gemini {
    config: ProviderConfig,
}

impl Gemini {
    pub fn new(config: ProviderConfig) -> Self {
        Self { config }
    }

    fn body(&self, request: &AiRequest) -> Value {
        let mut parts = vec![json!({"text": request.prompt})];
        if let Some(image) = &request.image {
            parts.push(json!({"inline_data": {"mime_type": image.mime, "data": image.base64()}}));
        }
        json!({
            "systemInstruction": {"parts": [{"text": request.system}]},
            "contents": [{"role": "user", "parts": parts}],
            "generationConfig": {"responseMimeType": "application/json"}
        })
    }

    fn read(&self, reply: &Reply) -> Result<Answer, super::Error> {
        let kind = self.kind();
        let Some(parts) = reply.body["candidates"][0]["content"]["parts"].as_array() else {
            let why = reply.body["promptFeedback"]["blockReason"]
                .as_str()
                .or_else(|| reply.body["candidates"][0]["finishReason"].as_str())
                .unwrap_or("no candidates");
            return Err(wire::bad(kind, reply.status, format!("no answer ({why})")));
        };
        let text: String = parts.iter().filter_map(|p| p["text"].as_str()).collect();
        let usage = &reply.body["usageMetadata"];
        let usage = wire::usage(&usage["promptTokenCount"], &usage["candidatesTokenCount"]);
        let model = &reply.body["modelVersion"];
        wire::answer(kind, reply, text, usage, model, &self.config.model)
    }
}

impl Provider for Gemini {
    fn kind(&self) -> &'static str {
        "gemini"
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
            let url = format!(
                "{}/v1beta/models/{}:generateContent",
                self.config.base_url, self.config.model
            );
            let mut call = http.post(url).json(&body);
            if let Some(key) = &self.config.api_key {
                call = call.header("x-goog-api-key", key.expose());
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
