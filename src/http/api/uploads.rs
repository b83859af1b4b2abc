//! `/api/uploads`: photos in (multipart or a raw body), served back by id.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json as JsonOut, Router};
use serde_json::json;

use crate::app::AppState;
use crate::error::ApiError;
use crate::uploads::{MAX_BYTES, UploadError, Uploads};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/uploads",
            post(upload).layer(axum::extract::DefaultBodyLimit::max(
                MAX_BYTES + 1024 * 1024,
            )),
        )
        .route("/uploads/{image_id}", get(download))
}

fn too_large() -> ApiError {
    ApiError::PayloadTooLarge("The photo is larger than 10 MB; send a smaller one.".into())
}

/// The photo's bytes from a multipart form (its first file, or a field named `image`) or
/// from the raw body.
async fn photo_bytes(request: Request, state: &AppState) -> Result<Bytes, ApiError> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    let read_failed = |status: StatusCode, detail: String| {
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::BadRequest(format!("The upload could not be read: {detail}"))
        }
    };
    if !multipart {
        return Bytes::from_request(request, state)
            .await
            .map_err(|e| read_failed(e.status(), e.body_text()));
    }
    let mut form = Multipart::from_request(request, state)
        .await
        .map_err(|e| read_failed(e.status(), e.body_text()))?;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| read_failed(e.status(), e.body_text()))?
    {
        if field.file_name().is_some() || field.name() == Some("image") {
            return field
                .bytes()
                .await
                .map_err(|e| read_failed(e.status(), e.body_text()));
        }
    }
    Err(ApiError::BadRequest(
        "The form holds no photo: send it as a file field named \"image\".".into(),
    ))
}

async fn upload(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let bytes = photo_bytes(request, &state).await?;
    if bytes.is_empty() {
        return Err(ApiError::BadRequest(
            "The upload is empty: send a photo.".into(),
        ));
    }
    let uploads = state.uploads.clone();
    let saved = tokio::task::spawn_blocking(move || uploads.save(&bytes))
        .await
        .map_err(|_| ApiError::Database(crate::db::Error::Task))?;
    match saved {
        Ok(image_id) => Ok((
            StatusCode::CREATED,
            JsonOut(json!({ "image_id": image_id })),
        )
            .into_response()),
        Err(UploadError::TooLarge) => Err(too_large()),
        Err(e @ UploadError::NotAnImage) => Err(ApiError::UnsupportedMediaType(format!(
            "{}.",
            capitalised(&e.to_string())
        ))),
        Err(e) => {
            tracing::error!(error = %e, "could not store an upload");
            Err(ApiError::Unavailable(
                "the photo could not be stored".into(),
            ))
        }
    }
}

async fn download(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if !Uploads::valid_id(&id) {
        return Err(ApiError::NotFound(format!("There is no photo '{id}'.")));
    }
    let uploads = state.uploads.clone();
    let loaded = tokio::task::spawn_blocking(move || uploads.load(&id))
        .await
        .map_err(|_| ApiError::Database(crate::db::Error::Task))?;
    match loaded {
        Ok(image) => Ok((
            [
                (header::CONTENT_TYPE, image.mime.clone()),
                (
                    header::CACHE_CONTROL,
                    "private, max-age=31536000, immutable".into(),
                ),
            ],
            image.bytes.as_ref().clone(),
        )
            .into_response()),
        Err(UploadError::NotFound(id)) => {
            Err(ApiError::NotFound(format!("There is no photo '{id}'.")))
        }
        Err(e) => {
            tracing::error!(error = %e, "could not read an upload");
            Err(ApiError::Unavailable("the photo could not be read".into()))
        }
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}
