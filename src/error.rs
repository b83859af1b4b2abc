//! The error at the HTTP edge. Every failure a handler can meet maps to one status and the
//! JSON body `{"error": {"code", "message"}}`; internal causes are logged, never shown.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::input::{FieldError, Invalid};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Invalid(Invalid),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Database(#[from] crate::db::Error),
}

impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> Self {
        Self::Invalid(invalid)
    }
}

impl ApiError {
    pub fn not_found(what: &str, id: i64) -> Self {
        Self::NotFound(format!("There is no {what} with id {id}."))
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Self::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Self::Database(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let mut body = json!({"error": {"code": code, "message": self.to_string()}});
        match &self {
            Self::Invalid(Invalid(fields)) => {
                body["error"]["fields"] = json!(fields);
                body["error"]["message"] = json!(summary(fields));
            }
            Self::Database(cause) => {
                tracing::error!(error = %cause, "request failed");
                body["error"]["message"] =
                    json!("Something went wrong on the server; the server log has the details.");
            }
            _ => {}
        }
        (status, Json(body)).into_response()
    }
}

fn summary(fields: &[FieldError]) -> String {
    let parts: Vec<String> = fields
        .iter()
        .map(|e| format!("{} {}", e.field, e.message))
        .collect();
    format!("Please check the input: {}.", parts.join("; "))
}
