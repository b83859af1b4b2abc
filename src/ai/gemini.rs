//! Google Gemini (`POST {base}/v1beta/models/{model}:generateContent`, `x-goog-api-key`), with
//! `responseMimeType: application/json` as its JSON mode.

use serde_json::{Value, json};

use super::wire::{self, OneCall, Reply};
use super::{AiRequest, Answer, ProviderConfig};

pub struct Gemini {
    config: ProviderConfig,
}

impl Gemini {
    pub fn new(config: ProviderConfig) -> Self {
        Self { config }
    }
}

impl OneCall for Gemini {
    const KIND: &'static str = "gemini";

    fn config(&self) -> &ProviderConfig {
        &self.config
    }

    fn call(&self, http: &reqwest::Client, body: &Value) -> reqwest::RequestBuilder {
        let url = format!(
            "{}/v1beta/models/{}:generateContent",
            self.config.base_url, self.config.model
        );
        let call = http.post(url).json(body);
        match &self.config.api_key {
            Some(key) => call.header("x-goog-api-key", key.expose()),
            None => call,
        }
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
        let kind = Self::KIND;
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
