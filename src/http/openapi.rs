//! `GET /api/openapi.json`: the API described in OpenAPI 3.1, built from one table of
//! operations. A test checks the table against the routes in the source, both ways.

use axum::Json;
use serde_json::{Map, Value, json};

/// Method, path, summary and success status of every operation.
pub const OPERATIONS: &[(&str, &str, &str, u16)] = &[
    (
        "get",
        "/healthz",
        "Health: 200 when the database can be read",
        200,
    ),
    ("get", "/metrics", "Prometheus metrics", 200),
    ("get", "/api/openapi.json", "This description", 200),
    ("get", "/api/lists", "All lists with item counts", 200),
    ("post", "/api/lists", "Create a list", 201),
    ("get", "/api/lists/{id}", "One list", 200),
    ("patch", "/api/lists/{id}", "Change a list", 200),
    (
        "delete",
        "/api/lists/{id}",
        "Delete a list and its items",
        204,
    ),
    ("get", "/api/lists/{id}/items", "A list's items", 200),
    (
        "post",
        "/api/lists/{id}/items",
        "Add an item to a list",
        201,
    ),
    (
        "get",
        "/api/items/{id}",
        "One item with its offers and price history",
        200,
    ),
    ("patch", "/api/items/{id}", "Change an item", 200),
    ("delete", "/api/items/{id}", "Delete an item", 204),
    (
        "post",
        "/api/uploads",
        "Upload a photo (JPEG, PNG, WebP, HEIC; 10 MB at most)",
        201,
    ),
    ("get", "/api/uploads/{image_id}", "A stored photo", 200),
    ("get", "/api/ai-jobs", "Jobs, filtered and paged", 200),
    (
        "post",
        "/api/ai-jobs",
        "Queue a job (200 with an item's active job of that type)",
        201,
    ),
    (
        "get",
        "/api/ai-jobs/active",
        "Active and just-finished jobs, with an ETag",
        200,
    ),
    (
        "get",
        "/api/ai-jobs/stats",
        "Job counts and success rate",
        200,
    ),
    (
        "delete",
        "/api/ai-jobs/history",
        "Delete every finished job",
        200,
    ),
    (
        "get",
        "/api/ai-jobs/{id}",
        "A job with input, output, timeline and logs",
        200,
    ),
    ("delete", "/api/ai-jobs/{id}", "Delete a finished job", 204),
    (
        "post",
        "/api/ai-jobs/{id}/cancel",
        "Cancel a pending or running job",
        200,
    ),
    (
        "get",
        "/api/ai-logs",
        "Request log, filtered and paged",
        200,
    ),
    ("get", "/api/ai-logs/stats", "Request log figures", 200),
    (
        "delete",
        "/api/ai-logs/all",
        "Delete the whole request log",
        200,
    ),
    (
        "get",
        "/api/ai-logs/{id}",
        "One request with its payloads",
        200,
    ),
    ("delete", "/api/ai-logs/{id}", "Delete one request", 204),
    ("get", "/api/ai-providers", "AI providers", 200),
    ("post", "/api/ai-providers", "Add an AI provider", 201),
    (
        "patch",
        "/api/ai-providers/{id}",
        "Change an AI provider",
        200,
    ),
    (
        "delete",
        "/api/ai-providers/{id}",
        "Remove an AI provider",
        204,
    ),
    (
        "post",
        "/api/ai-providers/{id}/test",
        "Test a provider with a small real request",
        200,
    ),
    ("get", "/api/settings", "Settings", 200),
    ("put", "/api/settings", "Change settings", 200),
];

pub async fn spec() -> Json<Value> {
    Json(build())
}

pub fn build() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for (method, path, summary, status) in OPERATIONS {
        let parameters: Vec<Value> = path
            .split('/')
            .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| {
                let schema = if name == "id" {
                    json!({"type": "integer", "minimum": 1})
                } else {
                    json!({"type": "string"})
                };
                json!({"name": name, "in": "path", "required": true, "schema": schema})
            })
            .collect();
        let mut responses = json!({
            "4XX": {"$ref": "#/components/responses/Error"},
            "500": {"$ref": "#/components/responses/Error"},
        });
        responses[status.to_string()] = json!({"description": summary});
        let mut operation = json!({
            "summary": summary,
            "operationId": format!("{method}{}", path.replace(['/', '{', '}', '.', '-'], "_")),
            "parameters": parameters,
            "responses": responses,
        });
        if matches!(*method, "post" | "patch" | "put")
            && !path.ends_with("/cancel")
            && !path.ends_with("/test")
        {
            let content = if *path == "/api/uploads" {
                json!({"multipart/form-data": {"schema": {"type": "object",
                        "properties": {"image": {"type": "string", "format": "binary"}}}},
                       "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}})
            } else {
                json!({"application/json": {"schema": {"type": "object"}}})
            };
            operation["requestBody"] = json!({"required": true, "content": content});
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "cartwise",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Shopping lists, prices and the AI jobs that find them. Errors are \
                            {\"error\": {\"code\", \"message\", \"fields\"?}}."
        },
        "paths": paths,
        "components": {
            "responses": {
                "Error": {
                    "description": "A request the server could not carry out, in plain words.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                }
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "object", "required": ["code", "message"],
                        "properties": {
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                            "fields": {"type": "array", "items": {"type": "object",
                                "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}}
                        }}}
                }
            }
        }
    })
}
