//! Extractors whose failures use the app's JSON error shape instead of axum's plain text.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::input::{FieldError, Invalid};

/// A JSON request body. Malformed JSON is a 400; JSON of the wrong shape is a 422.
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(kind) = req.headers().get(CONTENT_TYPE) {
            let kind = kind.to_str().unwrap_or_default().to_ascii_lowercase();
            let essence = kind.split(';').next().unwrap_or_default().trim();
            if essence != "application/json" && !essence.ends_with("+json") {
                return Err(ApiError::UnsupportedMediaType(format!(
                    "The body must be JSON (Content-Type: application/json), not '{essence}'."
                )));
            }
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| match e {
            BytesRejection::FailedToBufferBody(inner)
                if inner.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE =>
            {
                ApiError::PayloadTooLarge("The request body is too large.".into())
            }
            other => ApiError::BadRequest(format!("The request body could not be read: {other}")),
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::BadRequest(
                "The request body is empty; send a JSON object.".into(),
            ));
        }
        match serde_json::from_slice(&bytes) {
            Ok(value) => Ok(Json(value)),
            Err(e) if e.is_data() => Err(ApiError::Invalid(Invalid(vec![FieldError {
                field: "body".into(),
                message: shape_message(&e),
            }]))),
            Err(e) => Err(ApiError::BadRequest(format!(
                "The body is not valid JSON: {e}."
            ))),
        }
    }
}

fn shape_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    if text.contains("expected a map") {
        "must be a JSON object".into()
    } else {
        format!("has the wrong shape: {text}")
    }
}

/// A numeric id from the path (`/api/items/{id}`); anything else is a 400.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::BadRequest(format!("Bad path: {e}")))?;
        match raw.parse::<i64>() {
            Ok(id) if id > 0 => Ok(Id(id)),
            _ => Err(ApiError::BadRequest(format!(
                "'{raw}' is not an id: ids are positive whole numbers."
            ))),
        }
    }
}

/// Query-string parameters, read one by one with clear 400s for bad values. Unknown
/// parameters are ignored, so cache-busting parameters do no harm.
pub struct Params(std::collections::HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(map) = axum::extract::Query::<
            std::collections::HashMap<String, String>,
        >::from_request_parts(parts, state)
        .await
        .map_err(|e| ApiError::BadRequest(format!("The query string is malformed: {e}")))?;
        Ok(Params(map))
    }
}

impl Params {
    fn present(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// Trimmed, non-empty text, or `None`.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.present(name)
    }

    /// A whole number within `range`, or `default` when absent.
    pub fn int(
        &self,
        name: &str,
        default: i64,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<i64, ApiError> {
        self.optional_int(name, range)
            .map(|value| value.unwrap_or(default))
    }

    pub fn optional_int(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<Option<i64>, ApiError> {
        let Some(raw) = self.present(name) else {
            return Ok(None);
        };
        match raw.parse::<i64>() {
            Ok(n) if range.contains(&n) => Ok(Some(n)),
            _ => Err(ApiError::BadRequest(format!(
                "{name} must be a whole number from {} to {}, not '{raw}'.",
                range.start(),
                range.end()
            ))),
        }
    }

    /// `page` (from 1) and `per_page` (1 to 100, default 20).
    pub fn page(&self) -> Result<(i64, i64), ApiError> {
        Ok((
            self.int("page", 1, 1..=1_000_000)?,
            self.int("per_page", 20, 1..=100)?,
        ))
    }

    /// One of `allowed`, or `None` when absent.
    pub fn choice(&self, name: &str, allowed: &[&str]) -> Result<Option<String>, ApiError> {
        let Some(raw) = self.present(name) else {
            return Ok(None);
        };
        if allowed.contains(&raw) {
            Ok(Some(raw.to_string()))
        } else {
            Err(ApiError::BadRequest(format!(
                "{name} must be one of: {}; not '{raw}'.",
                allowed.join(", ")
            )))
        }
    }
}
