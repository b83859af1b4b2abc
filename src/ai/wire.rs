//! What all the HTTP clients share: sending a JSON request with a time limit, reading the
//! answer, and turning an error answer into a classified `Error` with secrets removed.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::payload::redact;
use super::{AiRequest, Answer, Error, Exchange, ExchangeFuture, Provider, ProviderConfig, Usage};

/// An HTTP answer, its body parsed as JSON when it is JSON.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Sends `request` and reads the whole answer, bounded by `timeout`.
pub async fn send(
    request: reqwest::RequestBuilder,
    provider: &str,
    timeout: Duration,
    secrets: &[String],
) -> Result<Reply, Error> {
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let failed = |e: reqwest::Error| {
        // The URL may carry a key in its query: never let it into a message.
        let timed_out = e.is_timeout();
        let detail = redact(&e.without_url().to_string(), &secrets);
        if timed_out {
            Error::Timeout {
                provider: provider.to_string(),
                after: timeout,
            }
        } else {
            Error::Connection {
                provider: provider.to_string(),
                detail,
            }
        }
    };
    let response = request.timeout(timeout).send().await.map_err(failed)?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.map_err(failed)?;
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(redact(&String::from_utf8_lossy(&bytes), &secrets)));
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// The error message inside an error body, whatever the vendor's shape.
pub fn error_text(body: &Value) -> String {
    let text = body["error"]["message"]
        .as_str()
        .or_else(|| body["error"].as_str())
        .or_else(|| body["message"].as_str())
        .or_else(|| body["detail"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| match body {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
    super::payload::cut_str(text.trim(), 300).to_string()
}

/// The longest wait an answer may ask for; a longer or nonsensical one is cut to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// How long the answer asks to wait: `retry-after-ms`, `retry-after` (seconds), or Gemini's
/// `RetryInfo.retryDelay` ("37s"); at most an hour.
pub fn retry_after(headers: &HeaderMap, body: &Value) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let number = |text: &str| text.trim().parse::<f64>().ok().filter(|n| n.is_finite());
    let seconds = if let Some(ms) = header("retry-after-ms").and_then(number) {
        ms / 1000.0
    } else if let Some(secs) = header("retry-after").and_then(number) {
        secs
    } else {
        body["error"]["details"]
            .as_array()?
            .iter()
            .find_map(|d| d["retryDelay"].as_str())
            .and_then(|delay| number(delay.trim_end_matches('s')))?
    };
    let seconds = seconds.clamp(0.0, MAX_RETRY_AFTER.as_secs_f64());
    Some(Duration::from_millis((seconds * 1000.0) as u64))
}

/// Classifies an unsuccessful answer.
pub fn classify(provider: &str, reply: &Reply, had_image: bool, secrets: &[String]) -> Error {
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let detail = redact(&error_text(&reply.body), &secrets);
    let provider = provider.to_string();
    let lower = detail.to_ascii_lowercase();
    let key_invalid = reply.body.to_string().contains("API_KEY_INVALID");
    match reply.status {
        401 | 403 => Error::Auth { provider, detail },
        400 if key_invalid => Error::Auth { provider, detail },
        429 => Error::RateLimited {
            retry_after: retry_after(&reply.headers, &reply.body),
            provider,
            detail,
        },
        408 => Error::Timeout {
            provider,
            after: Duration::ZERO,
        },
        status @ 500..=599 => Error::Server {
            provider,
            status,
            detail,
        },
        400..=499
            if had_image
                && ["image", "vision", "multimodal", "multi-modal"]
                    .iter()
                    .any(|w| lower.contains(w)) =>
        {
            Error::NoVision { provider, detail }
        }
        status => Error::Rejected {
            provider,
            status,
            detail,
        },
    }
}

/// A successful answer that lacks what it should hold.
pub fn bad(provider: &str, status: u16, detail: impl Into<String>) -> Error {
    Error::BadResponse {
        provider: provider.to_string(),
        status: Some(status),
        detail: detail.into(),
    }
}

/// Reads the answer text as JSON, or says it could not.
pub fn answer_json(provider: &str, status: u16, text: &str) -> Result<Value, Error> {
    super::parse_json(text).ok_or_else(|| {
        bad(
            provider,
            status,
            format!(
                "the answer is not JSON: {:?}",
                super::payload::cut_str(text, 200)
            ),
        )
    })
}

/// Sends one provider request and turns the answer into an exchange for the log: `read`
/// reads a successful answer; an unsuccessful one is classified.
pub async fn exchange(
    provider: &'static str,
    call: reqwest::RequestBuilder,
    body: Value,
    timeout: Duration,
    secrets: &[String],
    had_image: bool,
    read: impl FnOnce(&Reply) -> Result<Answer, Error>,
) -> Exchange {
    match send(call, provider, timeout, secrets).await {
        Err(e) => finish(body, None, Err(e)),
        Ok(reply) => {
            let result = if reply.ok() {
                read(&reply)
            } else {
                Err(classify(provider, &reply, had_image, secrets))
            };
            finish(body, Some(reply), result)
        }
    }
}

/// An exchange from its parts.
pub fn finish(request: Value, reply: Option<Reply>, result: Result<Answer, Error>) -> Exchange {
    Exchange {
        request,
        http_status: reply.as_ref().map(|r| r.status),
        response: reply.map(|r| r.body),
        result,
    }
}

/// Token counts from the provider's own fields; `None` when it reported none.
pub fn usage(input: &Value, output: &Value) -> Option<Usage> {
    input.as_i64().map(|input| Usage {
        input,
        output: output.as_i64().unwrap_or(0),
    })
}

/// An answer from its text, which must hold JSON; `model` is the answering model when the
/// provider names it.
pub fn answer(
    provider: &str,
    reply: &Reply,
    text: String,
    usage: Option<Usage>,
    model: &Value,
    asked_for: &str,
) -> Result<Answer, Error> {
    Ok(Answer {
        json: answer_json(provider, reply.status, &text)?,
        usage,
        model: model.as_str().unwrap_or(asked_for).to_string(),
        text,
    })
}

/// A provider that answers each request with one HTTP call; `Provider` follows from it.
pub trait OneCall: Send + Sync {
    const KIND: &'static str;

    fn config(&self) -> &ProviderConfig;

    /// The request body in the vendor's format.
    fn body(&self, request: &AiRequest) -> Value;

    /// The HTTP call carrying `body`, with the key in the vendor's header.
    fn call(&self, http: &reqwest::Client, body: &Value) -> reqwest::RequestBuilder;

    /// Reads a successful answer.
    fn read(&self, reply: &Reply) -> Result<Answer, Error>;
}

impl<T: OneCall> Provider for T {
    fn kind(&self) -> &'static str {
        T::KIND
    }

    fn model(&self) -> &str {
        &self.config().model
    }

    fn secrets(&self) -> Vec<String> {
        self.config().secrets()
    }

    fn complete<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: &'a AiRequest,
    ) -> ExchangeFuture<'a> {
        Box::pin(async move {
            let body = self.body(request);
            let call = self.call(http, &body);
            let (timeout, secrets) = (self.config().timeout, self.secrets());
            let had_image = request.image.is_some();
            exchange(T::KIND, call, body, timeout, &secrets, had_image, |reply| {
                self.read(reply)
            })
            .await
        })
    }
}
