//! Access from other machines. Bound to loopback, cartwise needs no login. Bound to any other
//! address it starts only with `CARTWISE_PASSWORD`, and then every request but `/healthz` must
//! carry it: as HTTP Basic credentials (any user name; browsers ask for them) or as a bearer
//! token for scripts. A login page with sessions is not built yet.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::json;

use crate::config::{Config, Secret};

/// The password requests must carry, when the server needs one.
pub fn required(config: &Config) -> Option<Secret> {
    config
        .password
        .clone()
        .filter(|_| !config.bind.ip().is_loopback())
}

pub async fn check(State(password): State<Arc<Secret>>, request: Request, next: Next) -> Response {
    if request.uri().path() == "/healthz" || carries(&request, password.expose()) {
        return next.run(request).await;
    }
    let body = json!({"error": {"code": "unauthorized",
        "message": "This cartwise needs its password (CARTWISE_PASSWORD)."}});
    let mut response = (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"cartwise\", charset=\"UTF-8\""),
    );
    response
}

fn carries(request: &Request, password: &str) -> bool {
    let Some(value) = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let given = if let Some(token) = value.strip_prefix("Bearer ") {
        token.trim().to_string()
    } else if let Some(encoded) = value.strip_prefix("Basic ") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .unwrap_or_default();
        decoded
            .split_once(':')
            .map(|(_, pass)| pass.to_string())
            .unwrap_or_default()
    } else {
        return false;
    };
    same(given.as_bytes(), password.as_bytes())
}

/// Compares without stopping at the first difference, so timing tells nothing.
fn same(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (x, y) in a.iter().zip(b.iter().cycle()) {
        diff |= usize::from(x ^ y);
    }
    diff == 0 && !b.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison_is_exact() {
        assert!(same(b"hunter2", b"hunter2"));
        assert!(!same(b"hunter", b"hunter2"));
        assert!(!same(b"hunter22", b"hunter2"));
        assert!(!same(b"", b""));
    }
}
