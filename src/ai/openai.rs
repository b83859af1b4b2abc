//! OpenAI Chat Completions (`POST {base}/chat/completions`), also spoken by Ollama's `/v1`,
//! LM Studio, llama.cpp server, vLLM and OpenRouter. Such servers differ in what JSON modes they
//! accept, so a rejected mode steps down: JSON schema, then JSON object, then the instruction
//! in the prompt alone.

use serde_json::{Value, json};

use super::wire::{self, Reply};
use super::{AiRequest, Answer, ExchangeFuture, Provider, ProviderConfig};

pub struct OpenAi {
    config: ProviderConfig,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonMode {
    Schema,
    Object,
    Prompt,
}

impl OpenAi {
    pub fn new(config: ProviderConfig) -> Self {
        Self { config }
    }

    fn body(&self, request: &AiRequest, mode: JsonMode) -> Value {
        let user = match &request.image {
            None => json!(request.prompt),
            Some(image) => json!([
                {"type": "text", "text": request.prompt},
                {"type": "image_url", "image_url": {
                    "url": format!("data:{};base64,{}", image.mime, image.base64())
                }}
            ]),
        };
        let mut body = json!({
            "model": self.config.model,
            "messages": [
                {"role": "system", "content": request.system},
                {"role": "user", "content": user}
            ],
        });
        match (mode, &request.schema) {
            (JsonMode::Schema, Some(schema)) => {
                body["response_format"] = json!({"type": "json_schema", "json_schema": {
                    "name": "answer", "schema": schema, "strict": false
                }});
            }
            (JsonMode::Schema | JsonMode::Object, _) => {
                body["response_format"] = json!({"type": "json_object"});
            }
            (JsonMode::Prompt, _) => {}
        }
        body
    }

    fn read(&self, reply: &Reply) -> Result<Answer, super::Error> {
        let kind = self.kind();
        let message = &reply.body["choices"][0]["message"];
        let text = match &message["content"] {
            Value::String(s) => s.clone(),
            Value::Array(parts) => parts
                .iter()
                .filter_map(|p| p["text"].as_str())
                .collect::<Vec<_>>()
                .join(""),
            _ => {
                let refusal = message["refusal"].as_str().unwrap_or("no message content");
                return Err(wire::bad(kind, reply.status, refusal.to_string()));
            }
        };
        let usage = &reply.body["usage"];
        let usage = wire::usage(&usage["prompt_tokens"], &usage["completion_tokens"]);
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

/// Whether an error answer is about the requested JSON mode.
fn rejects_json_mode(reply: &Reply) -> bool {
    if !matches!(reply.status, 400 | 415 | 422 | 500 | 501) {
        return false;
    }
    let text = wire::error_text(&reply.body).to_ascii_lowercase();
    [
        "response_format",
        "json_schema",
        "json_object",
        "json mode",
        "response format",
    ]
    .iter()
    .any(|w| text.contains(w))
}

impl Provider for OpenAi {
    fn kind(&self) -> &'static str {
        "openai"
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
            let url = format!("{}/chat/completions", self.config.base_url);
            let secrets = self.secrets();
            let mut mode = if request.schema.is_some() {
                JsonMode::Schema
            } else {
                JsonMode::Object
            };
            loop {
                let body = self.body(request, mode);
                let mut call = http.post(&url).json(&body);
                if let Some(key) = &self.config.api_key {
                    call = call.bearer_auth(key.expose());
                }
                let reply = match wire::send(call, self.kind(), self.config.timeout, &secrets).await
                {
                    Ok(reply) => reply,
                    Err(e) => return wire::finish(body, None, Err(e)),
                };
                if !reply.ok() && rejects_json_mode(&reply) && mode != JsonMode::Prompt {
                    tracing::info!(?mode, "the server rejected this JSON mode; trying the next");
                    mode = if mode == JsonMode::Schema {
                        JsonMode::Object
                    } else {
                        JsonMode::Prompt
                    };
                    continue;
                }
                let result = if reply.ok() {
                    self.read(&reply)
                } else {
                    Err(wire::classify(
                        self.kind(),
                        &reply,
                        request.image.is_some(),
                        &secrets,
                    ))
                };
                return wire::finish(body, Some(reply), result);
            }
        })
    }
}
