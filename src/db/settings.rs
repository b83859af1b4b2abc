//! App settings (`settings`): one JSON value per key.

use rusqlite::{Connection, OptionalExtension};
use serde_json::Value;

use super::{Error, NOW};

pub fn get(conn: &Connection, key: &str) -> Result<Option<Value>, Error> {
    let mut stmt = conn.prepare_cached("SELECT value FROM settings WHERE key = ?1")?;
    let text: Option<String> = stmt.query_row([key], |r| r.get(0)).optional()?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

/// Sets `key`, or removes it when `value` is null.
pub fn set(conn: &Connection, key: &str, value: &Value) -> Result<(), Error> {
    if value.is_null() {
        conn.execute("DELETE FROM settings WHERE key = ?1", [key])?;
    } else {
        conn.execute(
            &format!(
                "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, {NOW})
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
            ),
            [key, &value.to_string()],
        )?;
    }
    Ok(())
}
