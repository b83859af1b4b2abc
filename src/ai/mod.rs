//! Outside services: the AI providers (one module per wire format), price search (SerpApi),
//! and the request log that every call to them passes through. Nothing here knows about HTTP
//! handlers or jobs; jobs call `Ai` (in `service`), which picks the provider and logs the call.

pub mod anthropic;
pub mod demo;
pub mod error;
pub mod gemini;
pub mod log;
pub mod ollama;
pub mod openai;
pub mod payload;
pub mod pricing;
pub mod serpapi;
pub mod service;
mod wire;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub use error::Error;
pub use service::{Ai, AiSettings, ProviderInfo};

use crate::config::Secret;

/// A photo sent to a provider.
#[derive(Clone)]
pub struct Image {
    pub mime: String,
    pub bytes: Arc<Vec<u8>>,
    pub sha256: String,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Image({}, {} bytes)", self.mime, self.bytes.len())
    }
}

impl Image {
    pub fn new(mime: impl Into<String>, bytes: Vec<u8>) -> Self {
        let sha256 = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Self {
            mime: mime.into(),
            bytes: Arc::new(bytes),
            sha256,
        }
    }

    pub fn base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.bytes.as_slice())
    }

    /// What the log keeps instead of the bytes.
    pub fn descriptor(&self) -> Value {
        payload::image_descriptor(&self.mime, self.bytes.len(), &self.sha256)
    }
}

/// What a request is for; the demo provider answers by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    Identify,
    Details,
    ChooseOffers,
    Test,
}

/// A request for a JSON answer.
#[derive(Debug, Clone)]
pub struct AiRequest {
    pub task: Task,
    pub system: String,
    pub prompt: String,
    pub image: Option<Image>,
    /// JSON schema of the answer, for providers that can enforce one.
    pub schema: Option<Value>,
    /// The data the prompt was written from (a query, search results), for the demo provider.
    pub context: Value,
}

/// Token counts as the provider reported them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub input: i64,
    pub output: i64,
}

/// A provider's answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub text: String,
    pub json: Value,
    /// `None` when the provider reported no usage.
    pub usage: Option<Usage>,
    pub model: String,
}

/// One call to a provider as the log sees it: what was sent, what came back, and the result.
#[derive(Debug)]
pub struct Exchange {
    pub request: Value,
    pub response: Option<Value>,
    pub http_status: Option<u16>,
    pub result: Result<Answer, Error>,
}

pub type ExchangeFuture<'a> = Pin<Box<dyn Future<Output = Exchange> + Send + 'a>>;

/// One AI provider, speaking its own wire format.
pub trait Provider: Send + Sync {
    /// `openai`, `anthropic`, `gemini`, `ollama` or `demo`.
    fn kind(&self) -> &'static str;
    fn model(&self) -> &str;
    /// Values that must never be stored or logged (the API key).
    fn secrets(&self) -> Vec<String>;
    fn complete<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: &'a AiRequest,
    ) -> ExchangeFuture<'a>;
}

/// Where and how to reach a provider.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub kind: String,
    pub base_url: String,
    pub model: String,
    pub api_key: Option<Secret>,
    pub timeout: Duration,
}

impl ProviderConfig {
    /// The values a provider must keep out of everything it stores or logs.
    pub fn secrets(&self) -> Vec<String> {
        self.api_key
            .iter()
            .map(|k| k.expose().to_string())
            .collect()
    }
}

/// The default base URL of each kind, as the vendors' SDKs use.
pub fn default_base_url(kind: &str) -> Option<&'static str> {
    match kind {
        "openai" => Some("https://api.openai.com/v1"),
        "anthropic" => Some("https://api.anthropic.com"),
        "gemini" => Some("https://generativelanguage.googleapis.com"),
        "ollama" => Some("http://localhost:11434"),
        _ => None,
    }
}

pub const KINDS: &[&str] = &["openai", "anthropic", "gemini", "ollama"];

/// The provider for `config`; `None` for an unknown kind.
pub fn build(config: ProviderConfig) -> Option<Box<dyn Provider>> {
    match config.kind.as_str() {
        "openai" => Some(Box::new(openai::OpenAi::new(config))),
        "anthropic" => Some(Box::new(anthropic::Anthropic::new(config))),
        "gemini" => Some(Box::new(gemini::Gemini::new(config))),
        "ollama" => Some(Box::new(ollama::Ollama::new(config))),
        _ => None,
    }
}

/// Reads a JSON object out of a model's text: as it is, inside code fences, or between the
/// first `{` and the last `}` when the model wrote words around it.
pub fn parse_json(text: &str) -> Option<Value> {
    let text = text.trim();
    let unfenced = text
        .strip_prefix("```json")
        .or_else(|| text.strip_prefix("```JSON"))
        .or_else(|| text.strip_prefix("```"))
        .map(|rest| rest.trim_end().trim_end_matches("```"))
        .unwrap_or(text)
        .trim();
    if let Ok(value) = serde_json::from_str::<Value>(unfenced)
        && (value.is_object() || value.is_array())
    {
        return Some(value);
    }
    let start = text.find('{')?;
    let end = text.rfind('}')?;
    (start < end)
        .then(|| serde_json::from_str(&text[start..=end]).ok())
        .flatten()
}

/// The instruction every prompt ends with, so that servers without a JSON mode still answer
/// in JSON.
pub const JSON_ONLY: &str = "Answer with one JSON object only, with no text before or after it.";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_is_read_tolerantly() {
        assert_eq!(parse_json(r#"{"a": 1}"#), Some(json!({"a": 1})));
        assert_eq!(
            parse_json("```json\n{\"a\": [1, 2]}\n```"),
            Some(json!({"a": [1, 2]}))
        );
        assert_eq!(
            parse_json("Sure! Here it is:\n{\"a\": {\"b\": true}}\nHope that helps."),
            Some(json!({"a": {"b": true}}))
        );
        assert_eq!(parse_json("no json here"), None);
        assert_eq!(parse_json("{broken"), None);
    }
}
