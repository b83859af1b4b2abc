//! The web UI in headless Chromium, against the real server with the demo AI: make a list, add
//! an item, search its prices, and watch the job's toast and the new price appear.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use cartwise::ai::AiSettings;
use cartwise::clock::SystemClock;
use cartwise::jobs::Registry;
use common::browser::Browser;
use common::{Server, test_settings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_an_item_and_a_price_search_in_the_browser() {
    let parts = cartwise::app::Parts {
        registry: Registry::standard(),
        clock: Arc::new(SystemClock),
        engine: test_settings(),
        ai: AiSettings {
            request_timeout: Duration::from_secs(10),
            demo_delay: (Duration::from_millis(300), Duration::from_millis(600)),
        },
    };
    let server = Server::with_parts(|c| c.demo = true, parts).await;
    let browser = Browser::start().await;
    browser.open(&format!("{}/", server.url)).await;
    browser
        .until(
            "the lists page shows",
            "return document.querySelector('h1')?.textContent === 'Shopping lists'",
        )
        .await;
    assert!(browser.text().await.contains("No lists yet."));

    browser
        .type_into("#new-list input[name=name]", "Groceries")
        .await;
    browser.click("#new-list button").await;
    browser.until("the new list opens", "return location.hash === '#/lists/1' && document.querySelector('h1')?.textContent === 'Groceries'").await;

    browser
        .type_into("#new-item input[name=product_name]", "Peanut butter")
        .await;
    browser
        .type_into("#new-item input[name=target_price]", "3.5")
        .await;
    browser.click("#new-item button").await;
    browser
        .until(
            "the item is listed",
            "return document.querySelector('.items')?.textContent.includes('Peanut butter')",
        )
        .await;
    assert!(browser.text().await.contains("target 3.50"));

    // Smart add from a photo: identify, then add the first candidate.
    browser.click("details.smart summary").await;
    let photo = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/photo.jpg");
    browser
        .type_into("#smart-add input[name=photo]", photo)
        .await;
    browser.click("#smart-add button").await;
    browser
        .until(
            "candidates appear",
            "return document.querySelector('#candidates')?.textContent.includes('Add to list')",
        )
        .await;
    browser.click("#candidates button").await;
    browser
        .until(
            "the identified item is listed",
            "return document.querySelector('.items')?.textContent.includes('(demo)')",
        )
        .await;
    let (_, items) = server.get("/api/lists/1/items").await;
    let added = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["product_name"].as_str().unwrap().contains("(demo)"))
        .unwrap();
    assert!(
        added["image"].as_str().unwrap().ends_with(".jpg"),
        "the photo is kept: {added}"
    );

    browser.click(".items a").await;
    browser.find("#search-prices").await;
    browser.click("#search-prices").await;
    browser.until("the job's progress shows", "return document.querySelector('#progress progress') !== null || document.querySelector('#toasts')?.textContent.includes('completed')").await;
    browser.until("a completed toast", "return document.querySelector('#toasts')?.textContent.includes('Price search “Peanut butter” completed')").await;
    browser
        .until(
            "the new price shows",
            "return document.querySelector('#prices')?.textContent.includes(' at ')",
        )
        .await;
    let page = browser.text().await;
    assert!(page.contains("Offers"), "{page}");
    assert!(
        !page.contains("null") && !page.contains("undefined"),
        "{page}"
    );
    let (_, item) = server.get("/api/items/1").await;
    let price = item["item"]["current_price"].as_f64().unwrap();
    assert!(
        page.contains(&format!("{price:.2}")),
        "the page shows {price}: {page}"
    );
    if let Ok(dir) = std::env::var("CARTWISE_SCREENSHOTS") {
        std::fs::write(format!("{dir}/item.png"), browser.screenshot().await).unwrap();
    }

    // The activity page lists the job and the demo's requests.
    browser.open(&format!("{}/#/activity", server.url)).await;
    browser
        .until(
            "the activity page shows",
            "return document.querySelector('#jobs')?.textContent.includes('Price search')",
        )
        .await;
    assert!(browser.text().await.contains("demo serp_search"));
    assert!(!browser.text().await.contains("undefined"));
    browser.open(&format!("{}/#/settings", server.url)).await;
    browser
        .until(
            "the settings page shows the demo",
            "return document.body.innerText.includes('Demo (built in, offline)')",
        )
        .await;
    if let Ok(dir) = std::env::var("CARTWISE_SCREENSHOTS") {
        std::fs::write(format!("{dir}/settings.png"), browser.screenshot().await).unwrap();
    }
    browser.quit().await;
    server.stop().await;
}
