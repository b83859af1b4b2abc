//! AI providers saved in Settings (`ai_providers`). The API key column holds the key sealed
//! by the vault; only its masked tail is ever read back out for display.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Error, NOW};
use crate::input::{Field, Kind};

/// The fields a user may set; `api_key` is handled apart, as it is sealed before storing.
pub const FIELDS: &[Field] = &[
    Field::required("kind", Kind::Choice(crate::ai::KINDS)),
    Field::defaulted("name", Kind::Text { max: 100 }),
    Field::defaulted("base_url", Kind::Url),
    Field::required("model", Kind::Text { max: 200 }),
    Field::defaulted("is_active", Kind::Flag),
    Field::defaulted("is_primary", Kind::Flag),
];

#[derive(Debug, Clone)]
pub struct ProviderRow {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub base_url: String,
    pub model: String,
    pub sealed_key: Option<Vec<u8>>,
    pub api_key_tail: Option<String>,
    pub is_active: bool,
    pub is_primary: bool,
    pub last_test_at: Option<String>,
    pub last_test_ok: Option<bool>,
    pub last_test_message: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<ProviderRow> {
    Ok(ProviderRow {
        id: row.get("id")?,
        kind: row.get("kind")?,
        name: row.get("name")?,
        base_url: row.get("base_url")?,
        model: row.get("model")?,
        sealed_key: row.get("api_key")?,
        api_key_tail: row.get("api_key_tail")?,
        is_active: row.get("is_active")?,
        is_primary: row.get("is_primary")?,
        last_test_at: row.get("last_test_at")?,
        last_test_ok: row.get("last_test_ok")?,
        last_test_message: row.get("last_test_message")?,
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
    })
}

pub fn all(conn: &Connection) -> Result<Vec<ProviderRow>, Error> {
    let mut stmt =
        conn.prepare_cached("SELECT * FROM ai_providers ORDER BY is_primary DESC, id")?;
    let rows = stmt.query_map([], from_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<ProviderRow>, Error> {
    let mut stmt = conn.prepare_cached("SELECT * FROM ai_providers WHERE id = ?1")?;
    Ok(stmt.query_row([id], from_row).optional()?)
}

/// The provider jobs use: the active primary one, else the oldest active one.
pub fn primary(conn: &Connection) -> Result<Option<ProviderRow>, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT * FROM ai_providers WHERE is_active ORDER BY is_primary DESC, id LIMIT 1",
    )?;
    Ok(stmt.query_row([], from_row).optional()?)
}

/// Makes `id` the only primary provider.
pub fn make_primary(conn: &Connection, id: i64) -> Result<(), Error> {
    conn.execute(
        "UPDATE ai_providers SET is_primary = 0 WHERE is_primary AND id <> ?1",
        [id],
    )?;
    conn.execute(
        &format!("UPDATE ai_providers SET is_primary = 1, updated_at = {NOW} WHERE id = ?1"),
        [id],
    )?;
    Ok(())
}

/// Stores a sealed key and its tail (or clears both).
pub fn set_key(
    conn: &Connection,
    id: i64,
    sealed: Option<&[u8]>,
    tail: Option<&str>,
) -> Result<(), Error> {
    conn.execute(
        &format!(
            "UPDATE ai_providers SET api_key = ?2, api_key_tail = ?3, updated_at = {NOW} WHERE id = ?1"
        ),
        params![id, sealed, tail],
    )?;
    Ok(())
}

pub fn record_test(conn: &Connection, id: i64, ok: bool, message: &str) -> Result<(), Error> {
    conn.execute(
        &format!(
            "UPDATE ai_providers SET last_test_at = {NOW}, last_test_ok = ?2,
                    last_test_message = ?3 WHERE id = ?1"
        ),
        params![id, ok, message],
    )?;
    Ok(())
}

pub fn delete(conn: &Connection, id: i64) -> Result<bool, Error> {
    Ok(conn.execute("DELETE FROM ai_providers WHERE id = ?1", [id])? == 1)
}
