//! Background jobs. A job type is a small trait object registered with the engine; the engine
//! (runner pool, claiming, cancellation, timeouts, retries, recovery, shutdown) lives in
//! `engine`, the API's view of a job in `view`, and the standard job types in `types`.
//!
//! A job's database effects are not written by the job itself: it returns them as an
//! `Outcome::apply` step that the engine runs in the same transaction that marks the attempt
//! completed. A cancelled, timed-out or superseded attempt therefore changes nothing.

mod engine;
mod identify;
mod offers;
mod price_refresh;
mod price_search;
pub mod schedule;
mod smart_fill;
mod standard;
mod view;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

pub use crate::db::jobs::Level;
pub use engine::{
    CancelError, CreateJob, Engine, EngineSettings, EnqueueError, JobContext, JobDetail, Stats,
};
pub use view::JobView;

/// What a job's `run` returns.
pub type JobFuture = Pin<Box<dyn Future<Output = Result<Outcome, JobError>> + Send>>;

/// The database writes of a successful attempt, run in the completing transaction. It gets the
/// attempt's output and returns the output to store (which may say what the writes changed).
pub type Apply =
    Box<dyn FnOnce(&rusqlite::Transaction<'_>, Value) -> Result<Value, JobError> + Send>;

/// What a new job asks for, as checked by its type before it is queued.
#[derive(Debug, Clone, Copy)]
pub struct JobRequest<'a> {
    pub input: &'a Value,
    pub related_item_id: Option<i64>,
    pub related_list_id: Option<i64>,
}

/// One kind of background work.
pub trait JobType: Send + Sync + 'static {
    /// The stored type name, such as `price_search`.
    fn name(&self) -> &'static str;

    /// A short label for people, such as "Price search".
    fn label(&self) -> &'static str;

    /// Checks a new job's input; the error is shown to the user as it is.
    fn check(&self, _request: &JobRequest<'_>) -> Result<(), String> {
        Ok(())
    }

    /// When true, a second job of this type for the same item returns the active one.
    fn dedupe_per_item(&self) -> bool {
        false
    }

    /// One line that says what this job is about.
    fn summary(&self, input: &Value) -> String {
        input
            .as_object()
            .and_then(|o| o.values().find_map(Value::as_str))
            .unwrap_or_default()
            .chars()
            .take(120)
            .collect()
    }

    /// Does the work. Dropping the returned future must stop it (the engine drops it on
    /// cancel and timeout), which is how an outgoing request is abandoned at once.
    fn run(self: Arc<Self>, ctx: JobContext) -> JobFuture;
}

/// A successful attempt: output for the user and, optionally, its database writes.
pub struct Outcome {
    pub output: Value,
    pub apply: Option<Apply>,
}

impl Outcome {
    pub fn output(output: Value) -> Self {
        Self {
            output,
            apply: None,
        }
    }

    pub fn with_apply(
        output: Value,
        apply: impl FnOnce(&rusqlite::Transaction<'_>, Value) -> Result<Value, JobError>
        + Send
        + 'static,
    ) -> Self {
        Self {
            output,
            apply: Some(Box::new(apply)),
        }
    }
}

/// Why an attempt failed, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct JobError {
    pub message: String,
    pub transient: bool,
    /// The earliest useful retry, as a provider's Retry-After says.
    pub retry_after: Option<Duration>,
}

impl JobError {
    /// A failure that will not go away by itself (bad input, no provider, item deleted).
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            transient: false,
            retry_after: None,
        }
    }

    /// A failure worth retrying (network, timeout, rate limit, server error).
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            transient: true,
            retry_after: None,
        }
    }

    pub fn retry_after(mut self, after: Duration) -> Self {
        self.retry_after = Some(after);
        self
    }
}

impl From<crate::db::Error> for JobError {
    fn from(e: crate::db::Error) -> Self {
        Self::transient(e.to_string())
    }
}

/// The job types the engine knows, by name.
#[derive(Clone, Default)]
pub struct Registry {
    types: BTreeMap<&'static str, Arc<dyn JobType>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.types.keys()).finish()
    }
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// The four job types of cartwise.
    pub fn standard() -> Self {
        standard::register(Self::new())
    }

    pub fn with(mut self, job_type: impl JobType) -> Self {
        self.types.insert(job_type.name(), Arc::new(job_type));
        self
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn JobType>> {
        self.types.get(name)
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.types.keys().copied().collect()
    }
}
