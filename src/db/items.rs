//! Items on a list, their per-retailer offers and their price history. A change of an item's
//! current price always moves the previous, lowest and highest prices and adds one history row,
//! whoever makes it (the user, a price search or a price refresh).

use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use super::{Error, NOW};
use crate::input::{Changes, Field, Kind};

pub const PRIORITIES: &[&str] = &["low", "normal", "high"];

/// The fields a user may set on an item. Previous, lowest and highest prices and
/// `last_checked_at` follow from price changes and cannot be set directly.
pub const FIELDS: &[Field] = &[
    Field::required("product_name", Kind::Text { max: 200 }),
    Field::optional("product_query", Kind::Text { max: 300 }),
    Field::optional("image", Kind::Upload),
    Field::optional("product_url", Kind::Url),
    Field::optional("sku", Kind::Text { max: 64 }),
    Field::optional("upc", Kind::Text { max: 32 }),
    Field::optional("notes", Kind::Text { max: 2000 }),
    Field::optional("description", Kind::Text { max: 2000 }),
    Field::optional("brand", Kind::Text { max: 120 }),
    Field::optional("category", Kind::Text { max: 120 }),
    Field::defaulted("quantity", Kind::Count { min: 1, max: 9999 }),
    Field::optional("target_price", Kind::Price),
    Field::optional("current_price", Kind::Price),
    Field::optional("current_retailer", Kind::Text { max: 120 }),
    Field::optional("in_stock", Kind::Flag),
    Field::defaulted("priority", Kind::Choice(PRIORITIES)),
    Field::defaulted("is_purchased", Kind::Flag),
    Field::defaulted("is_generic", Kind::Flag),
    Field::optional("unit_of_measure", Kind::Text { max: 32 }),
];

/// Who recorded a price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceSource {
    Manual,
    PriceSearch,
    PriceRefresh,
}

impl PriceSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::PriceSearch => "price_search",
            Self::PriceRefresh => "price_refresh",
        }
    }
}

