//! Shopping lists. Deleting a list deletes its items (ON DELETE CASCADE).

use rusqlite::{Connection, OptionalExtension, Row};
use serde::Serialize;

use super::Error;
use crate::input::{Changes, Field, Kind};

/// The fields a user may set on a list.
pub const FIELDS: &[Field] = &[
    Field::required("name", Kind::Text { max: 100 }),
    Field::optional("description", Kind::Text { max: 1000 }),
    Field::defaulted("shop_local", Kind::Flag),
    Field::defaulted("is_active", Kind::Flag),
];

#[derive(Debug, Clone, Serialize)]
pub struct List {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub shop_local: bool,
    pub is_active: bool,
    pub item_count: i64,
    pub unpurchased_count: i64,
    pub created_at: String,
    pub updated_at: String,
}

const SELECT: &str = "SELECT l.id, l.name, l.description, l.shop_local, l.is_active,
        l.created_at, l.updated_at,
        (SELECT count(*) FROM items i WHERE i.list_id = l.id) AS item_count,
        (SELECT count(*) FROM items i WHERE i.list_id = l.id AND NOT i.is_purchased)
            AS unpurchased_count
    FROM lists l";

fn from_row(row: &Row<'_>) -> rusqlite::Result<List> {
    Ok(List {
        id: row.get("id")?,
        name: row.get("name")?,
        description: row.get("description")?,
        shop_local: row.get("shop_local")?,
        is_active: row.get("is_active")?,
        item_count: row.get("item_count")?,
        unpurchased_count: row.get("unpurchased_count")?,
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
    })
}

/// Every list, active ones first, then by name.
pub fn all(conn: &Connection) -> Result<Vec<List>, Error> {
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} ORDER BY l.is_active DESC, l.name COLLATE NOCASE, l.id"
    ))?;
    let lists = stmt.query_map([], from_row)?.collect::<Result<_, _>>()?;
    Ok(lists)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<List>, Error> {
    let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE l.id = ?1"))?;
    Ok(stmt.query_row([id], from_row).optional()?)
}

pub fn exists(conn: &Connection, id: i64) -> Result<bool, Error> {
    let mut stmt = conn.prepare_cached("SELECT 1 FROM lists WHERE id = ?1")?;
    Ok(stmt.exists([id])?)
}

pub fn create(conn: &Connection, changes: &Changes) -> Result<List, Error> {
    let id = super::insert(conn, "lists", &[], changes)?;
    get(conn, id)?.ok_or(Error::Sqlite(rusqlite::Error::QueryReturnedNoRows))
}

/// Applies `changes`; `None` when there is no such list.
pub fn update(conn: &Connection, id: i64, changes: &Changes) -> Result<Option<List>, Error> {
    if !super::update(conn, "lists", id, changes)? {
        return Ok(None);
    }
    get(conn, id)
}

/// Deletes the list and its items; false when there was no such list.
pub fn delete(conn: &Connection, id: i64) -> Result<bool, Error> {
    Ok(conn.execute("DELETE FROM lists WHERE id = ?1", [id])? == 1)
}
