//! The lists and items API, its errors, persistence and health, against the real server.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::Server;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn new_list(server: &Server, name: &str) -> i64 {
    let (status, body) = server
        .send(Method::POST, "/api/lists", Some(json!({"name": name})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["list"]["id"].as_i64().unwrap()
}

async fn new_item(server: &Server, list: i64, body: Value) -> Value {
    let (status, body) = server
        .send(
            Method::POST,
            &format!("/api/lists/{list}/items"),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["item"].clone()
}

fn error_code(body: &Value) -> &str {
    body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("not an error body: {body}"))
}

#[tokio::test]
async fn lists_can_be_created_read_changed_and_deleted() {
    let server = Server::start().await;
    let (status, body) = server
        .send(
            Method::POST,
            "/api/lists",
            Some(json!({"name": "  Groceries ", "description": "weekly", "shop_local": true})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let list = &body["list"];
    let id = list["id"].as_i64().unwrap();
    assert_eq!(list["name"], "Groceries");
    assert_eq!(list["description"], "weekly");
    assert_eq!(list["shop_local"], true);
    assert_eq!(list["is_active"], true);
    assert_eq!(list["item_count"], 0);
    assert!(list["created_at"].as_str().unwrap().ends_with('Z'));

    new_list(&server, "Hardware").await;
    let (status, body) = server.get("/api/lists").await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = body["lists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Groceries", "Hardware"]);

    let (status, body) = server
        .send(
            Method::PATCH,
            &format!("/api/lists/{id}"),
            Some(json!({"name": "Food", "description": null, "is_active": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["list"]["name"], "Food");
    assert_eq!(body["list"]["description"], Value::Null);
    assert_eq!(body["list"]["is_active"], false);
    assert_eq!(
        body["list"]["shop_local"], true,
        "absent fields stay as they were"
    );

    let (status, body) = server.get(&format!("/api/lists/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["list"]["name"], "Food");

    let (status, body) = server
        .send(Method::DELETE, &format!("/api/lists/{id}"), None)
        .await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let (status, body) = server.get(&format!("/api/lists/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "not_found");
    server.stop().await;
}

#[tokio::test]
async fn items_can_be_created_read_changed_and_deleted() {
    let server = Server::start().await;
    let list = new_list(&server, "Groceries").await;
    let item = new_item(
        &server,
        list,
        json!({
            "product_name": "Oat milk", "product_query": "oatly oat milk 1l",
            "product_url": "https://shop.example/oat", "sku": "OAT-1", "upc": "7394376616501",
            "notes": "barista edition", "description": "Oat drink", "brand": "Oatly",
            "category": "Dairy alternatives", "quantity": 2, "target_price": 1.5,
            "current_price": 2.29, "current_retailer": "Corner shop", "in_stock": true,
            "priority": "high", "is_generic": false, "unit_of_measure": "l"
        }),
    )
    .await;
    let id = item["id"].as_i64().unwrap();
    assert_eq!(item["list_id"], list);
    assert_eq!(item["brand"], "Oatly");
    assert_eq!(item["quantity"], 2);
    assert_eq!(item["target_price"], 1.5);
    assert_eq!(item["current_price"], 2.29);
    assert_eq!(item["lowest_price"], 2.29);
    assert_eq!(item["highest_price"], 2.29);
    assert_eq!(item["previous_price"], Value::Null);
    assert_eq!(item["priority"], "high");
    assert_eq!(item["is_purchased"], false);

    let photo = format!("{}.jpg", "a1".repeat(32));
    let pictured = new_item(
        &server,
        list,
        json!({"product_name": "Jam", "image": photo}),
    )
    .await;
    assert_eq!(pictured["image"], photo);
    server
        .send(
            Method::DELETE,
            &format!("/api/items/{}", pictured["id"]),
            None,
        )
        .await;
    let plain = new_item(&server, list, json!({"product_name": "Bread"})).await;
    assert_eq!(plain["priority"], "normal");
    assert_eq!(plain["quantity"], 1);
    assert_eq!(plain["current_price"], Value::Null);

    // A new current price moves the others and adds to the history.
    let (status, body) = server
        .send(
            Method::PATCH,
            &format!("/api/items/{id}"),
            Some(json!({"current_price": 1.99, "is_purchased": true, "notes": ""})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let item = &body["item"];
    assert_eq!(item["current_price"], 1.99);
    assert_eq!(item["previous_price"], 2.29);
    assert_eq!(item["lowest_price"], 1.99);
    assert_eq!(item["highest_price"], 2.29);
    assert_eq!(item["current_retailer"], "Corner shop");
    assert_eq!(
        item["notes"],
        Value::Null,
        "an empty string clears a text field"
    );
    assert_eq!(item["is_purchased"], true);
    assert!(item["purchased_at"].is_string());
    assert!(item["last_checked_at"].is_string());

    let (status, body) = server.get(&format!("/api/items/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["offers"], json!([]));
    let history = body["price_history"].as_array().unwrap();
    let prices: Vec<(f64, &str)> = history
        .iter()
        .map(|p| (p["price"].as_f64().unwrap(), p["source"].as_str().unwrap()))
        .collect();
    assert_eq!(prices, [(2.29, "manual"), (1.99, "manual")]);

    // The same price again is not a change.
    server
        .send(
            Method::PATCH,
            &format!("/api/items/{id}"),
            Some(json!({"current_price": 1.99})),
        )
        .await;
    let (_, body) = server.get(&format!("/api/items/{id}")).await;
    assert_eq!(body["price_history"].as_array().unwrap().len(), 2);

    // Unpurchased and high priority first.
    let (status, body) = server.get(&format!("/api/lists/{list}/items")).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["product_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Bread", "Oat milk"]);
    let (_, body) = server.get(&format!("/api/lists/{list}")).await;
    assert_eq!(body["list"]["item_count"], 2);
    assert_eq!(body["list"]["unpurchased_count"], 1);

    let (status, _) = server
        .send(Method::DELETE, &format!("/api/items/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server.get(&format!("/api/items/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server
        .send(Method::DELETE, &format!("/api/items/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    server.stop().await;
}

#[tokio::test]
async fn deleting_a_list_deletes_its_items_and_their_history() {
    let server = Server::start().await;
    let list = new_list(&server, "Party").await;
    let item = new_item(
        &server,
        list,
        json!({"product_name": "Chips", "current_price": 2.5}),
    )
    .await;
    let item_id = item["id"].as_i64().unwrap();
    let (status, _) = server
        .send(Method::DELETE, &format!("/api/lists/{list}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server.get(&format!("/api/items/{item_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let conn = rusqlite::Connection::open(server.database()).unwrap();
    let left: i64 = conn
        .query_row(
            "SELECT (SELECT count(*) FROM items) + (SELECT count(*) FROM price_history)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0);
    server.stop().await;
}

#[tokio::test]
async fn bad_bodies_get_clear_json_errors() {
    let server = Server::start().await;
    let list = new_list(&server, "Checks").await;
    let json_type = Some("application/json");

    let cases: Vec<(&str, Option<&str>, &str, StatusCode, &str)> = vec![
        (
            "/api/lists",
            json_type,
            "{\"name\": ",
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "/api/lists",
            json_type,
            "",
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "/api/lists",
            json_type,
            "[1, 2]",
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            "/api/lists",
            json_type,
            "\"name\"",
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            "/api/lists",
            Some("text/plain"),
            "{\"name\": \"x\"}",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "/api/lists",
            None,
            "{\"name\": \"no content type is fine\"}",
            StatusCode::CREATED,
            "",
        ),
    ];
    for (path, kind, body, want, code) in cases {
        let (status, answer) = server.raw(Method::POST, path, kind, body.to_string()).await;
        assert_eq!(status, want, "{body:?} -> {answer}");
        if !code.is_empty() {
            assert_eq!(error_code(&answer), code, "{body:?}");
            assert!(!answer["error"]["message"].as_str().unwrap().is_empty());
        }
    }

    let (status, answer) = server
        .raw(
            Method::POST,
            "/api/lists",
            json_type,
            vec![b' '; 2 * 1024 * 1024],
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert_eq!(error_code(&answer), "payload_too_large");

    // Each kind of bad field names the field.
    let items = format!("/api/lists/{list}/items");
    let field_cases = [
        (json!({}), "product_name"),
        (json!({"product_name": ""}), "product_name"),
        (json!({"product_name": 42}), "product_name"),
        (json!({"product_name": "x".repeat(201)}), "product_name"),
        (
            json!({"product_name": "a", "current_price": -1}),
            "current_price",
        ),
        (
            json!({"product_name": "a", "target_price": 1.234}),
            "target_price",
        ),
        (
            json!({"product_name": "a", "target_price": "12"}),
            "target_price",
        ),
        (
            json!({"product_name": "a", "priority": "urgent"}),
            "priority",
        ),
        (
            json!({"product_name": "a", "is_purchased": "yes"}),
            "is_purchased",
        ),
        (json!({"product_name": "a", "quantity": 0}), "quantity"),
        (json!({"product_name": "a", "quantity": 1.5}), "quantity"),
        (
            json!({"product_name": "a", "product_url": "javascript:alert(1)"}),
            "product_url",
        ),
        (
            json!({"product_name": "a", "lowest_price": 1}),
            "lowest_price",
        ),
        (json!({"product_name": "a", "id": 7}), "id"),
    ];
    for (body, field) in field_cases {
        let (status, answer) = server.send(Method::POST, &items, Some(body.clone())).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body} -> {answer}"
        );
        assert_eq!(error_code(&answer), "validation_failed");
        let fields: Vec<&str> = answer["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, [field], "{body}");
        assert!(answer["error"]["message"].as_str().unwrap().contains(field));
    }

    let (status, answer) = server
        .send(
            Method::PATCH,
            &format!("/api/lists/{list}"),
            Some(json!({"name": null})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let (status, answer) = server
        .send(
            Method::PATCH,
            &format!("/api/lists/{list}"),
            Some(json!({"shop_local": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    // Fields with a default can be changed but not cleared.
    let (status, answer) = server
        .send(
            Method::PATCH,
            &format!("/api/lists/{list}"),
            Some(json!({"is_active": null})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let item = new_item(&server, list, json!({"product_name": "Salt"})).await;
    for field in [
        "quantity",
        "priority",
        "is_purchased",
        "is_generic",
        "product_name",
    ] {
        let (status, answer) = server
            .send(
                Method::PATCH,
                &format!("/api/items/{}", item["id"]),
                Some(json!({field: null})),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {answer}"
        );
        assert_eq!(answer["error"]["fields"][0]["field"], field);
    }
    server
        .send(Method::DELETE, &format!("/api/items/{}", item["id"]), None)
        .await;
    // Nothing of a rejected body was written.
    let (_, body) = server.get(&format!("/api/lists/{list}")).await;
    assert_eq!(body["list"]["name"], "Checks");
    let (_, body) = server.get(&items).await;
    assert_eq!(body["items"], json!([]));
    server.stop().await;
}

#[tokio::test]
async fn unknown_ids_paths_and_methods_are_4xx() {
    let server = Server::start().await;
    let get_cases = [
        ("/api/lists/999", StatusCode::NOT_FOUND, "not_found"),
        ("/api/lists/999/items", StatusCode::NOT_FOUND, "not_found"),
        ("/api/items/999", StatusCode::NOT_FOUND, "not_found"),
        ("/api/lists/abc", StatusCode::BAD_REQUEST, "bad_request"),
        ("/api/items/-3", StatusCode::BAD_REQUEST, "bad_request"),
        (
            "/api/items/99999999999999999999999",
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        ("/api/nothing-here", StatusCode::NOT_FOUND, "not_found"),
    ];
    for (path, want, code) in get_cases {
        let (status, body) = server.get(path).await;
        assert_eq!(status, want, "{path}: {body}");
        assert_eq!(error_code(&body), code, "{path}");
    }
    let writes = [
        (Method::PATCH, "/api/lists/999", Some(json!({"name": "x"}))),
        (Method::DELETE, "/api/lists/999", None),
        (
            Method::POST,
            "/api/lists/999/items",
            Some(json!({"product_name": "x"})),
        ),
        (Method::PATCH, "/api/items/999", Some(json!({"notes": "x"}))),
        (Method::DELETE, "/api/items/999", None),
    ];
    for (method, path, body) in writes {
        let (status, answer) = server.send(method.clone(), path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
        assert!(answer["error"]["message"].as_str().unwrap().contains("999"));
    }
    let (status, body) = server.send(Method::PUT, "/api/lists", None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error_code(&body), "method_not_allowed");
    server.stop().await;
}

#[tokio::test]
async fn data_survives_a_restart() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("data");
    let server = Server::start_in(&dir).await;
    let list = new_list(&server, "Kept").await;
    new_item(
        &server,
        list,
        json!({"product_name": "Coffee", "current_price": 7.5}),
    )
    .await;
    server.stop().await;

    let server = Server::start_in(&dir).await;
    let (_, body) = server.get(&format!("/api/lists/{list}/items")).await;
    assert_eq!(body["items"][0]["product_name"], "Coffee");
    assert_eq!(body["items"][0]["current_price"], 7.5);
    server.stop().await;
}

#[tokio::test]
async fn health_reports_version_and_a_broken_database() {
    let server = Server::start().await;
    let (status, body) = server.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")})
    );

    let outside = rusqlite::Connection::open(server.database()).unwrap();
    outside
        .execute_batch("ALTER TABLE lists RENAME TO lists_gone")
        .unwrap();
    let (status, body) = server.get("/healthz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "error");
    server.stop().await;
}

#[tokio::test]
async fn the_database_is_wal_with_every_table() {
    let server = Server::start().await;
    let conn = rusqlite::Connection::open(server.database()).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, cartwise::db::SCHEMA_VERSION);
    for table in [
        "lists",
        "items",
        "item_offers",
        "price_history",
        "ai_providers",
        "settings",
        "ai_jobs",
        "ai_job_events",
        "ai_request_logs",
    ] {
        let found: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(found, 1, "table {table} is missing");
    }
    server.stop().await;
}

#[tokio::test]
async fn the_web_ui_is_served() {
    let server = Server::start().await;
    let response = reqwest::get(format!("{}/", server.url)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let etag = response.headers()["etag"].clone();
    let again = reqwest::Client::new()
        .get(format!("{}/", server.url))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let modules = [
        "app", "api", "dom", "toast", "jobs", "lists", "list", "item", "settings", "activity",
    ];
    let mut scripts = String::new();
    for path in
        std::iter::once("/app.css".to_string()).chain(modules.iter().map(|m| format!("/js/{m}.js")))
    {
        let asset = reqwest::get(format!("{}{path}", server.url)).await.unwrap();
        assert_eq!(asset.status(), StatusCode::OK, "{path}");
        let kind = if path.ends_with(".css") {
            "text/css"
        } else {
            "text/javascript"
        };
        let content_type = asset.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
        scripts.push_str(&asset.text().await.unwrap());
    }
    // Every fixed API path the pages read exists.
    for path in [
        "/api/lists",
        "/api/ai-jobs/active",
        "/api/ai-providers",
        "/api/settings",
        "/api/ai-jobs/stats",
        "/api/ai-logs/stats",
        "/api/ai-jobs?per_page=20",
        "/api/ai-logs?per_page=20",
    ] {
        assert!(scripts.contains(&format!("'{path}'")), "{path}");
        assert_eq!(server.get(path).await.0, StatusCode::OK, "{path}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_server_open_to_the_network_needs_its_password() {
    let parts = cartwise::app::Parts::standard(&cartwise::Config::with_data_dir("/unused"));
    let server = Server::with_parts(
        |config| {
            config.bind = "0.0.0.0:8787".parse().unwrap();
            config.password = Some(cartwise::config::Secret::new("correct horse"));
        },
        parts,
    )
    .await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/lists", server.url);
    let refused = client.get(&url).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(
        refused.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    for page in ["/", "/app.css"] {
        let r = client
            .get(format!("{}{page}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{page}");
    }
    let wrong = client.get(&url).bearer_auth("wrong").send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let bearer = client
        .get(&url)
        .bearer_auth("correct horse")
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::OK);
    let basic = client
        .get(&url)
        .basic_auth("anyone", Some("correct horse"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::OK);
    let health = client
        .get(format!("{}/healthz", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        health.status(),
        StatusCode::OK,
        "health checks need no password"
    );
    server.stop().await;
}

/// Every route in the source, as (method, path), read from the `.route(…)` calls.
fn routes_in_source() -> Vec<(String, String)> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http");
    let mut files = vec![std::path::PathBuf::from(format!("{root}/mod.rs"))];
    for entry in std::fs::read_dir(format!("{root}/api")).unwrap() {
        files.push(entry.unwrap().path());
    }
    let mut routes = Vec::new();
    for file in files {
        let prefix = if file.parent().unwrap().ends_with("api") {
            "/api"
        } else {
            ""
        };
        let text = std::fs::read_to_string(&file).unwrap();
        for call in text.split(".route(").skip(1) {
            // The call runs to its matching parenthesis.
            let mut depth = 1;
            let end = call
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .unwrap()
                .0;
            let call = &call[..end];
            let path = call.split('"').nth(1).unwrap();
            for method in ["get", "post", "patch", "put", "delete"] {
                let used = call
                    .match_indices(&format!("{method}("))
                    .any(|(at, _)| at == 0 || !call.as_bytes()[at - 1].is_ascii_alphanumeric());
                if used {
                    routes.push((method.to_string(), format!("{prefix}{path}")));
                }
            }
        }
    }
    routes.sort();
    routes
}

#[tokio::test]
async fn the_openapi_description_matches_the_routes() {
    let server = Server::start().await;
    let (status, spec) = server.get("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(spec["openapi"], "3.1.0");
    let mut described: Vec<(String, String)> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    described.sort();
    let routes = routes_in_source();
    assert!(routes.len() > 30, "the source scan found only {routes:?}");
    assert_eq!(
        described, routes,
        "the OpenAPI description and the routes differ"
    );
    // And each described operation is answered by its route, not by the API's fallback.
    for (method, path) in &described {
        let url = path
            .replace("{id}", "999999")
            .replace("{image_id}", "missing.jpg");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let response = reqwest::Client::new()
            .request(method.clone(), format!("{}{url}", server.url))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert!(
            !body.contains("There is no API endpoint"),
            "{method} {path}: {body}"
        );
    }
    server.stop().await;
}
