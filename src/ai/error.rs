//! Why a request to an AI provider or to price search failed, in plain words, and whether
//! trying again later may help. Every detail in here has had secrets removed.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("{provider} refused the API key ({detail}). Check the key in Settings.")]
    Auth { provider: String, detail: String },
    #[error("{provider} is limiting requests right now ({detail}); cartwise will try again{}.", wait(.retry_after))]
    RateLimited {
        provider: String,
        retry_after: Option<Duration>,
        detail: String,
    },
    #[error(
        "{provider} is overloaded or having trouble (HTTP {status}: {detail}); cartwise will try again."
    )]
    Server {
        provider: String,
        status: u16,
        detail: String,
    },
    #[error("{provider} did not answer within {} s.", .after.as_secs())]
    Timeout { provider: String, after: Duration },
    #[error("Could not reach {provider}: {detail}. Is the address right and the server running?")]
    Connection { provider: String, detail: String },
    #[error("{provider} sent an answer cartwise could not read: {detail}")]
    BadResponse {
        provider: String,
        status: Option<u16>,
        detail: String,
    },
    #[error(
        "This model cannot read images ({provider}: {detail}). Choose a vision model in Settings for photos."
    )]
    NoVision { provider: String, detail: String },
    #[error("{provider} rejected the request (HTTP {status}): {detail}")]
    Rejected {
        provider: String,
        status: u16,
        detail: String,
    },
    #[error("No AI provider configured: add one in Settings")]
    NoProvider,
    #[error("Price search is not set up: add a SerpApi key in Settings")]
    NoSearch,
    #[error("The request was cancelled.")]
    Cancelled,
    #[error("cartwise could not read its own settings: {0}")]
    Storage(String),
    #[error("{0}")]
    KeyUnreadable(String),
}

fn wait(after: &Option<Duration>) -> String {
    match after {
        Some(d) => format!(" in {} s", d.as_secs().max(1)),
        None => String::new(),
    }
}

impl Error {
    /// Whether the same request may succeed later.
    pub fn transient(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. }
                | Self::Server { .. }
                | Self::Timeout { .. }
                | Self::Connection { .. }
                | Self::Storage(_)
        )
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::Server { status, .. } | Self::Rejected { status, .. } => Some(*status),
            Self::RateLimited { .. } => Some(429),
            Self::BadResponse { status, .. } => *status,
            _ => None,
        }
    }

    /// The request log's status for this failure.
    pub fn log_status(&self) -> &'static str {
        match self {
            Self::Timeout { .. } => "timeout",
            Self::Cancelled => "cancelled",
            _ => "failed",
        }
    }
}

impl From<Error> for crate::jobs::JobError {
    fn from(e: Error) -> Self {
        let message = e.to_string();
        if e.transient() {
            let error = Self::transient(message);
            match e.retry_after() {
                Some(after) => error.retry_after(after),
                None => error,
            }
        } else {
            Self::permanent(message)
        }
    }
}

impl From<crate::db::Error> for Error {
    fn from(e: crate::db::Error) -> Self {
        Self::Storage(e.to_string())
    }
}

/// A key that cannot be decrypted stays so until the user enters it again: not worth a retry.
impl From<crate::secrets::Error> for Error {
    fn from(e: crate::secrets::Error) -> Self {
        Self::KeyUnreadable(e.to_string())
    }
}