/// A newly observed price for an item.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub price: f64,
    pub retailer: Option<String>,
    pub url: Option<String>,
    pub in_stock: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub id: i64,
    pub list_id: i64,
    pub product_name: String,
    pub product_query: Option<String>,
    pub image: Option<String>,
    pub product_url: Option<String>,
    pub sku: Option<String>,
    pub upc: Option<String>,
    pub notes: Option<String>,
    pub description: Option<String>,
    pub brand: Option<String>,
    pub category: Option<String>,
    pub quantity: i64,
    pub target_price: Option<f64>,
    pub current_price: Option<f64>,
    pub previous_price: Option<f64>,
    pub lowest_price: Option<f64>,
    pub highest_price: Option<f64>,
    pub current_retailer: Option<String>,
    pub in_stock: Option<bool>,
    pub priority: String,
    pub is_purchased: bool,
    pub purchased_at: Option<String>,
    pub is_generic: bool,
    pub unit_of_measure: Option<String>,
    pub last_checked_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Offer {
    pub id: i64,
    pub retailer: String,
    pub title: Option<String>,
    pub price: Option<f64>,
    pub url: Option<String>,
    pub image_url: Option<String>,
    pub in_stock: Option<bool>,
    pub rating: Option<f64>,
    pub reviews: Option<i64>,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PricePoint {
    pub id: i64,
    pub price: f64,
    pub retailer: Option<String>,
    pub url: Option<String>,
    pub in_stock: Option<bool>,
    pub source: String,
    pub captured_at: String,
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<Item> {
    Ok(Item {
        id: row.get("id")?,
        list_id: row.get("list_id")?,
        product_name: row.get("product_name")?,
        product_query: row.get("product_query")?,
        image: row.get("image")?,
        product_url: row.get("product_url")?,
        sku: row.get("sku")?,
        upc: row.get("upc")?,
        notes: row.get("notes")?,
        description: row.get("description")?,
        brand: row.get("brand")?,
        category: row.get("category")?,
        quantity: row.get("quantity")?,
        target_price: row.get("target_price")?,
        current_price: row.get("current_price")?,
        previous_price: row.get("previous_price")?,
        lowest_price: row.get("lowest_price")?,
        highest_price: row.get("highest_price")?,
        current_retailer: row.get("current_retailer")?,
        in_stock: row.get("in_stock")?,
        priority: row.get("priority")?,
        is_purchased: row.get("is_purchased")?,
        purchased_at: row.get("purchased_at")?,
        is_generic: row.get("is_generic")?,
        unit_of_measure: row.get("unit_of_measure")?,
        last_checked_at: row.get("last_checked_at")?,
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
    })
}

/// The items of a list, unpurchased and high priority first; `None` when there is no such list.
pub fn for_list(conn: &Connection, list_id: i64) -> Result<Option<Vec<Item>>, Error> {
    if !super::lists::exists(conn, list_id)? {
        return Ok(None);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT * FROM items WHERE list_id = ?1
         ORDER BY is_purchased,
                  CASE priority WHEN 'high' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END,
                  id",
    )?;
    let items = stmt
        .query_map([list_id], from_row)?
        .collect::<Result<_, _>>()?;
    Ok(Some(items))
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Item>, Error> {
    let mut stmt = conn.prepare_cached("SELECT * FROM items WHERE id = ?1")?;
    Ok(stmt.query_row([id], from_row).optional()?)
}

/// An item's offers, cheapest first.
pub fn offers(conn: &Connection, item_id: i64) -> Result<Vec<Offer>, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, retailer, title, price, url, image_url, in_stock, rating, reviews, updated_at
         FROM item_offers WHERE item_id = ?1 ORDER BY price IS NULL, price, retailer",
    )?;
    let offers = stmt
        .query_map([item_id], |row| {
            Ok(Offer {
                id: row.get("id")?,
                retailer: row.get("retailer")?,
                title: row.get("title")?,
                price: row.get("price")?,
                url: row.get("url")?,
                image_url: row.get("image_url")?,
                in_stock: row.get("in_stock")?,
                rating: row.get("rating")?,
                reviews: row.get("reviews")?,
                updated_at: row.get("updated_at")?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(offers)
}

/// An item's price history, oldest first.
pub fn history(conn: &Connection, item_id: i64) -> Result<Vec<PricePoint>, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, price, retailer, url, in_stock, source, captured_at
         FROM price_history WHERE item_id = ?1 ORDER BY captured_at, id",
    )?;
    let points = stmt
        .query_map([item_id], |row| {
            Ok(PricePoint {
                id: row.get("id")?,
                price: row.get("price")?,
                retailer: row.get("retailer")?,
                url: row.get("url")?,
                in_stock: row.get("in_stock")?,
                source: row.get("source")?,
                captured_at: row.get("captured_at")?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(points)
}

/// Adds an item to a list; `None` when there is no such list.
pub fn create(tx: &Connection, list_id: i64, changes: Changes) -> Result<Option<Item>, Error> {
    if !super::lists::exists(tx, list_id)? {
        return Ok(None);
    }
    let mut changes = changes;
    let price = changes.take("current_price");
    if changes.get("is_purchased") == Some(&Sql::Integer(1)) {
        changes.set("purchased_at", now(tx)?);
    }
    let id = super::insert(tx, "items", &[("list_id", Sql::Integer(list_id))], &changes)?;
    if let Some(Sql::Real(price)) = price {
        record_price(tx, id, &manual(price, &changes), PriceSource::Manual)?;
    }
    get(tx, id)
}

/// Applies a user's changes; `None` when there is no such item. A new current price is
/// recorded like any observed price.
pub fn update(tx: &Connection, id: i64, changes: Changes) -> Result<Option<Item>, Error> {
    let Some(before) = get(tx, id)? else {
        return Ok(None);
    };
    let mut changes = changes;
    let price = match changes.take("current_price") {
        Some(Sql::Real(p)) if before.current_price != Some(p) => Some(p),
        Some(Sql::Null) => {
            changes.set("current_price", Sql::Null);
            None
        }
        _ => None,
    };
    match changes.get("is_purchased") {
        Some(Sql::Integer(1)) if !before.is_purchased => {
            changes.set("purchased_at", now(tx)?);
        }
        Some(Sql::Integer(0)) => changes.set("purchased_at", Sql::Null),
        _ => {}
    }
    super::update(tx, "items", id, &changes)?;
    if let Some(price) = price {
        record_price(tx, id, &manual(price, &changes), PriceSource::Manual)?;
    }
    get(tx, id)
}

/// Deletes an item with its offers and history; false when there was no such item.
pub fn delete(conn: &Connection, id: i64) -> Result<bool, Error> {
    Ok(conn.execute("DELETE FROM items WHERE id = ?1", [id])? == 1)
}

/// Makes `seen` the item's current price: the old current price becomes the previous one,
/// lowest and highest widen to include it, and one history row is written. Run it inside the
/// caller's transaction so the item and its history change together.
pub fn record_price(
    conn: &Connection,
    item_id: i64,
    seen: &Observation,
    source: PriceSource,
) -> Result<(), Error> {
    conn.execute(
        &format!(
            "UPDATE items SET
                previous_price = current_price,
                current_price = ?2,
                lowest_price = min(coalesce(lowest_price, ?2), ?2),
                highest_price = max(coalesce(highest_price, ?2), ?2),
                current_retailer = coalesce(?3, current_retailer),
                in_stock = coalesce(?4, in_stock),
                product_url = coalesce(product_url, ?5),
                last_checked_at = {NOW},
                updated_at = {NOW}
             WHERE id = ?1"
        ),
        params![item_id, seen.price, seen.retailer, seen.in_stock, seen.url],
    )?;
    conn.execute(
        "INSERT INTO price_history (item_id, price, retailer, url, in_stock, source)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            item_id,
            seen.price,
            seen.retailer,
            seen.url,
            seen.in_stock,
            source.as_str()
        ],
    )?;
    Ok(())
}

/// A retailer's offer for an item, as a price search found it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOffer {
    pub retailer: String,
    pub title: Option<String>,
    pub price: f64,
    pub url: Option<String>,
    pub image_url: Option<String>,
    pub in_stock: Option<bool>,
    pub rating: Option<f64>,
    pub reviews: Option<i64>,
}

/// The key offers are kept under: the retailer's name in lower case, letters and digits only,
/// so "Best Buy" and "BestBuy.com" are one retailer.
pub fn retailer_key(name: &str) -> String {
    let key: String = name
        .to_lowercase()
        .trim_end_matches(".com")
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    key
}

/// Adds or updates one offer per retailer.
pub fn upsert_offers(conn: &Connection, item_id: i64, offers: &[NewOffer]) -> Result<(), Error> {
    let mut stmt = conn.prepare_cached(&format!(
        "INSERT INTO item_offers (item_id, retailer, retailer_key, title, price, url, image_url,
                                  in_stock, rating, reviews)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (item_id, retailer_key) DO UPDATE SET
            retailer = excluded.retailer, title = excluded.title, price = excluded.price,
            url = excluded.url, image_url = excluded.image_url, in_stock = excluded.in_stock,
            rating = excluded.rating, reviews = excluded.reviews, updated_at = {NOW}"
    ))?;
    for offer in offers {
        stmt.execute(params![
            item_id,
            offer.retailer,
            retailer_key(&offer.retailer),
            offer.title,
            offer.price,
            offer.url,
            offer.image_url,
            offer.in_stock,
            offer.rating,
            offer.reviews
        ])?;
    }
    Ok(())
}

/// A price the user typed, with whatever retailer and stock the same request gave.
fn manual(price: f64, changes: &Changes) -> Observation {
    let text = |name| match changes.get(name) {
        Some(Sql::Text(t)) => Some(t.clone()),
        _ => None,
    };
    Observation {
        price,
        retailer: text("current_retailer"),
        url: None,
        in_stock: match changes.get("in_stock") {
            Some(Sql::Integer(n)) => Some(*n == 1),
            _ => None,
        },
    }
}

fn now(conn: &Connection) -> Result<Sql, Error> {
    Ok(Sql::Text(conn.query_row(
        &format!("SELECT {NOW}"),
        [],
        |row| row.get(0),
    )?))
}
