//! The one place where calls to outside services become request-log rows: payloads cleaned
//! (images as descriptors, secrets removed) and cut to 50,000 bytes, the provider's own token
//! counts, the cost from the price table, and a row even when the call is dropped half-way.

use std::time::Instant;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::payload::{self, redact};
use super::pricing::PriceTable;
use super::serpapi::Search;
use super::{AiRequest, Exchange, Task};
use crate::db::logs::NewLog;
use crate::db::{self, Db};

/// The log's request type for an AI request.
pub fn request_type(request: &AiRequest) -> &'static str {
    match request.task {
        Task::Test => "test_connection",
        Task::ChooseOffers => "price_aggregation",
        _ if request.image.is_some() => "image_analysis",
        _ => "completion",
    }
}

/// `value` cleaned and cut for storing.
pub fn clean(value: &Value, request: Option<&AiRequest>, secrets: &[String]) -> String {
    let mut value = value.clone();
    if let Some(image) = request.and_then(|r| r.image.as_ref()) {
        payload::replace_image(&mut value, &image.base64(), &image.descriptor());
    }
    let keys: Vec<&str> = secrets.iter().map(String::as_str).collect();
    payload::redact_value(&mut value, &keys);
    payload::store(&value)
}

fn preview(text: &str, secrets: &[String]) -> String {
    let keys: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let text = redact(text, &keys);
    let cut = payload::cut_str(text.trim(), 200);
    cut.to_string()
}

/// What is known of an AI call before it is sent.
pub struct AiCall<'a> {
    pub job: Option<i64>,
    pub provider: &'a str,
    pub model: &'a str,
    pub request: &'a AiRequest,
    pub secrets: &'a [String],
}

impl AiCall<'_> {
    fn base(&self) -> NewLog {
        NewLog {
            ai_job_id: self.job,
            provider: self.provider.to_string(),
            model: Some(self.model.to_string()),
            request_type: request_type(self.request),
            prompt_preview: Some(preview(&self.request.prompt, self.secrets)),
            ..NewLog::default()
        }
    }

    /// What was sent, as a row stores it when the provider's own body is not at hand.
    fn described(&self) -> Value {
        json!({
            "system": self.request.system,
            "prompt": self.request.prompt,
            "image": self.request.image.as_ref().map(|i| i.descriptor()),
        })
    }

    /// The row for a finished exchange.
    pub fn row(&self, exchange: &Exchange, prices: &PriceTable, started: Instant) -> NewLog {
        let mut row = self.base();
        row.duration_ms = elapsed_ms(started);
        row.http_status = exchange.http_status;
        row.request_data = Some(clean(&exchange.request, Some(self.request), self.secrets));
        row.response_data = exchange
            .response
            .as_ref()
            .map(|r| clean(r, None, self.secrets));
        match &exchange.result {
            Ok(answer) => {
                row.status = "success";
                match answer.usage {
                    Some(usage) => {
                        row.tokens_input = Some(usage.input);
                        row.tokens_output = Some(usage.output);
                        row.cost_usd = prices.cost(&answer.model, usage);
                    }
                    None => {
                        // Only where the provider reports no usage: an estimate, marked as one.
                        let sent = self.request.system.len() + self.request.prompt.len();
                        row.tokens_input = Some((sent as i64 + 3) / 4);
                        row.tokens_output = Some((answer.text.len() as i64 + 3) / 4);
                        row.tokens_estimated = true;
                    }
                }
                if self.provider == "demo" {
                    row.cost_usd = Some(0.0);
                }
                row.model = Some(answer.model.clone());
            }
            Err(error) => {
                row.status = error.log_status();
                row.http_status = row.http_status.or(error.http_status());
                row.error_message = Some(preview_error(&error.to_string(), self.secrets));
            }
        }
        row
    }

    /// A row for a call that was dropped before its answer came.
    pub fn interrupted(&self, started: Instant, cancelled: bool) -> NewLog {
        let mut row = self.base();
        row.duration_ms = elapsed_ms(started);
        row.request_data = Some(clean(&self.described(), Some(self.request), self.secrets));
        if cancelled {
            row.status = "cancelled";
            row.error_message = Some("Cancelled while waiting for the answer.".into());
        } else {
            row.status = "timeout";
            row.error_message = Some("The job's time limit ran out during this request.".into());
        }
        row
    }
}

fn preview_error(text: &str, secrets: &[String]) -> String {
    let keys: Vec<&str> = secrets.iter().map(String::as_str).collect();
    payload::cut_str(&redact(text, &keys), 2000).to_string()
}

fn elapsed_ms(started: Instant) -> i64 {
    i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// The row for a price search.
pub fn search_row(
    job: Option<i64>,
    provider: &str,
    search: &Search,
    secrets: &[String],
    started: Instant,
) -> NewLog {
    let query = search.request["q"].as_str().unwrap_or_default();
    let mut row = NewLog {
        ai_job_id: job,
        provider: provider.to_string(),
        model: None,
        request_type: "serp_search",
        prompt_preview: Some(preview(query, secrets)),
        http_status: search.http_status,
        duration_ms: elapsed_ms(started),
        request_data: Some(clean(&search.request, None, secrets)),
        response_data: search.response.as_ref().map(|r| clean(r, None, secrets)),
        ..NewLog::default()
    };
    match &search.result {
        Ok(results) => {
            row.status = "success";
            row.serp_data = Some(clean(&json!(results), None, secrets));
        }
        Err(error) => {
            row.status = error.log_status();
            row.http_status = row.http_status.or(error.http_status());
            row.error_message = Some(preview_error(&error.to_string(), secrets));
        }
    }
    row
}

/// Writes a log row; a failure to log is reported, never passed to the caller.
pub async fn write(db: &Db, row: NewLog) {
    let written = db.write(move |tx| db::logs::insert(tx, &row)).await;
    if let Err(e) = written {
        tracing::warn!(error = %e, "could not write a request log row");
    }
}

/// Writes the interrupted row when dropped unfinished: a call abandoned by a cancel or a
/// timeout still leaves its row.
pub struct Pending {
    db: Db,
    token: Option<CancellationToken>,
    row: Option<Box<dyn FnOnce(bool) -> NewLog + Send>>,
}

impl Pending {
    pub fn new(
        db: Db,
        token: Option<CancellationToken>,
        row: impl FnOnce(bool) -> NewLog + Send + 'static,
    ) -> Self {
        Self {
            db,
            token,
            row: Some(Box::new(row)),
        }
    }

    /// The call finished: no interrupted row.
    pub fn done(mut self) {
        self.row = None;
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        let Some(row) = self.row.take() else {
            return;
        };
        let cancelled = self.token.as_ref().is_some_and(|t| t.is_cancelled());
        let row = row(cancelled);
        let db = self.db.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { write(&db, row).await });
        }
    }
}
